"""The composition root for the web: builds the services, wires the channel registry and
the workers' area into one Flask app."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, Response, jsonify, make_response, render_template_string, request
from flask.globals import request_ctx
from werkzeug.routing import IntegerConverter, Map

from voicebox import workers
from voicebox.alerts import AlertSettings, alert_routes, alert_senders
from voicebox.bot.engine import Engine
from voicebox.channels.base import Channel
from voicebox.channels.registry import build_channels
from voicebox.flows import load_builtin_flows
from voicebox.settings import Settings
from voicebox.storage.database import UNAVAILABLE, Database
from voicebox.storage.dispatcher import Sender
from voicebox.storage.reports import WEB_VISITOR_KEPT
from voicebox.storage.secret_key import remember_key
from voicebox.storage.services import Services
from voicebox.storage.store import SqlStore

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; connect-src 'self'; media-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

HSTS = "max-age=31536000"  # a year; only sent when the public URL is https

# The public pages' errors, in words for a young person.
_PLAIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} - Voicebox</title></head>
<body><main><h1>{{ title }}</h1><p>{{ text }}</p><p><a href="/">Go to the start page</a></p>
</main></body></html>"""
_PLAIN_ERRORS = {
    400: ("Sorry", "We could not use that. Please go back and try again."),
    404: ("Page not found", "There is no page here. Check the address, or start again."),
    405: ("Sorry", "That did not work. Please go back and try again."),
    413: ("Too much at once", "That was too much to send at once. Please send less."),
    503: (
        "Sorry, we are busy",
        "We cannot keep answers for a moment. Your answers so far are safe. "
        "Please try again in a minute.",
    ),
    500: (
        "Sorry",
        "Something went wrong on our side. Your answers so far are safe. Please try again.",
    ),
}
# Areas with their own error pages, by URL prefix.
_AREA_ERRORS: dict[str, Callable[[int], Response]] = {workers.URL_PREFIX: workers.error_page}


class RowId(IntegerConverter):
    """`<int:...>` in a route: a number an id column holds (32 bits), so a bigger one is a
    plain 404, never an overflow in the database."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def served_over_https(public_url: str | None) -> bool:
    """True when the public URL (VOICEBOX_PUBLIC_URL) is an https address."""
    return bool(public_url) and str(public_url).strip().lower().startswith("https://")


def build_services(
    settings: Settings,
    channels: Mapping[str, Channel] | None = None,
    alerts: AlertSettings | None = None,
) -> Services:
    """Database, store and engine for these settings (nothing is started).

    The key must be the one the database was set up with (`remember_key`): else one person
    would get two pseudonyms, and their answers would be split."""
    channels = build_channels() if channels is None else channels
    alerts = AlertSettings.from_env(os.environ) if alerts is None else alerts
    database = Database(settings.database_url)
    try:
        secret = settings.resolve_secret()
        remember_key(database, secret)
    except Exception:
        database.dispose()
        raise
    later = [name for name, channel in channels.items() if channel.replies_later]
    again = [name for name, channel in channels.items() if channel.redelivers]
    joins = {name: c.joined_length for name, c in channels.items() if c.joined_length}
    routes = alert_routes(alerts, settings.public_url)
    store = SqlStore(
        database,
        secret,
        outbox_channels=later,
        alert_routes=routes,
        repeat_channels=again,
        joined_channels=joins,
    )
    engine = Engine(load_builtin_flows().values(), store)
    return Services(database, store, engine, secret, settings.public_url)


def build_senders(
    services: Services, channels: Mapping[str, Channel], alerts: AlertSettings | None = None
) -> dict[str, Sender]:
    """A sender for every enabled channel that sends queued messages, and for alerts."""
    alerts = AlertSettings.from_env(os.environ) if alerts is None else alerts
    senders: dict[str, Sender] = alert_senders(alerts)
    for name, channel in channels.items():
        sender = channel.sender(services) if channel.enabled() else None
        if sender is not None:
            senders[name] = sender
    return senders


def _plain_page(status: int) -> Response:
    title, text = _PLAIN_ERRORS.get(status, _PLAIN_ERRORS[500])
    return make_response(render_template_string(_PLAIN_PAGE, title=title, text=text), status)


def _database_away(_error: Exception) -> Response:
    """The database is away for a moment (restarting, unreachable): 503, try again soon."""
    log.warning("the database did not answer a request to %s", request.path)
    response = _plain_page(503)
    response.headers["Retry-After"] = "30"
    return response


def error_page(status: int) -> Response:
    """The error page for this request's area: a worker's words under /workers, else plain.

    A request Flask could not match to this site (a Host header that cannot be one) has no
    way to build links, so it gets the plain page, which needs none."""
    if request_ctx.url_adapter is None:
        return _plain_page(status)
    for prefix, page in _AREA_ERRORS.items():
        if request.path == prefix or request.path.startswith(prefix + "/"):
            return page(status)
    return _plain_page(status)


def create_app(
    test_config: dict[str, Any] | None = None,
    settings: Settings | None = None,
    services: Services | None = None,
    channels: Mapping[str, Channel] | None = None,
) -> Flask:
    """The Flask app with every enabled channel's routes and the workers' area."""
    settings = settings or Settings.from_env()
    channels = build_channels() if channels is None else channels
    services = services or build_services(settings, channels)
    app = Flask(__name__)
    app.url_map.converters["int"] = RowId  # before any route is added
    # Behind a proxy that ends TLS the request looks like plain http; the public URL says
    # what the outside world uses, so it decides Secure cookies and HSTS.
    https = served_over_https(services.public_url or settings.public_url)
    app.config.update(
        SECRET_KEY=services.secret,
        SESSION_COOKIE_HTTPONLY=True,
        # A web chat visitor is remembered this long after their last visit (workers are
        # signed out sooner, by their own idle clock); a report-back waits as long.
        PERMANENT_SESSION_LIFETIME=WEB_VISITOR_KEPT,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        REMEMBER_COOKIE_SECURE=https,
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

    for channel in channels.values():
        blueprint = channel.blueprint(app, services) if channel.enabled() else None
        if blueprint is not None:
            app.register_blueprint(blueprint)
    enabled = [channel for channel in channels.values() if channel.enabled()]

    def invitations(code: str) -> list[str]:
        """How to join CODE on each channel that can say, for the share kit and poster."""
        return [line for channel in enabled if (line := channel.invitation(code))]

    app.extensions["voicebox_invitations"] = invitations
    # Each channel's exact words for a report-back's preview; and which join a turn's
    # messages into one (Telegram), as the outbox is told for replies.
    app.extensions["voicebox_previews"] = {name: c.preview for name, c in channels.items()}
    app.extensions["voicebox_joined"] = {
        name: c.joined_length for name, c in channels.items() if c.joined_length
    }
    # The channels a report-back can go out on (not the terminal).
    app.extensions["voicebox_reached_later"] = sorted(
        name for name, c in channels.items() if c.reached_later
    )
    # Every channel a conversation may have come by, for the area's filters.
    app.extensions["voicebox_channel_names"] = sorted(channels)
    workers.set_up(app)
    app.register_blueprint(workers.blueprint)

    for status in (400, 404, 405, 413, 500):
        app.register_error_handler(status, lambda _error, status=status: error_page(status))
    for unavailable in UNAVAILABLE:
        app.register_error_handler(unavailable, _database_away)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        if https:  # browsers then never use plain http here for a year
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response

    return app
