"""The one message shape every channel turns its wire format into, and back."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

# The most text kept from one message, on every channel: more than any real answer, and a
# bound on the work a hostile message can cause. The engine keeps less of an answer and says so.
MAX_MESSAGE_CHARS = 10_000


def button_payload(step_id: str, keys: Iterable[str]) -> str:
    """A button press as the engine reads it: "<step_id>:<key>", for cards "<step_id>:<k>,<k>"."""
    return f"{step_id}:{','.join(keys)}"


def read_payload(payload: str) -> tuple[str, list[str]]:
    """A button payload's step id and keys: each key once, in order, empty ones left out."""
    step_id, _, listed = payload.partition(":")
    return step_id, [key for key in dict.fromkeys(listed.split(",")) if key]


def utcnow() -> datetime:
    """The current time, UTC-aware."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class InboundMessage:
    """Something a person sent, whatever the channel."""

    channel: str  # sms, telegram, web, console
    address: str  # URN-like: sms:+447700900123, telegram:123456789, web:<random>
    text: str = ""
    message_id: str | None = None  # the provider's id, for duplicates
    payload: str | None = None  # a button press, as button_payload() writes it
    consultation: str | None = None  # a code the channel already knows (the web chat URL)
    has_media: bool = False
    opt_out: str | None = None  # a provider's own opt-out signal: "stop", "start" or "help"
    received_at: datetime = field(default_factory=utcnow)
    buttons: bool = False  # the channel shows Skip, Back and Stop as buttons: say "press Skip"
    # The provider's id of our message whose button was pressed (Telegram): a button on any
    # message but the newest one sent to the person is for a question that has passed
    # (Help and Stop still work).
    pressed_on: str | None = None
    # The channel already showed the named check-in's opening (the web page does, without
    # storing anything): for a person with no conversation in it yet, this message answers
    # the opening's question instead of starting the check-in again.
    opening_shown: bool = False


@dataclass(frozen=True)
class ChoiceOption:
    """A choice as shown to a person: its number, words and picture."""

    number: int
    key: str
    words: str
    emoji: str = ""
    picture: str = ""
    payload: str = ""


@dataclass(frozen=True)
class OutboundMessage:
    """Something to say to a person; choices fall back to numbered lines."""

    text: str
    choices: tuple[ChoiceOption, ...] = ()
    step_id: str | None = None
    expects: str | None = None  # "choice", "cards", "text" or None when no answer is waited for
    purpose: str = "flow"  # flow, end, reask, help, stop, start, safeguarding, notice

    def as_text(self, emoji: bool = False) -> str:
        """The message with its choices as numbered lines (emoji only when asked)."""
        if not self.choices:
            return self.text
        lines = [self.text]
        for option in self.choices:
            mark = f"{option.emoji} " if emoji and option.emoji else ""
            lines.append(f"{option.number} {mark}{option.words}")
        return "\n".join(lines)


def joined(messages: Iterable[OutboundMessage], limit: int) -> tuple[OutboundMessage, ...]:
    """Replies joined into as few messages as fit `limit` characters: each takes the texts
    before it (a blank line between) up to the next one with choices, whose step it keeps."""
    out: list[OutboundMessage] = []
    for message in messages:
        before = out[-1] if out else None
        text = f"{before.text}\n\n{message.text}" if before is not None else message.text
        if before is None or before.choices or before.expects or len(text) > limit:
            out.append(message)
            continue
        out[-1] = OutboundMessage(
            text, message.choices, message.step_id, message.expects, message.purpose
        )
    return tuple(out)
