"""Telegram's webhook: the secret header checked before anything is read, then the update
handled as polling would, and 200 only once it is stored (Telegram sends it again else)."""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Flask, Response, current_app, request
from telegram import Update

from voicebox.channels.telegram.handling import UpdateHandler
from voicebox.channels.telegram.sender import CHANNEL

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_EXTENSION = "voicebox.telegram"

blueprint = Blueprint(CHANNEL, __name__, url_prefix="/telegram")


def set_up(app: Flask, handler: UpdateHandler, secret: str) -> None:
    """Give the routes this app's handler and the secret Telegram sends."""
    app.extensions[_EXTENSION] = (handler, secret.encode("utf-8"))


def secret_ok(given: str, secret: bytes) -> bool:
    """True when the header holds the secret (compared in constant time, as bytes)."""
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), secret)


def _plain(text: str, status: int) -> Response:
    return Response(text, status=status, content_type="text/plain; charset=utf-8")


@blueprint.post("/webhook")
def webhook() -> Response:
    """One update from Telegram."""
    handler, secret = current_app.extensions[_EXTENSION]
    if not secret_ok(request.headers.get(SECRET_HEADER, ""), secret):
        return _plain("Forbidden\n", 403)
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        return _plain("That is not a Telegram update.\n", 400)
    try:
        update = Update.de_json(data, None)
    except Exception:  # whatever a malformed update breaks in the parser: it is not one
        return _plain("That is not a Telegram update.\n", 400)
    try:
        handler.handle(update)
    except Exception as exc:  # Telegram tries again later; never an id or words in the log
        log.error(
            "Telegram update %s could not be handled: %s", update.update_id, type(exc).__name__
        )
        return _plain("Not now: please send it again.\n", 503)
    return Response(status=200)
