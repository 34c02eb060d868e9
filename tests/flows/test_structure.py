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
