"""Structural checks: a broken exit is reported once, not again for what it cuts off."""

from __future__ import annotations

import pytest

from voicebox.flows import structural_problems
from voicebox.flows.loader import parse_flow

CHOICE = """  - id: {id}
    choice: Do you like it?
    choices:
      - key: "yes"
        words: "Yes"
        symbol: {{emoji: "✅", picture: "yes"}}{yes}
      - key: "no"
        words: "No"
        symbol: {{emoji: "❌", picture: "no"}}{no}
"""


def _flow(steps: str, start: str = "a") -> str:
    return f"id: tiny\nversion: 1\nstart: {start}\nsteps:\n{steps}"


def _say(step_id: str, next_step: str | None) -> str:
    line = f"  - id: {step_id}\n    say: Hello.\n"
    return line + (f"    next: {next_step}\n" if next_step else "")


def _ask(step_id: str, yes: str | None, no: str | None) -> str:
    """A choice step; a choice's next is left out when it is None."""
    yes_next = f"\n        next: {yes}" if yes else ""
    no_next = f"\n        next: {no}" if no else ""
    return CHOICE.format(id=step_id, yes=yes_next, no=no_next)


END = "  - id: e\n    end: Thank you.\n"
CHAIN = _say("b", "c") + _say("c", "d") + _say("d", "e") + END

# Each flow has one mistake in a way out, which cuts the steps after it off and leaves the
# steps before it with no way to an end. The old checker gave a line for each of those
# steps; now only the mistake is said.
CAUSE_ONCE = [
    (
        "a-next-is-a-typo-then-b-c-d",
        _say("a", "bb") + CHAIN,
        ["step 'a': goes to 'bb', which is not a step"],
    ),
    (
        "typo-between-steps-before-and-after",
        _say("a", "b") + _say("b", "cc") + _say("c", "d") + _say("d", "e") + END,
        ["step 'b': goes to 'cc', which is not a step"],
    ),
    (
        "say-without-next",
        _say("a", "b") + _say("b", None) + _say("c", "d") + _say("d", "e") + END,
        ["step 'b': needs 'next'"],
    ),
    (
        "both-choices-go-to-a-typo",
        _ask("a", "bb", "bb") + CHAIN,
        ["step 'a': goes to 'bb', which is not a step"],
    ),
    (
        "choices-without-next",
        _say("a", "q") + _ask("q", None, None) + CHAIN,
        [
            "step 'q': choice 'yes' has no 'next' and the step has none",
            "step 'q': choice 'no' has no 'next' and the step has none",
        ],
    ),
    (
        "choice-step-without-choices",
        _say("a", "q") + "  - id: q\n    choice: Do you like it?\n" + CHAIN,
        ["step 'q': has no choices"],
    ),
    (
        "start-is-not-a-step",
        _say("a", "b") + CHAIN,
        ["start step 'x' does not exist"],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [(text, expected) for _, text, expected in CAUSE_ONCE],
    ids=[name for name, _, _ in CAUSE_ONCE],
)
def test_a_broken_exit_is_reported_once(text, expected):
    """One mistake in a way out: exactly its line(s), none for the steps it cuts off."""
    start = "x" if expected[0].startswith("start step") else "a"
    flow = parse_flow(_flow(text, start), source="f.yaml", check=False)
    assert [str(problem) for problem in structural_problems(flow)] == [
        f"f.yaml: {line}" for line in expected
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # b and c loop for ever: mending a's typo would not give them a way out
            _say("a", "bb") + _say("b", "c") + _say("c", "b") + END,
            [
                "step 'a': goes to 'bb', which is not a step",
                "step 'b': has no path to an end step",
                "step 'c': has no path to an end step",
            ],
        ),
        (  # nobody reaches z, so its typo cannot be why b and c are not reached either
            _say("a", "e") + END + _say("z", "zz") + _say("b", "c") + _say("c", "e"),
            [
                "step 'z': goes to 'zz', which is not a step",
                "step 'z': cannot be reached from the start",
                "step 'b': cannot be reached from the start",
                "step 'c': cannot be reached from the start",
            ],
        ),
        (  # with no broken exit, every unreachable step and dead end is still said
            _say("a", "b") + _say("b", "a") + END,
            [
                "step 'e': cannot be reached from the start",
                "step 'a': has no path to an end step",
                "step 'b': has no path to an end step",
            ],
        ),
    ],
    ids=["loop-behind-a-typo", "typo-on-an-unreachable-step", "no-broken-exit"],
)
def test_what_a_broken_exit_cannot_explain_is_still_said(text, expected):
    """The rule hides only lines that mending the broken exit could take away."""
    flow = parse_flow(_flow(text), source="f.yaml", check=False)
    assert [str(problem) for problem in structural_problems(flow)] == [
        f"f.yaml: {line}" for line in expected
    ]


def _cards(count: int, extra: str = "", step_next: str | None = "e") -> str:
    lines = ["  - id: a", "    cards: What is good?", "    kind: top"]
    if step_next:
        lines.append(f"    next: {step_next}")
    lines.append("    choices:")
    for number in range(count):
        lines.append(f"      - key: card_{number}")
        lines.append(f"        words: Card {number}")
        lines.append('        symbol: {emoji: "🙂", picture: "good"}')
    return "\n".join(lines) + "\n" + extra + END


def test_a_sound_cards_step_has_no_problems():
    """Eight cards, each with words and a picture, and a 'next': nothing to say."""
    assert structural_problems(parse_flow(_flow(_cards(8)), check=False)) == []


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        (_cards(9), "step 'a': has 9 choices; 8 is the most"),
        (_cards(3, step_next=None), "step 'a': needs 'next'"),
        (
            _cards(2).replace("words: Card 1\n", "words: Card 1\n        next: e\n"),
            "step 'a': card 'card_1' cannot have 'next' or 'topic'",
        ),
        (
            _cards(2).replace("        words: Card 0\n", "        words: ''\n"),
            "step 'a': choice 'card_0' has no words",
        ),
        (
            _cards(2).replace('picture: "good"', 'picture: ""', 1),
            "step 'a': choice 'card_0' needs a symbol with an emoji and a picture",
        ),
        (
            "  - id: a\n    say: Hi.\n    sets_topic: true\n    next: e\n" + END,
            "step 'a': only a text step can set the topic",
        ),
    ],
    ids=["nine-cards", "no-next", "card-with-next", "card-without-words", "no-picture", "topic"],
)
def test_cards_steps_are_checked(steps, expected):
    """Each mistake a cards step can have is one line that names the step."""
    problems = [str(p) for p in structural_problems(parse_flow(_flow(steps), check=False))]
    assert problems == [f"<text>: {expected}"]
