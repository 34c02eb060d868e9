"""Structural checks of a flow: targets, reachability, ends, ids and choices.

One mistake, one line. A *broken exit* is a way out of a step that is written wrong: it
goes to a step that does not exist, a say or text step or a choice has no 'next', or a
step that offers choices has none. Until it is mended nobody knows where it was meant to
go, so it may be the very link that reaches the steps after it or leads on to an end.
The rule: while a flow has a broken exit, the reachability and end lines it can explain
are left out, and only the broken exit is reported.

- A step with a broken exit counts as able to get to an end (the mended exit may go to
  one), and so does every step that can get to it: no "has no path to an end step" for
  the broken step or the steps before it.
- When a step that can be reached has a broken exit, every step counts as reachable (the
  mended exit may go to any of them): no "cannot be reached from the start" for the steps
  cut off behind it.
- What no mended exit could change is still reported: a loop with no way out has no path
  to an end, and a broken exit on a step nobody reaches hides no unreachable steps.

So a typo in one 'next' gives one line, whatever it cuts off; once it is mended, the next
check says anything it was hiding. Loading a flow (loader.py) refuses on these same
problems, so load time and `voicebox flows check` always agree.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from voicebox.flows.model import ANSWER_KINDS, RECORDS, Flow, Step

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_ID_LENGTH = 32
MAX_CHOICES = 6
MAX_CARDS = 8  # a person scans every card before pressing Done: more is too many to hold


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a flow, said in one line."""

    flow: str
    step: str | None
    message: str

    def __str__(self) -> str:
        where = f" step '{self.step}'" if self.step else ""
        return f"{self.flow}:{where}: {self.message}" if where else f"{self.flow}: {self.message}"


@dataclass
class _Findings:
    """The problems found so far, and which steps have a broken exit."""

    flow: Flow
    problems: list[Problem] = field(default_factory=list)
    broken_exits: set[str] = field(default_factory=set)

    def add(self, step: Step | None, message: str) -> None:
        where = self.flow.source or self.flow.id
        self.problems.append(Problem(where, step.id if step else None, message))

    def broken_exit(self, step: Step, message: str) -> None:
        """A way out of the step is missing or goes nowhere (see the module's rule)."""
        self.add(step, message)
        if not step.is_end:
            self.broken_exits.add(step.id)


def _id_problem(what: str, value: str) -> str | None:
    if len(value) > MAX_ID_LENGTH:
        return f"{what} '{value}' is longer than {MAX_ID_LENGTH} characters"
    if not ID_PATTERN.match(value):
        return f"{what} '{value}' must be snake_case (a-z, 0-9 and _)"
    return None


def structural_problems(flow: Flow) -> list[Problem]:
    """Every structural problem in the flow, in file order, each mistake once."""
    found = _Findings(flow)
    if (msg := _id_problem("flow id", flow.id)) is not None:
        found.add(None, msg)
    if flow.start not in flow.steps:
        # Nothing can be reached from a start that is not there: this one line says it.
        found.add(None, f"start step '{flow.start}' does not exist")
    for step in flow.steps.values():
        _step_problems(flow, step, found)
    if flow.start in flow.steps:
        reachable = _reachable(flow)
        if reachable & found.broken_exits:
            reachable = set(flow.steps)  # the mended exit may go to any step
        for step in flow.steps.values():
            if step.id not in reachable:
                found.add(step, "cannot be reached from the start")
        ending = _can_end(flow, found.broken_exits)
        for step in flow.steps.values():
            if step.id in reachable and step.id not in ending:
                found.add(step, "has no path to an end step")
    return found.problems


def _step_problems(flow: Flow, step: Step, found: _Findings) -> None:
    if (msg := _id_problem("step id", step.id)) is not None:
        found.add(step, msg)
    if not step.text:
        found.add(step, "has no words to say")
    for target in step.targets():
        if target not in flow.steps:
            found.broken_exit(step, f"goes to '{target}', which is not a step")
    if step.is_end:
        if step.targets():
            found.add(step, "is an end step, so it cannot go anywhere")
        return
    if step.type in ("say", "text", "cards") and not step.next:
        found.broken_exit(step, "needs 'next'")
    if step.sets_topic and step.type != "text":
        found.add(step, "only a text step can set the topic")
    if step.kind is not None and step.kind not in ANSWER_KINDS:
        found.add(step, f"kind '{step.kind}' is not one of {', '.join(ANSWER_KINDS)}")
    if step.records is not None and step.records not in RECORDS:
        found.add(step, f"records '{step.records}' is not one of {', '.join(RECORDS)}")
    if not step.has_options:
        return
    if not step.choices:
        found.broken_exit(step, "has no choices")
    most = MAX_CARDS if step.is_cards else MAX_CHOICES
    if len(step.choices) > most:
        found.add(step, f"has {len(step.choices)} choices; {most} is the most")
    if step.type == "consent" and {c.key for c in step.choices} != {"yes", "no"}:
        found.add(step, "a consent step needs exactly the choices 'yes' and 'no'")
    seen: set[str] = set()
    for choice in step.choices:
        if (msg := _id_problem("choice key", choice.key)) is not None:
            found.add(step, msg)
        if choice.key in seen:
            found.add(step, f"choice key '{choice.key}' is used twice")
        seen.add(choice.key)
        if not choice.words:
            found.add(step, f"choice '{choice.key}' has no words")
        if choice.symbol is None or not choice.symbol.emoji or not choice.symbol.picture:
            found.add(step, f"choice '{choice.key}' needs a symbol with an emoji and a picture")
        if step.is_cards and (choice.next or choice.topic):
            found.add(step, f"card '{choice.key}' cannot have 'next' or 'topic'")
        elif step.type not in ("consent", "cards") and not step.target_for(choice):
            found.broken_exit(step, f"choice '{choice.key}' has no 'next' and the step has none")


def _reachable(flow: Flow) -> set[str]:
    seen = {flow.start}
    queue = deque([flow.start])
    while queue:
        step = flow.steps.get(queue.popleft())
        if step is None:
            continue
        for target in step.targets():
            if target in flow.steps and target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def _can_end(flow: Flow, broken_exits: Iterable[str] = ()) -> set[str]:
    """Steps from which some path reaches an end step, or a broken exit (which may)."""
    ending = {step.id for step in flow.steps.values() if step.is_end} | set(broken_exits)
    changed = True
    while changed:
        changed = False
        for step in flow.steps.values():
            if step.id not in ending and any(t in ending for t in step.targets()):
                ending.add(step.id)
                changed = True
    return ending
