"""Read flow files (YAML) into Flow objects, with clear one-line errors.

A flow with a structural problem (structure.py) is refused when it is loaded, with the
same line `voicebox flows check` prints for it; `check=False` reads it anyway, for the
checker, which lists every problem.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import yaml

from voicebox.flows.model import OPTION_TYPES, STEP_TYPES, Choice, Flow, Step, Symbol
from voicebox.flows.structure import Problem, structural_problems

BUILTIN_DIR = Path(__file__).parent / "builtin"


class FlowError(ValueError):
    """A flow file that cannot be read or used; the message is one human line.

    `problems` holds the structural problems when that is why the flow was refused.
    """

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


class _FlowYamlLoader(yaml.SafeLoader):
    """YAML 1.2-style booleans (only true/false), so `key: yes` stays the word yes."""


_FlowYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_FlowYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[object, object]:
    """Build a mapping, refusing repeated keys and remembering the line it starts on."""
    loader.flatten_mapping(node)
    result: dict[object, object] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise FlowError(f"line {key_node.start_mark.line + 1}: '{key}' is written twice")
        result[key] = loader.construct_object(value_node, deep=True)
    result["__line__"] = node.start_mark.line + 1
    return result


_FlowYamlLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def builtin_flow_paths() -> list[Path]:
    """The flow files that ship with Voicebox."""
    return sorted(BUILTIN_DIR.glob("*.yaml"))


def load_builtin_flows() -> dict[str, Flow]:
    """Every built-in flow, by id (FlowError when one has a problem)."""
    return {flow.id: flow for flow in (load_flow(path) for path in builtin_flow_paths())}


def refusal(problems: Sequence[Problem]) -> str:
    """The one line a refused flow gives: its first problem, and how many more there are."""
    first, more = str(problems[0]), len(problems) - 1
    if not more:
        return first
    noun = "problem" if more == 1 else "problems"
    return f"{first} (and {more} more {noun}: run voicebox flows check)"


def check_structure(flow: Flow) -> Flow:
    """The flow itself when its structure is sound; else FlowError with its refusal line."""
    problems = structural_problems(flow)
    if problems:
        raise FlowError(refusal(problems), problems)
    return flow


def load_flow(path: str | Path, *, check: bool = True) -> Flow:
    """Read one flow file; raise FlowError with a one-line reason when it cannot be read.

    With `check` (the default) a flow with a structural problem is refused too; the
    message is the line `voicebox flows check` gives for its first problem.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FlowError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowError(f"{path}: cannot read the file ({exc.__class__.__name__})") from None
    try:
        flow = parse_flow(text, source=str(path), check=False)
    except FlowError as exc:
        raise FlowError(f"{path}: {exc}") from None
    # Outside the try: a structural problem's line already starts with the path.
    return check_structure(flow) if check else flow


def parse_flow(text: str, source: str = "<text>", *, check: bool = True) -> Flow:
    """Parse flow YAML text into a Flow; with `check`, refuse one with a structural problem."""
    flow = _parse(text, source)
    return check_structure(flow) if check else flow


def _parse(text: str, source: str) -> Flow:
    try:
        # _FlowYamlLoader is a SafeLoader subclass: it builds plain data, never objects.
        data: object = yaml.load(text, Loader=_FlowYamlLoader)  # noqa: S506
    except FlowError:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise FlowError(f"{where}{problem}") from None
    if not isinstance(data, dict):
        raise FlowError("a flow file must be a mapping with id, version, start and steps")
    for required in ("id", "version", "steps"):
        if required not in data:
            raise FlowError(f"the flow has no '{required}'")
    raw_steps = data["steps"]
    if not isinstance(raw_steps, list) or not raw_steps:
        raise FlowError("'steps' must be a list of steps")
    steps: dict[str, Step] = {}
    for raw in raw_steps:
        step = _parse_step(raw)
        if step.id in steps:
            raise FlowError(f"line {step.line}: step id '{step.id}' is used twice")
        steps[step.id] = step
    try:
        version = int(data["version"])
    except (TypeError, ValueError):
        raise FlowError("'version' must be a whole number") from None
    start = str(data.get("start") or next(iter(steps)))
    return Flow(
        id=str(data["id"]),
        version=version,
        title=str(data.get("title") or data["id"]),
        start=start,
        steps=steps,
        source=source,
        language=str(data.get("language") or "en"),
        help=" ".join(str(data.get("help") or "").split()),
    )


def _parse_step(raw: object) -> Step:
    if not isinstance(raw, dict):
        raise FlowError(f"each step must be a mapping, not {raw!r}")
    line = raw.get("__line__", 0)
    if "id" not in raw:
        raise FlowError(f"line {line}: a step has no id")
    step_id = str(raw["id"])
    types = [name for name in STEP_TYPES if name in raw]
    if len(types) != 1:
        kinds = ", ".join(STEP_TYPES)
        raise FlowError(f"line {line}: step '{step_id}' needs exactly one of: {kinds}")
    step_type = types[0]
    text = raw[step_type]
    if isinstance(text, list):
        text = " ".join(str(part) for part in text)
    choices: tuple[Choice, ...] = ()
    if step_type in OPTION_TYPES:
        raw_choices = raw.get("choices") or []
        if not isinstance(raw_choices, list):
            raise FlowError(f"line {line}: 'choices' of step '{step_id}' must be a list")
        choices = tuple(_parse_choice(step_id, c) for c in raw_choices)
    elif "choices" in raw:
        raise FlowError(f"line {line}: a {step_type} step ('{step_id}') cannot have choices")
    kind = raw.get("kind")
    if kind is None:
        kind = {"choice": "choice", "scale": "feeling", "cards": "choice", "text": "text"}.get(
            step_type
        )
    return Step(
        id=step_id,
        type=step_type,
        text=str(text or "").strip(),
        next=_opt_str(raw.get("next")),
        skip=_opt_str(raw.get("skip")),
        kind=kind,
        topic=_opt_str(raw.get("topic")),
        records=_opt_str(raw.get("records")),
        hint=_opt_str(raw.get("hint")),
        keep=bool(raw.get("keep", True)),
        sets_topic=bool(raw.get("sets_topic", False)),
        choices=choices,
        line=line,
    )


def _parse_choice(step_id: str, raw: object) -> Choice:
    if not isinstance(raw, dict):
        raise FlowError(f"step '{step_id}': each choice must be a mapping, not {raw!r}")
    line = raw.get("__line__", 0)
    if "key" not in raw:
        raise FlowError(f"line {line}: a choice of step '{step_id}' has no key")
    symbol = None
    raw_symbol = raw.get("symbol")
    if isinstance(raw_symbol, dict):
        symbol = Symbol(
            emoji=str(raw_symbol.get("emoji") or ""), picture=str(raw_symbol.get("picture") or "")
        )
    elif raw_symbol is not None:
        raise FlowError(f"line {line}: a symbol needs 'emoji' and 'picture'")
    also = raw.get("also") or []
    if isinstance(also, str):
        also = [also]
    return Choice(
        key=str(raw["key"]),
        words=str(raw.get("words") or "").strip(),
        also=tuple(str(word) for word in also),
        symbol=symbol,
        next=_opt_str(raw.get("next")),
        topic=_opt_str(raw.get("topic")),
    )


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)
