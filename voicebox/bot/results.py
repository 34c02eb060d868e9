"""What the engine says happened after one message: every channel renders from this."""

from __future__ import annotations

from dataclasses import dataclass

from voicebox.bot.messages import ChoiceOption, OutboundMessage
from voicebox.bot.state import ConsultationRef


@dataclass(frozen=True)
class Question:
    """The question waiting for an answer: its step, kind, words and choices."""

    step_id: str
    kind: str  # choice (pick one), consent (yes or no, before anything is kept), text
    text: str  # the words as said to the person, topic filled in
    choices: tuple[ChoiceOption, ...] = ()

    @property
    def has_choices(self) -> bool:
        """True when the question is answered by picking one of its choices."""
        return self.kind != "text"

    def choice(self, key: str) -> ChoiceOption | None:
        """The choice with this key, or None."""
        return next((option for option in self.choices if option.key == key), None)


@dataclass(frozen=True)
class TurnResult:
    """One message handled: what to say, the open question, and where the person now is."""

    replies: tuple[OutboundMessage, ...] = ()
    question: Question | None = None  # None when nothing waits for an answer
    consultation: ConsultationRef | None = None  # the check-in the person is in (or named)
    consent: str | None = None  # pending, given or declined; None before any check-in
    ended: bool = False  # the check-in is over (finished, declined or closed)
    opted_out: bool = False  # after STOP: nothing more is sent until START
    started: bool = False  # this message began a new check-in
    chosen: ChoiceOption | None = None  # the choice this message picked, if it picked one
    duplicate: bool = False  # delivered before: nothing changed and nothing is said again
