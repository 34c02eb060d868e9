"""The web chat channel: a check-in page that works for every young person.

Routes (views.py), the page's pure parts (chat.py), looks, picture sets, templates, the
style sheet and script live in this package; WebChannel is what the registry holds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flask import Blueprint, Flask

from voicebox.bot.messages import OutboundMessage
from voicebox.bot.report_back import SentText
from voicebox.channels.base import Fit
from voicebox.channels.web import views
from voicebox.channels.web.chat import CHANNEL
from voicebox.channels.web.settings import WebSettings
from voicebox.storage.dispatcher import Sender
from voicebox.storage.services import Services


@dataclass
class WebChannel:
    """The web chat: always on; queued messages are delivered by showing them on the page."""

    settings: WebSettings = field(default_factory=WebSettings)
    name: str = CHANNEL
    replies_later: bool = False  # replies are the page's answer
    redelivers: bool = False  # the page shows the transcript; a repeat needs no kept answer
    joined_length: int | None = None  # each reply is its own message
    reached_later: bool = True  # shown when they next open the page

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WebChannel:
        """The channel with its VOICEBOX_WEB_* settings."""
        return cls(WebSettings.from_env(env))

    def enabled(self) -> bool:
        """The web chat is always on."""
        return True

    def blueprint(self, app: Flask, services: Services) -> Blueprint:
        """The pages: /, /c/<CODE> and the rest."""
        views.set_up(app, self.settings)
        return views.blueprint

    def sender(self, services: Services) -> Sender | None:
        """The page itself delivers: nothing is sent on its own."""
        return None

    def fit(self, message: OutboundMessage) -> Fit | None:
        """A page shows any length of text."""
        return None

    def preview(self, messages: Sequence[OutboundMessage]) -> list[SentText]:
        """The page shows each message as it is."""
        return [SentText(message.as_text()) for message in messages]

    def invitation(self, code: str) -> str | None:
        """The web link and QR code are the share kit's own: nothing to add."""
        return None
