"""What a Telegram button carries back when pressed (`callback_data`, at most 64 bytes):
short, opaque, tied to its question, and free of anything about the person.

    c.<tag>.<key>      a choice            t.<tag>.<key>.<1|0>  tick or untick a card
    d.<tag>            Done under cards    k.<command>          Back, Skip, Help or Stop

`<tag>` is a hash of the question's step id, so the step's name is not shown; `StepTags`
turns it back. A card's button says what pressing it does (tick, or untick), so a press
Telegram delivers twice leaves the same ticks."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

MAX_BYTES = 64  # Telegram's limit on callback_data
COMMANDS = ("back", "skip", "help", "stop")


def step_tag(step_id: str) -> str:
    """Eight characters standing for a step id."""
    digest = hashlib.sha256(step_id.encode("utf-8")).digest()[:6]
    return base64.urlsafe_b64encode(digest).decode("ascii")


def choice_data(step_id: str, key: str) -> str:
    """The data of a choice's button."""
    return f"c.{step_tag(step_id)}.{key}"


def card_data(step_id: str, key: str, tick: bool) -> str:
    """The data of a card's button: pressing it ticks the card (True) or unticks it."""
    return f"t.{step_tag(step_id)}.{key}.{1 if tick else 0}"


def done_data(step_id: str) -> str:
    """The data of the Done button under cards."""
    return f"d.{step_tag(step_id)}"


def command_data(command: str) -> str:
    """The data of a Back, Skip, Help or Stop button."""
    return f"k.{command}"


def fits(data: str) -> bool:
    """True when Telegram takes this as a button's data."""
    return 0 < len(data.encode("utf-8")) <= MAX_BYTES


@dataclass(frozen=True)
class Press:
    """A button press, read back: what kind, which step and key, tick or untick."""

    kind: str  # choice, card, done, command, unknown
    step_id: str = ""
    key: str = ""
    tick: bool = False


UNKNOWN = Press("unknown")


class StepTags:
    """Step ids by their tags, for every step of the flows the engine runs."""

    def __init__(self, step_ids: Iterable[str]) -> None:
        self._steps = {step_tag(step_id): step_id for step_id in step_ids}

    def read(self, data: str | None) -> Press:
        """What a button's data says; UNKNOWN for anything we did not write."""
        parts = (data or "").split(".")
        kind = parts[0]
        if kind == "k" and len(parts) == 2 and parts[1] in COMMANDS:
            return Press("command", key=parts[1])
        if len(parts) < 2 or parts[1] not in self._steps:
            return UNKNOWN
        step_id = self._steps[parts[1]]
        if kind == "c" and len(parts) == 3 and parts[2]:
            return Press("choice", step_id, parts[2])
        if kind == "t" and len(parts) == 4 and parts[2] and parts[3] in ("0", "1"):
            return Press("card", step_id, parts[2], parts[3] == "1")
        if kind == "d" and len(parts) == 2:
            return Press("done", step_id)
        return UNKNOWN
