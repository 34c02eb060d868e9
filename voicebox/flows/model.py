"""The flow data model: a flow is steps; a step says, asks, or ends."""

from __future__ import annotations

from dataclasses import dataclass, field

STEP_TYPES = ("say", "choice", "scale", "cards", "text", "consent", "end")
QUESTION_TYPES = ("choice", "scale", "cards", "text", "consent")
CHOICE_TYPES = ("choice", "scale", "consent")  # pick exactly one
OPTION_TYPES = (*CHOICE_TYPES, "cards")  # steps that list options (cards: pick one or more)
ANSWER_KINDS = ("top", "pants", "better", "feeling", "choice", "text")
RECORDS = ("report_back",)


@dataclass(frozen=True)
class Symbol:
    """The picture beside a choice: an emoji for text channels and a picture file id."""

    emoji: str
    picture: str


@dataclass(frozen=True)
class Choice:
    """One option of a choice step."""

    key: str
    words: str
    also: tuple[str, ...] = ()
    symbol: Symbol | None = None
    next: str | None = None
    topic: str | None = None  # choosing this sets the topic; the value is how questions name it


@dataclass(frozen=True)
class Step:
    """One node of a flow."""

    id: str
    type: str
    text: str
    next: str | None = None
    skip: str | None = None
    kind: str | None = None
    topic: str | None = None
    records: str | None = None
    keep: bool = True  # False for steps that only steer (which topic, another round?)
    hint: str | None = None  # for text channels only (SMS, terminal): how to answer or skip
    sets_topic: bool = False  # a text step whose answer names the topic ("something else")
    choices: tuple[Choice, ...] = ()
    line: int = 0

    @property
    def is_question(self) -> bool:
        """True when the step waits for an answer."""
        return self.type in QUESTION_TYPES

    @property
    def has_choices(self) -> bool:
        """True when the step is answered by picking exactly one of its options."""
        return self.type in CHOICE_TYPES

    @property
    def has_options(self) -> bool:
        """True when the step lists options: choices, or cards to pick one or more of."""
        return self.type in OPTION_TYPES

    @property
    def is_cards(self) -> bool:
        """True when the step is answered by picking one or more symbol cards."""
        return self.type == "cards"

    @property
    def is_end(self) -> bool:
        """True for a final step."""
        return self.type == "end"

    @property
    def keeps_answer(self) -> bool:
        """True when an answer to this step is feedback to keep (not consent or a setting)."""
        return (
            self.keep and self.type in ("choice", "scale", "cards", "text") and self.records is None
        )

    @property
    def full_text(self) -> str:
        """The question and its hint, as said to a person."""
        return f"{self.text} {self.hint}" if self.hint else self.text

    def targets(self) -> list[str]:
        """Every step id this step can lead to, in order, without repeats."""
        found: list[str] = []
        for target in [self.next, self.skip, *(c.next for c in self.choices)]:
            if target and target not in found:
                found.append(target)
        return found

    def skip_target(self) -> str | None:
        """Where SKIP goes: the step's skip, else its next, else its first choice's next."""
        if self.skip:
            return self.skip
        if self.next:
            return self.next
        for choice in self.choices:
            if choice.next:
                return choice.next
        return None

    def target_for(self, choice: Choice) -> str | None:
        """Where answering with this choice goes."""
        return choice.next or self.next


@dataclass(frozen=True)
class Flow:
    """A check-in: an id, a version and its steps, starting at `start`."""

    id: str
    version: int
    title: str
    start: str
    steps: dict[str, Step] = field(default_factory=dict)
    source: str = ""
    language: str = "en"
    help: str = ""  # one sentence HELP starts with: what this check-in asks about

    def step(self, step_id: str) -> Step:
        """The step with this id (KeyError when there is none)."""
        return self.steps[step_id]
