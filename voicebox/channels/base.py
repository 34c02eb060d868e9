"""What every channel offers the app: the Channel protocol the registry holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from flask import Blueprint, Flask

from voicebox.bot.messages import OutboundMessage
from voicebox.bot.report_back import SentText
from voicebox.storage.dispatcher import Sender
from voicebox.storage.services import Services


@dataclass(frozen=True)
class Fit:
    """How one message fits a channel's limits (for `voicebox flows check`)."""

    label: str  # what the channel sends, e.g. "SMS text"
    charset: str  # the characters it can carry, e.g. "GSM-7"
    bad_characters: str  # characters of the message it cannot carry, each once
    length: int  # the message's length as the channel counts it
    limit: int  # the most one message may hold
    over: bool  # True when the message does not go out as one message


class Channel(Protocol):
    """One way young people reach Voicebox: sms, telegram, web or console."""

    name: str
    replies_later: bool  # True when replies go through the outbox, not the request's answer
    # True when the provider delivers a message again if our answer was lost (Twilio): the
    # answer is then kept a day, so the repeat gets it.
    redelivers: bool
    # The replies to one message go out joined into as few messages of at most this many
    # characters as they fit (Telegram: one message a turn keeps within about one a second
    # in a chat); None: each reply is its own message.
    joined_length: int | None
    # True when a message can reach a person after their conversation (a report-back);
    # False for the terminal, which is gone once `voicebox chat` ends.
    reached_later: bool

    def enabled(self) -> bool:
        """True when the channel is set up and its routes and sender should exist."""

    def blueprint(self, app: Flask, services: Services) -> Blueprint | None:
        """The channel's routes for this app (None when it has none)."""

    def sender(self, services: Services) -> Sender | None:
        """What delivers its queued messages (None when it cannot send on its own)."""

    def fit(self, message: OutboundMessage) -> Fit | None:
        """How a message fits the channel's limits (None when it has none to check)."""

    def preview(self, messages: Sequence[OutboundMessage]) -> list[SentText] | None:
        """These messages exactly as the channel would send them, each with what would stop
        it going (None when the channel sends nothing later, such as the terminal)."""

    def invitation(self, code: str) -> str | None:
        """How to join the check-in CODE on this channel, in one short line for a poster
        (None when the channel has nothing to add to the web link)."""
