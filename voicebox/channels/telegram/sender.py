"""Sending queued messages to Telegram chats (sendMessage), for the outbox's dispatcher.

Telegram cannot be asked whether a message reached it, so a send in doubt is sent again:
rarely, a person may get one message twice (ARCHITECTURE.md says so)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial

from telegram import Message
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from voicebox.bot.messages import OutboundMessage
from voicebox.channels.telegram.bot_api import BotApi
from voicebox.channels.telegram.render import Outgoing, render
from voicebox.channels.telegram.settings import DEFAULT_RATE, DEFAULT_TIMEOUT, PERSON_RATE
from voicebox.storage.dispatcher import SendFailed

CHANNEL = "telegram"
THREADS = 4  # outbox threads for Telegram in each process: chats' replies go side by side


def chat_id(address: str) -> str:
    """The chat's id from an address like telegram:123456789."""
    return address.removeprefix(f"{CHANNEL}:")


def retry_after_seconds(error: RetryAfter) -> float:
    """The seconds a 429 asked us to wait (a timedelta with PTB_TIMEDELTA, else seconds)."""
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def failure(error: Exception) -> SendFailed:
    """What the dispatcher should do about a Bot API error (its words are never kept:
    they can hold the token or a chat's id)."""
    name = type(error).__name__
    if isinstance(error, RetryAfter):
        return SendFailed("Telegram answered 429", retry=True, wait=retry_after_seconds(error))
    if isinstance(error, Forbidden):
        return SendFailed("Telegram answered 403: the person blocked the bot", unreachable=True)
    if isinstance(error, InvalidToken):
        return SendFailed("Telegram refused the bot's token (VOICEBOX_TELEGRAM_TOKEN)")
    if isinstance(error, BadRequest):
        return SendFailed("Telegram answered 400", retry=False)
    if isinstance(error, TimedOut | TimeoutError):  # it may have gone: Telegram cannot say
        return SendFailed("Telegram did not answer in time", in_doubt=True)
    if isinstance(error, NetworkError):  # 5xx, or the connection failed
        return SendFailed(f"Telegram could not be reached ({name})", in_doubt=True)
    return SendFailed(f"Telegram failed ({name})")


class TelegramSender:
    """Sends outbox messages as sendMessage calls. The dispatcher keeps to `rate` messages
    a second over every chat and `person_rate` in one chat, across every process."""

    def __init__(
        self,
        api: Callable[[], BotApi],
        rate: float = DEFAULT_RATE,
        timeout: float = DEFAULT_TIMEOUT,
        consent_steps: frozenset[str] = frozenset(),
    ) -> None:
        self._api = api  # made on the first send: a sender built before a fork starts nothing
        self.rate = rate
        self.person_rate = PERSON_RATE
        self.timeout = timeout
        self.threads = THREADS
        self.consent_steps = consent_steps

    def __repr__(self) -> str:
        return "TelegramSender()"  # never the token

    def units(self, message: OutboundMessage) -> int:
        """How many Telegram messages it takes (a long text goes in pieces)."""
        return len(render(message, self.consent_steps))

    def send(self, address: str, message: OutboundMessage) -> str | None:
        """Send it (in pieces if long, the buttons on the last); return the last one's id."""
        chat = chat_id(address)
        sent_id: str | None = None
        api = self._api()
        for piece in render(message, self.consent_steps):
            try:
                sent = api.call(partial(self._send, api, chat, piece))
            except (TelegramError, TimeoutError) as error:
                raise failure(error) from None
            sent_id = str(sent.message_id)
        return sent_id

    @staticmethod
    async def _send(api: BotApi, chat: str, piece: Outgoing) -> Message:
        return await api.bot.send_message(chat, piece.text, reply_markup=piece.keyboard)
