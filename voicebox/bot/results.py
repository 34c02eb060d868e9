"""What the engine says happened after one message: every channel renders from this."""

from __future__ import annotations

from dataclasses import dataclass

from voicebox.bot.messages import ChoiceOption, OutboundMessage
from voicebox.bot.state import ConsultationRef


@dataclass(frozen=True)
class Question:
    """The question waiting for an answer: its step, kind, words and choices."""

    step_id: str
    # choice (pick one), consent (yes or no, before anything is kept), cards (pick one or
    # more, then Done, with optional words), text
    kind: str
    text: str  # the question as said on this channel, topic filled in
    choices: tuple[ChoiceOption, ...] = ()
    hint: str = ""  # how to answer by text (SMS, terminal); channels with buttons leave it out
    earlier: tuple[str, ...] = ()  # keys chosen when this was answered before (after BACK)
    earlier_text: str = ""  # words given when this was answered before

    @property
    def has_choices(self) -> bool:
        """True when the question is answered by picking exactly one of its choices."""
        return self.kind in ("choice", "consent")

    @property
    def is_cards(self) -> bool:
        """True when the question is answered by picking one or more cards, then Done."""
        return self.kind == "cards"

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
    chosen_cards: tuple[ChoiceOption, ...] = ()  # the cards this message picked
    duplicate: bool = False  # delivered before: nothing changed and nothing is said again
    # A duplicate: the replies the first delivery got (kept for a day, for channels that
    # answer in the request), so a channel can say them again when its answer was lost.
    earlier_replies: tuple[OutboundMessage, ...] = ()
