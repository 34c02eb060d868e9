"""The chat as the page shows it: pure functions from form fields, the engine's result and
transcript lines to log entries, and from a pressed button to one InboundMessage."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from voicebox.bot.messages import (
    MAX_MESSAGE_CHARS,
    ChoiceOption,
    InboundMessage,
    OutboundMessage,
)
from voicebox.bot.results import Question, TurnResult
from voicebox.channels.text import clean_text
from voicebox.flows import Flow, Step
from voicebox.storage.transcripts import TranscriptLine

CHANNEL = "web"
MAX_PAYLOAD = 80
# The buttons every question has, and the words the engine knows them by.
COMMANDS: dict[str, tuple[str, str]] = {
    "back": ("Back", "Go back"),
    "skip": ("Skip", "Skip"),
    "help": ("Help", "Help"),
    "stop": ("Stop", "Stop"),
    "start": ("Start", "Start again"),
}
_SENT_AS = {sent: label for sent, label in COMMANDS.values()}
_NONCE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_PHONE = re.compile(r"\b(0800 ?1111|999)\b")


@dataclass(frozen=True)
class Action:
    """What a person did on the page: pressed a choice, sent words, or a command button."""

    kind: str  # choice, text, command
    value: str  # typed words are whole here, to give back when they are too long

    @property
    def sent(self) -> str:
        """What goes to the engine: at most what any channel sends."""
        return self.value[:MAX_MESSAGE_CHARS]


@dataclass
class Entry:
    """One message in the log."""

    who: str  # bot or you
    text: str
    id: str
    purpose: str = "flow"
    step: str | None = None
    note: bool = False  # a message for this person from the outbox ("You said, we did")
    kept: bool = True  # False for words written before consent, which are not kept
    at: datetime | None = None
    choices: tuple[ChoiceOption, ...] = ()  # only on the question being asked now

    @property
    def current(self) -> bool:
        """True for the question being asked now."""
        return bool(self.choices) or self.purpose == "current"


@dataclass
class MessageGroup:
    """Messages in a row from the same side, shown together."""

    who: str
    entries: list[Entry] = field(default_factory=list)

    @property
    def id(self) -> str:
        """The element id of the turn (focus moves here)."""
        return f"t-{self.entries[0].id}"


def new_id() -> str:
    """A short random element id for a message made in this request."""
    return "n" + secrets.token_hex(5)


def parse_action(form: Mapping[str, str]) -> Action:
    """The button a form post pressed: a command wins, then a choice, else the words sent."""
    command = str(form.get("command", "")).strip().lower()
    if command in COMMANDS:
        return Action("command", command)
    choice = str(form.get("choice", "")).strip()
    if choice:
        return Action("choice", choice[:MAX_PAYLOAD])
    return Action("text", clean_text(str(form.get("text", "")), limit=None))


def letters(text: str) -> int:
    """How many letters of typed words the engine would keep (spaces at the ends do not count)."""
    return len(text.strip())


def counter_text(count: int, limit: int) -> str:
    """The counter under the answer box: how many letters, and the most there can be."""
    if count == 0:
        return f"You can write up to {limit:,} letters."
    if count > limit:
        return f"{count:,} of {limit:,} letters. That is {count - limit:,} too many."
    return f"{count:,} of {limit:,} letters."


def valid_nonce(value: Any) -> str | None:
    """A form's one-time id, when it has the right shape."""
    return value if isinstance(value, str) and _NONCE.match(value) else None


def inbound_for(action: Action, address: str, code: str, nonce: str | None) -> InboundMessage:
    """The engine's message for what the person did."""
    if action.kind == "command":
        text = COMMANDS[action.value][0]
        return InboundMessage(CHANNEL, address, text, message_id=nonce, consultation=code)
    if action.kind == "choice":
        return InboundMessage(
            CHANNEL, address, "", message_id=nonce, payload=action.value, consultation=code
        )
    return InboundMessage(CHANNEL, address, action.sent, message_id=nonce, consultation=code)


def choice_words(step: Step | None, key: str | None) -> str | None:
    """The words of a step's choice, by key."""
    if step is None or not key:
        return None
    return next((c.words for c in step.choices if c.key == key), None)


def you_entry(action: Action, result: TurnResult) -> Entry:
    """What the person did, as their message in the log."""
    if action.kind == "command":
        return Entry("you", COMMANDS[action.value][1], new_id())
    if action.kind == "choice":
        if result.chosen is not None:
            return Entry("you", result.chosen.words, new_id())
        key = action.value.partition(":")[2]  # a button for a question already passed
        return Entry("you", key or action.value, new_id())
    if result.consent != "given":
        return Entry("you", "You wrote a message. It is not kept.", new_id(), kept=False)
    return Entry("you", action.sent, new_id())


def pressed_entry(action: Action, flow: Flow | None) -> Entry:
    """What the person did, as their message in the log, when the engine did not take it
    (the check-in had closed): a choice by its words, typed words as typed."""
    if action.kind == "command":
        return Entry("you", COMMANDS[action.value][1], new_id())
    if action.kind == "choice":
        step_id, _, key = action.value.partition(":")
        steps = flow.steps if flow is not None else {}
        return Entry("you", choice_words(steps.get(step_id), key) or key or action.value, new_id())
    return Entry("you", action.sent.strip() or "You pressed Send.", new_id())


