"""Structural checks of a flow: targets, reachability, ends, ids and choices."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass

from voicebox.flows.model import ANSWER_KINDS, RECORDS, Flow, Step

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_ID_LENGTH = 32
MAX_CHOICES = 6


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a flow, said in one line."""

    flow: str
    step: str | None
    message: str

    def __str__(self) -> str:
        where = f" step '{self.step}'" if self.step else ""
        return f"{self.flow}:{where}: {self.message}" if where else f"{self.flow}: {self.message}"


def _id_problem(what: str, value: str) -> str | None:
    if len(value) > MAX_ID_LENGTH:
        return f"{what} '{value}' is longer than {MAX_ID_LENGTH} characters"
    if not ID_PATTERN.match(value):
        return f"{what} '{value}' must be snake_case (a-z, 0-9 and _)"
    return None


def structural_problems(flow: Flow) -> list[Problem]:
    """Every structural problem in the flow, in file order."""
    problems: list[Problem] = []

    def add(step: Step | None, message: str) -> None:
        problems.append(Problem(flow.source or flow.id, step.id if step else None, message))

    if (msg := _id_problem("flow id", flow.id)) is not None:
        add(None, msg)
    if flow.start not in flow.steps:
        add(None, f"start step '{flow.start}' does not exist")
    for step in flow.steps.values():
        _step_problems(flow, step, add)
    if flow.start in flow.steps:
        reachable = _reachable(flow)
        for step in flow.steps.values():
            if step.id not in reachable:
                add(step, "cannot be reached from the start")
        ending = _can_end(flow)
        for step in flow.steps.values():
            if step.id in reachable and step.id not in ending:
                add(step, "has no path to an end step")
    return problems


def _step_problems(flow: Flow, step: Step, add) -> None:  # noqa: ANN001 - local callback
    if (msg := _id_problem("step id", step.id)) is not None:
        add(step, msg)
    if not step.text:
        add(step, "has no words to say")
    for target in step.targets():
        if target not in flow.steps:
            add(step, f"goes to '{target}', which is not a step")
    if step.is_end:
        if step.targets():
            add(step, "is an end step, so it cannot go anywhere")
        return
    if step.type in ("say", "text") and not step.next:
        add(step, "needs 'next'")
    if step.kind is not None and step.kind not in ANSWER_KINDS:
        add(step, f"kind '{step.kind}' is not one of {', '.join(ANSWER_KINDS)}")
    if step.records is not None and step.records not in RECORDS:
        add(step, f"records '{step.records}' is not one of {', '.join(RECORDS)}")
    if not step.has_choices:
        return
    if not step.choices:
        add(step, "has no choices")
    if len(step.choices) > MAX_CHOICES:
        add(step, f"has {len(step.choices)} choices; {MAX_CHOICES} is the most")
    if step.type == "consent" and {c.key for c in step.choices} != {"yes", "no"}:
        add(step, "a consent step needs exactly the choices 'yes' and 'no'")
    seen: set[str] = set()
    for choice in step.choices:
        if (msg := _id_problem("choice key", choice.key)) is not None:
            add(step, msg)
        if choice.key in seen:
            add(step, f"choice key '{choice.key}' is used twice")
        seen.add(choice.key)
        if not choice.words:
            add(step, f"choice '{choice.key}' has no words")
        if choice.symbol is None or not choice.symbol.emoji or not choice.symbol.picture:
            add(step, f"choice '{choice.key}' needs a symbol with an emoji and a picture")
        if step.type != "consent" and not step.target_for(choice):
            add(step, f"choice '{choice.key}' has no 'next' and the step has none")


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


def _can_end(flow: Flow) -> set[str]:
    """Steps from which some path reaches an end step."""
    ending = {step.id for step in flow.steps.values() if step.is_end}
    changed = True
    while changed:
        changed = False
        for step in flow.steps.values():
            if step.id not in ending and any(t in ending for t in step.targets()):
                ending.add(step.id)
                changed = True
    return ending
