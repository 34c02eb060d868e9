"""The Telegram channel, with python-telegram-bot as the transport only (the conversation
lives in the engine): the webhook (webhook.py) and polling (polling.py) share one handler
(handling.py); replies go through the outbox (sender.py) on one event loop (bot_api.py);
rendering (render.py) and button data (callbacks.py) are pure; settings.py reads
VOICEBOX_TELEGRAM_*."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flask import Blueprint, Flask

from voicebox.bot.messages import OutboundMessage, joined
from voicebox.bot.report_back import SentText
from voicebox.channels.base import Fit
from voicebox.channels.telegram import webhook
from voicebox.channels.telegram.bot_api import BotApi
from voicebox.channels.telegram.callbacks import StepTags
from voicebox.channels.telegram.handling import UpdateHandler
from voicebox.channels.telegram.render import MAX_TEXT, render, telegram_length
from voicebox.channels.telegram.sender import CHANNEL, TelegramSender
from voicebox.channels.telegram.settings import TelegramSettings
from voicebox.storage.services import Services

log = logging.getLogger(__name__)


@dataclass
class TelegramChannel:
    """Telegram chats: on when the bot's token is set; the webhook only with its secret."""

    settings: TelegramSettings = field(default_factory=TelegramSettings)
    name: str = CHANNEL
    replies_later: bool = True  # every reply goes through the outbox
    # Telegram sends an update again only when we did not answer 200, and a 200 comes
    # after the replies are queued: a repeat needs no kept answer.
    redelivers: bool = False
    joined_length: int | None = MAX_TEXT  # one message a turn, as far as it fits
    reached_later: bool = True
    _api: BotApi | None = field(default=None, repr=False)
    _api_pid: int = field(default=0, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TelegramChannel:
        """The channel with its VOICEBOX_TELEGRAM_* settings."""
        return cls(TelegramSettings.from_env(env))

    def enabled(self) -> bool:
        """True when the bot's token is set."""
        return bool(self.settings.token)

    def api(self) -> BotApi:
        """The Bot API on its own event loop, made once for this channel in each process
        (a forked worker has no copy of its parent's loop thread, so it makes its own)."""
        if self._api is None or self._api_pid != os.getpid():
            assert self.settings.token
            self._api = BotApi(self.settings.token, self.settings.api_url, self.settings.timeout)
            self._api_pid = os.getpid()
        return self._api

    def handler(self, services: Services) -> UpdateHandler:
        """What handles updates, for the webhook and for polling."""
        steps = [step for flow in services.engine.flows.values() for step in flow.steps]
        return UpdateHandler(services, self.api(), StepTags(steps))

    def blueprint(self, app: Flask, services: Services) -> Blueprint | None:
        """POST /telegram/webhook, only when the secret is set (else there is no route)."""
        if not self.settings.secret:
            log.warning(
                "VOICEBOX_TELEGRAM_SECRET is not set, so there is no Telegram webhook; "
                "`voicebox telegram poll` still works"
            )
            return None
        webhook.set_up(app, self.handler(services), self.settings.secret)
        return webhook.blueprint

    def sender(self, services: Services) -> TelegramSender:
        """sendMessage through the Bot API, paced per chat and over every chat."""
        consent = frozenset(
            step.id
            for flow in services.engine.flows.values()
            for step in flow.steps.values()
            if step.type == "consent"
        )
        return TelegramSender(self.api, self.settings.rate, self.settings.timeout, consent)

    def fit(self, message: OutboundMessage) -> Fit:
        """A Telegram message holds 4,096 characters (longer ones go in pieces)."""
        length = telegram_length(message.text)
        return Fit("Telegram message", "Unicode", "", length, MAX_TEXT, length > MAX_TEXT)

    def preview(self, messages: Sequence[OutboundMessage]) -> list[SentText]:
        """The messages joined into as few as fit, in the pieces sendMessage takes."""
        return [
            SentText(piece.text)
            for message in joined(messages, self.joined_length or MAX_TEXT)
            for piece in render(message)
        ]

    def invitation(self, code: str) -> str | None:
        """ "Telegram: https://t.me/<bot>?start=CODE", when Telegram says the bot's name."""
        name = self.api().username() if self.enabled() else None
        return f"Telegram: https://t.me/{name}?start={code}" if name else None