def entries_from_replies(replies: Iterable[OutboundMessage]) -> list[Entry]:
    """The engine's replies as log entries."""
    return [Entry("bot", m.text, new_id(), m.purpose, m.step_id) for m in replies]


def entries_from_transcript(lines: Iterable[TranscriptLine], flow: Flow | None) -> list[Entry]:
    """Kept transcript lines as log entries: a picked choice shown by its words."""
    entries: list[Entry] = []
    steps = flow.steps if flow is not None else {}
    for line in lines:
        if line.direction == "in":
            words = line.text or choice_words(steps.get(line.step or ""), line.choice_key)
            text = _SENT_AS.get(words or "", words or line.choice_key or "")
            if text:
                entries.append(Entry("you", text, f"m{line.id}", at=line.created_at))
            continue
        purpose = line.purpose or "flow"
        entries.append(
            Entry("bot", line.text, f"m{line.id}", purpose, line.step, at=line.created_at)
        )
    return entries


def note_entry(note_id: int, message: OutboundMessage, at: datetime | None) -> Entry:
    """A message from the outbox as a log entry."""
    return Entry("bot", message.text, f"o{note_id}", "notice", note=True, at=at)


def merge_by_time(kept: Sequence[Entry], notes: Sequence[Entry]) -> list[Entry]:
    """Transcript entries and notes in the order they happened."""
    if not notes:
        return list(kept)
    low = datetime.min.replace(tzinfo=None)

    def when(entry: Entry) -> Any:
        at = entry.at
        return at.replace(tzinfo=None) if at is not None else low

    return sorted([*kept, *notes], key=when)


def attach_question(entries: list[Entry], question: Question, always: bool = True) -> None:
    """Mark the question being asked: the last message when it is that question, else add it.

    With always=False the question is added only when the entries hold some other
    message from Voicebox (so an empty answer adds nothing)."""
    for entry in entries:
        if entry.current:
            entry.choices = ()
            if entry.purpose == "current":
                entry.purpose = "flow"
    last = entries[-1] if entries else None
    if last is not None and last.who == "bot" and not last.note and last.step == question.step_id:
        last.choices = question.choices
        last.purpose = "current"
        return
    if not always and not any(e.who == "bot" for e in entries):
        return
    entries.append(
        Entry("bot", question.text, new_id(), "current", question.step_id, choices=question.choices)
    )


def group_turns(entries: Iterable[Entry]) -> list[MessageGroup]:
    """Consecutive messages from the same side, together."""
    groups: list[MessageGroup] = []
    for entry in entries:
        if groups and groups[-1].who == entry.who:
            groups[-1].entries.append(entry)
        else:
            groups.append(MessageGroup(entry.who, [entry]))
    return groups


def speak_text(entry: Entry) -> str:
    """What the Read aloud button says: the message, then the choices to pick from."""
    words = [c.words for c in entry.choices]
    if not words:
        return entry.text
    if len(words) == 1:
        return f"{entry.text} You can choose: {words[0]}."
    return f"{entry.text} You can choose: {', '.join(words[:-1])}, or {words[-1]}."


def phone_parts(text: str) -> list[tuple[str, str | None]]:
    """A message split into plain text and phone numbers to link (tel: numbers)."""
    parts: list[tuple[str, str | None]] = []
    last = 0
    for match in _PHONE.finditer(text):
        parts.append((text[last : match.start()], None))
        parts.append((match.group(0), match.group(0).replace(" ", "")))
        last = match.end()
    parts.append((text[last:], None))
    return [part for part in parts if part[0]]


def to_session(entries: Iterable[Entry], max_chars: int = 1800, max_entries: int = 12) -> list:
    """Entries as small lists for the signed session cookie (newest kept when cut)."""
    rows: list[list[Any]] = []
    total = 0
    for entry in reversed(list(entries)):
        text = entry.text[:600]
        total += len(text)
        if total > max_chars or len(rows) >= max_entries:
            break
        rows.append([entry.who, text, entry.purpose, entry.step, entry.kept])
    return list(reversed(rows))


def from_session(rows: Any) -> list[Entry]:
    """Entries back from the session cookie; anything malformed is dropped."""
    entries: list[Entry] = []
    if not isinstance(rows, list):
        return entries
    for index, row in enumerate(rows):
        if not (isinstance(row, list) and len(row) == 5 and row[0] in ("bot", "you")):
            continue
        who, text, purpose, step, kept = row
        if not isinstance(text, str):
            continue
        purpose = purpose if isinstance(purpose, str) and purpose != "current" else "flow"
        step = step if isinstance(step, str) else None
        entries.append(Entry(who, text, f"s{index}", purpose, step, kept=bool(kept)))
    return entries


def without_choices(entries: Iterable[Entry]) -> list[Entry]:
    """Copies with no question marked as current (for keeping)."""
    return [
        replace(e, choices=(), purpose="flow" if e.purpose == "current" else e.purpose)
        for e in entries
    ]
