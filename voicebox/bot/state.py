"""What the engine reads and returns: conversation state, answers, flags, outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from voicebox.bot.messages import ChoiceOption, OutboundMessage


@dataclass(frozen=True)
class ConsultationRef:
    """A consultation as the engine needs it: code, flow and whether it is open."""

    code: str
    flow_id: str
    flow_version: int
    title: str = ""
    open: bool = True
    intro: str = ""  # the group's own words, said before the first question
    opens_on: str = ""  # "Monday 7 December" while the check-in is not open yet


@dataclass
class ConversationState:
    """Where one person is in one check-in; saved after every message."""

    consultation: ConsultationRef
    step: str
    consent: str = "pending"  # pending, given, declined
    ended: bool = False
    retries: int = 0
    topic: str | None = None
    about: str | None = None  # how questions name the topic
    seq: int = 0  # number given to the next answer
    # Questions left behind, oldest first, for BACK: [step, topic, about] as when asked.
    history: list[list[Any]] = field(default_factory=list)
    # The last answer to each question, by answer_slot(): {"seqs", "keys", "text"}.
    given: dict[str, dict[str, Any]] = field(default_factory=dict)

    def vars(self) -> dict[str, Any]:
        """The fields kept as JSON by a store."""
        return {
            "retries": self.retries,
            "topic": self.topic,
            "about": self.about,
            "seq": self.seq,
            "history": self.history,
            "given": self.given,
        }

    @classmethod
    def restore(
        cls,
        consultation: ConsultationRef,
        step: str,
        consent: str,
        ended: bool,
        data: dict[str, Any] | None,
    ) -> ConversationState:
        """Rebuild a state from a store's columns and JSON."""
        data = data or {}
        return cls(
            consultation=consultation,
            step=step,
            consent=consent,
            ended=ended,
            retries=int(data.get("retries", 0)),
            topic=data.get("topic"),
            about=data.get("about"),
            seq=int(data.get("seq", 0)),
            history=[_history_entry(entry) for entry in data.get("history", [])],
            given=dict(data.get("given", {})),
        )


def answer_slot(step: str, topic: str | None) -> str:
    """Where a question's last answer is kept: the same question about the same topic."""
    return f"{step}|{topic or ''}"


def _history_entry(entry: list[Any]) -> list[Any]:
    """A history entry; entries saved before 2026-11 also held an answer number."""
    if len(entry) == 4:
        step, _seq, topic, about = entry
        return [step, topic, about]
    return list(entry)


@dataclass(frozen=True)
class Participant:
    """The person as the engine sees them: never their address."""

    pseudonym: str
    opted_out: bool = False


@dataclass(frozen=True)
class Answer:
    """One answer, as a flat row of the export."""

    seq: int
    question_id: str
    question: str
    answer: str
    answer_key: str
    kind: str
    topic: str


@dataclass(frozen=True)
class Flag:
    """A safeguarding match: a person must read this conversation."""

    category: str
    phrase: str
    step_id: str | None


@dataclass
class Outcome:
    """What one inbound message changed, and what to say back."""

    replies: list[OutboundMessage] = field(default_factory=list)
    conversation: ConversationState | None = None  # the state to keep (new or changed)
    started: bool = False  # conversation is a new check-in
    answers: list[Answer] = field(default_factory=list)
    retracted: list[int] = field(default_factory=list)  # answer seqs taken back by BACK
    flags: list[Flag] = field(default_factory=list)
    opted_out: bool | None = None  # True after STOP, False after START
    report_back: bool | None = None
    in_reply_to: str | None = None  # the question the message was read as an answer to
    chosen: ChoiceOption | None = None  # the choice it picked, as the person saw it
    chosen_cards: tuple[ChoiceOption, ...] = ()  # the cards it picked
    forget: bool = False  # the person said no at consent: keep nothing of this check-in
