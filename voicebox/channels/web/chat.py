"""The chat as the page shows it: pure functions from form fields, the engine's result and
transcript lines to log entries, and from a pressed button to one InboundMessage."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from voicebox.bot.engine import choice_option
from voicebox.bot.messages import (
    MAX_MESSAGE_CHARS,
    ChoiceOption,
    InboundMessage,
    OutboundMessage,
    read_payload,
)
from voicebox.bot.results import Question, TurnResult
from voicebox.channels.text import clean_text
from voicebox.flows import Flow, Step
from voicebox.storage.transcripts import TranscriptLine

CHANNEL = "web"
MAX_PAYLOAD = 80
MAX_CARDS_PAYLOAD = 600  # "<step_id>:<key>,<key>...": a step id and up to 8 keys of 32
# The buttons every question has, and the words the engine knows them by.
COMMANDS: dict[str, tuple[str, str]] = {
    "back": ("Back", "Go back"),
    "skip": ("Skip", "Skip"),
    "help": ("Help", "Help"),
    "stop": ("Stop", "Stop"),
    "start": ("Start", "Start again"),
}
_SENT_AS = {sent: label for sent, label in COMMANDS.values()}
DONE = "Done"  # the button under cards, and what the log shows when nothing was chosen
_NONCE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_PHONE = re.compile(r"\b(0800 ?1111|999)\b")


@dataclass(frozen=True)
class Action:
    """What a person did on the page: pressed a choice, sent words, a command button, pressed
    a card (without the script: the page comes back with it pressed) or Done under cards."""

    kind: str  # choice, text, command, card, cards
    value: str  # text: the words; choice: its payload; card: "+key" or "-key"; cards: payload
    words: str = ""  # cards and card: the "Tell us more" words
    pressed: str = ""  # card: the cards pressed before, as "<step_id>:<key>,<key>"

    @property
    def typed(self) -> str:
        """The words typed, whole (to give back when they are too long)."""
        return self.value if self.kind == "text" else self.words

    @property
    def sent(self) -> str:
        """The typed words that go to the engine: at most what any channel sends."""
        return self.typed[:MAX_MESSAGE_CHARS]


@dataclass(frozen=True)
class Draft:
    """An answer not sent yet, drawn back into the form: cards pressed and words typed.

    `step` None fits whatever question is open (typed words given back as too long)."""

    keys: tuple[str, ...] = ()
    text: str = ""
    step: str | None = None
    focus: str | None = None  # the card just pressed, to put focus back on

    def fits(self, question: Question) -> bool:
        """True when this draft is an answer to this question."""
        return self.step is None or self.step == question.step_id


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
    many: bool = False  # the question being asked takes one or more cards
    cards: tuple[ChoiceOption, ...] = ()  # the cards a person's message chose

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
    """The button a form post pressed: a command wins, then a choice, a card, Done under
    cards, else the words sent."""
    command = str(form.get("command", "")).strip().lower()
    if command in COMMANDS:
        return Action("command", command)
    choice = str(form.get("choice", "")).strip()
    if choice:
        return Action("choice", choice[:MAX_PAYLOAD])
    typed = clean_text(str(form.get("text", "")), limit=None)
    pressed = str(form.get("cards", "")).strip()[:MAX_CARDS_PAYLOAD]
    card = str(form.get("card", "")).strip()
    if card[:1] in ("+", "-") and len(card) > 1:
        return Action("card", card[:MAX_PAYLOAD], typed, pressed)
    if form.get("done") is not None and pressed:
        return Action("cards", pressed, typed)
    return Action("text", typed)


def pressed_cards(action: Action) -> Draft:
    """The cards pressed after a card's press without the script (and the words typed)."""
    step, keys = read_payload(action.pressed)
    key = action.value[1:]
    if action.value.startswith("+") and key not in keys:
        keys.append(key)
    elif action.value.startswith("-") and key in keys:
        keys.remove(key)
    return Draft(tuple(keys), action.words, step or None, key)


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


