"""The composition root for the web: builds the services and the Flask app."""

from __future__ import annotations

import logging
from importlib import import_module
from typing import Any

from flask import Flask, Response, jsonify, render_template_string

from voicebox.bot.engine import Engine
from voicebox.channels import sms_twilio
from voicebox.flows import load_builtin_flows
from voicebox.settings import Settings
from voicebox.storage.database import Database
from voicebox.storage.outbox import Sender
from voicebox.storage.services import Services
from voicebox.storage.store import SqlStore

log = logging.getLogger(__name__)

# Channels whose replies go through the outbox instead of the HTTP response.
OUTBOX_CHANNELS = ("telegram",)
# Each channel module that has web routes offers `blueprint` and `enabled(services)`.
WEB_CHANNELS = ("voicebox.channels.web", "voicebox.channels.sms_twilio")

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; connect-src 'self'; media-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

_PLAIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} - Voicebox</title></head>
<body><main><h1>{{ title }}</h1><p>{{ text }}</p><p><a href="/">Go to the start page</a></p>
</main></body></html>"""


def build_services(settings: Settings) -> Services:
    """Database, store and engine for these settings (nothing is started)."""
    database = Database(settings.database_url)
    secret = settings.resolve_secret()
    store = SqlStore(database, secret, outbox_channels=OUTBOX_CHANNELS)
    engine = Engine(load_builtin_flows().values(), store)
    options = {
        "twilio_account_sid": settings.twilio_account_sid,
        "twilio_auth_token": settings.twilio_auth_token,
        "twilio_from": settings.twilio_from,
        "twilio_api_url": settings.twilio_api_url,
        "twilio_rate": settings.twilio_rate,
        "telegram_token": settings.telegram_token,
        "telegram_secret": settings.telegram_secret,
        "telegram_api_url": settings.telegram_api_url,
        "web_pictures": settings.web_pictures,
    }
    return Services(database, store, engine, secret, settings.public_url, options)


def build_senders(services: Services) -> dict[str, Sender]:
    """A sender for every channel that is set up to send queued messages."""
    senders: dict[str, Sender] = {}
    sms = sms_twilio.build_sender(services)
    if sms is not None:
        senders[sms_twilio.CHANNEL] = sms
    return senders


def create_app(
    test_config: dict[str, Any] | None = None,
    settings: Settings | None = None,
    services: Services | None = None,
) -> Flask:
    """The Flask app with every enabled channel's routes."""
    settings = settings or Settings.from_env()
    services = services or build_services(settings)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=services.secret,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(settings.public_url and settings.public_url.startswith("https")),
        MAX_CONTENT_LENGTH=256 * 1024,
    )
    if test_config:
        app.config.update(test_config)
    app.extensions["voicebox"] = services

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        if services.database.ping():
            return jsonify(status="ok"), 200
        return jsonify(status="unavailable"), 503

    for name in WEB_CHANNELS:
        module = import_module(name)
        if module.enabled(services):
            app.register_blueprint(module.blueprint)

    @app.errorhandler(404)
    def not_found(_error: Exception) -> tuple[str, int]:
        text = "There is no page here. Check the address, or start again."
        return render_template_string(_PLAIN_PAGE, title="Page not found", text=text), 404

    @app.errorhandler(405)
    def not_allowed(_error: Exception) -> tuple[str, int]:
        text = "That did not work. Please go back and try again."
        return render_template_string(_PLAIN_PAGE, title="Sorry", text=text), 405

    @app.errorhandler(413)
    def too_large(_error: Exception) -> tuple[str, int]:
        text = "That was too much to send at once. Please send less."
        return render_template_string(_PLAIN_PAGE, title="Too much at once", text=text), 413

    @app.errorhandler(500)
    def server_error(_error: Exception) -> tuple[str, int]:
        text = "Something went wrong on our side. Your answers so far are safe. Please try again."
        return render_template_string(_PLAIN_PAGE, title="Sorry", text=text), 500

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response

    return app
