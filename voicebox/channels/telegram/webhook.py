"""Telegram's webhook: the secret header checked before anything is read, then the update
handled as polling would, and 200 only once it is stored (Telegram sends it again else)."""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Flask, Response, current_app, request
from telegram import Chat, Message, Update

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


def _number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _chat_ok(chat: Chat | None) -> bool:
    return chat is not None and _number(chat.id) and isinstance(chat.type, str)


def _message_ok(message: Message) -> bool:
    words = (message.text, message.caption)
    return (
        _chat_ok(message.chat)
        and _number(message.message_id)
        and all(part is None or isinstance(part, str) for part in words)
    )


def well_formed(update: Update) -> bool:
    """True when what the handler reads has the types Telegram sends (the parser checks
    few): anything else is not from Telegram, and sending it again would not help."""
    for message in (update.message, update.edited_message):
        if message is not None and not _message_ok(message):
            return False
    query = update.callback_query
    if query is not None:
        if not isinstance(query.id, str) or not (query.data is None or isinstance(query.data, str)):
            return False
        if isinstance(query.message, Message) and not _message_ok(query.message):
            return False
    member = update.my_chat_member
    return member is None or (_chat_ok(member.chat) and member.new_chat_member is not None)


def _plain(text: str, status: int) -> Response:
    return Response(text, status=status, content_type="text/plain; charset=utf-8")


@blueprint.post("/webhook")
def webhook() -> Response:
    """One update from Telegram."""
    handler, secret = current_app.extensions[_EXTENSION]
    if not secret_ok(request.headers.get(SECRET_HEADER, ""), secret):
        return _plain("Forbidden\n", 403)
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not _number(data.get("update_id")):
        return _plain("That is not a Telegram update.\n", 400)
    try:
        update = Update.de_json(data, None)
    except Exception:  # whatever a malformed update breaks in the parser: it is not one
        return _plain("That is not a Telegram update.\n", 400)
    if not well_formed(update):
        return _plain("That is not a Telegram update.\n", 400)
    try:
        handler.handle(update)
    except Exception as exc:  # Telegram tries again later; never an id or words in the log
        log.error(
            "Telegram update %s could not be handled: %s", update.update_id, type(exc).__name__
        )
        return _plain("Not now: please send it again.\n", 503)
    return Response(status=200)