def message_id(address: str, nonce: str | None) -> str | None:
    """The id a form post is known by for duplicates: its nonce, for this visitor only.

    Ids are unique per channel, so a bare nonce one visitor used (a cached or shared page)
    would swallow another visitor's answer. A hash of the visitor's address and the nonce
    is theirs alone, fits the column, and does not show the address."""
    if nonce is None:
        return None
    return hashlib.sha256(f"{address}\n{nonce}".encode()).hexdigest()


def inbound_for(action: Action, address: str, code: str, nonce: str | None) -> InboundMessage:
    """The engine's message for what the person did (the page has buttons: "press Skip").

    The page showed the check-in's opening before anything was stored, so a first message
    answers it; only Start again begins the check-in from its opening words."""
    text, payload = action.sent, None
    if action.kind == "command":
        text = COMMANDS[action.value][0]
    elif action.kind in ("choice", "cards"):
        payload = action.value
    return InboundMessage(
        CHANNEL,
        address,
        text,
        message_id=message_id(address, nonce),
        payload=payload,
        consultation=code,
        buttons=True,
        opening_shown=not (action.kind == "command" and action.value == "start"),
    )


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
    if action.kind == "cards":
        words = action.sent.strip()
        if result.chosen_cards or words:
            return Entry("you", words, new_id(), cards=result.chosen_cards)
        return Entry("you", DONE, new_id())
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
    if action.kind == "cards":
        step_id, keys = read_payload(action.value)
        step = flow.steps.get(step_id) if flow is not None else None
        cards = step_cards(step, keys)
        words = action.sent.strip()
        return Entry("you", words if cards or words else DONE, new_id(), cards=cards)
    return Entry("you", action.sent.strip() or "You pressed Send.", new_id())


def step_cards(step: Step | None, keys: Iterable[str]) -> tuple[ChoiceOption, ...]:
    """A step's cards with these keys, in the order given, as the page shows them."""
    if step is None:
        return ()
    by_key = {card.key: card for card in step.choices}
    return tuple(choice_option(step, by_key[key]) for key in keys if key in by_key)


def entries_from_replies(replies: Iterable[OutboundMessage]) -> list[Entry]:
    """The engine's replies as log entries."""
    return [Entry("bot", m.text, new_id(), m.purpose, m.step_id) for m in replies]


def entries_from_transcript(lines: Iterable[TranscriptLine], flow: Flow | None) -> list[Entry]:
    """Kept transcript lines as log entries: a picked choice shown by its words."""
    entries: list[Entry] = []
    steps = flow.steps if flow is not None else {}
    for line in lines:
        if line.direction == "in":
            step = steps.get(line.step or "")
            if step is not None and step.is_cards:  # cards, words, or Done with nothing
                cards = step_cards(step, (line.choice_key or "").split(","))
                text = line.text if cards else _SENT_AS.get(line.text, line.text) or DONE
                entries.append(Entry("you", text, f"m{line.id}", at=line.created_at, cards=cards))
                continue
            words = line.text or choice_words(step, line.choice_key)
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
            entry.choices, entry.many = (), False
            if entry.purpose == "current":
                entry.purpose = "flow"
    last = entries[-1] if entries else None
    if last is not None and last.who == "bot" and not last.note and last.step == question.step_id:
        last.choices, last.many = question.choices, question.is_cards
        last.purpose = "current"
        return
    if not always and not any(e.who == "bot" for e in entries):
        return
    entries.append(
        Entry(
            "bot",
            question.text,
            new_id(),
            "current",
            question.step_id,
            choices=question.choices,
            many=question.is_cards,
        )
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
    choose = "You can choose one or more" if entry.many else "You can choose"
    if len(words) == 1:
        return f"{entry.text} {choose}: {words[0]}."
    joined = ", ".join(words[:-1])
    return f"{entry.text} {choose}: {joined}, or {words[-1]}."


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
        replace(e, choices=(), many=False, purpose="flow" if e.purpose == "current" else e.purpose)
        for e in entries
    ]
