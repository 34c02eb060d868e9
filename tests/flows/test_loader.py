"""The flow loader and the built-in flows as data: what the contract and the issue promise."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicebox.flows import (
    ANSWER_KINDS,
    FlowError,
    builtin_flow_paths,
    load_builtin_flows,
    load_flow,
    structural_problems,
)
from voicebox.flows.loader import parse_flow

FLOWS = load_builtin_flows()
FIXTURES = Path(__file__).resolve().parent / "fixtures"

MINIMAL = """
id: tiny
version: 3
steps:
  - id: ask
    choice: Is it good?
    choices:
      - key: {key}
        words: Good
        symbol: {{emoji: "🙂", picture: good}}
        next: done
  - id: done
    end: Thank you.
"""


def _questions_in_order(flow):
    """The question steps a person meets first, following `next` and first choices."""
    seen, step_id, order = set(), flow.start, []
    while step_id and step_id not in seen:
        seen.add(step_id)
        step = flow.step(step_id)
        if step.is_question:
            order.append(step.id)
        step_id = step.next or next((c.next for c in step.choices if c.next), None)
    return order


def test_the_builtin_flows_are_the_ones_the_contract_names():
    """`--flow` takes tops_and_pants and four_cornerstones, and their picture-card versions."""
    assert sorted(FLOWS) == [
        "four_cornerstones",
        "four_cornerstones_pictures",
        "tops_and_pants",
        "tops_and_pants_pictures",
    ]
    for flow in FLOWS.values():
        assert flow.version >= 1 and flow.start in flow.steps


@pytest.mark.parametrize("flow_id", sorted(FLOWS))
def test_consent_comes_before_any_question(flow_id):
    """The first question of every built-in flow is the consent question."""
    flow = FLOWS[flow_id]
    first = _questions_in_order(flow)[0]
    assert flow.step(first).type == "consent"
    keys = [choice.key for choice in flow.step(first).choices]
    assert keys == ["yes", "no"]


def test_tops_and_pants_offers_every_part_of_life():
    """The topics the issue lists, each with words and a symbol, over the two lists."""
    flow = FLOWS["tops_and_pants"]
    offered = [c.words for s in ("topic", "topic_more") for c in flow.step(s).choices]
    for words in (
        "School or college",
        "Home",
        "Health",
        "Getting around",
        "Clubs and fun",
        "People who help me",
        "Something else",
    ):
        assert words in offered
    kinds = {step.kind for step in flow.steps.values() if step.keeps_answer}
    assert {"top", "pants", "better", "feeling"} <= kinds


def test_four_cornerstones_asks_about_each_cornerstone():
    """Going well and could be better, under each of the four cornerstones."""
    flow = FLOWS["four_cornerstones"]
    asked: dict[str, set[str]] = {}
    for step in flow.steps.values():
        if step.keeps_answer and step.topic:
            asked.setdefault(step.topic, set()).add(step.kind)
    assert set(asked) == {
        "welcome_and_care",
        "value_and_include",
        "communicate",
        "work_in_partnership",
    }
    assert all({"top", "pants"} <= kinds for kinds in asked.values())


@pytest.mark.parametrize("flow_id", sorted(FLOWS))
def test_every_kept_answer_has_a_kind(flow_id):
    """Each answer lands in the export with one of the contract's kinds."""
    for step in FLOWS[flow_id].steps.values():
        if step.keeps_answer:
            assert step.kind in ANSWER_KINDS, step.id


@pytest.mark.parametrize("key", ["yes", "no", "on", "off", "y", "n"])
def test_yaml_words_stay_words(key):
    """`key: yes` is the word yes, not a boolean (YAML 1.1 would read it as true)."""
    flow = parse_flow(MINIMAL.format(key=key))
    assert flow.step("ask").choices[0].key == key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id: x\nid: y\nversion: 1\nsteps: []", "line 2: 'id' is written twice"),
        ("- just\n- a list", "must be a mapping"),
        ("version: 1\nsteps: [{id: a, end: Bye}]", "no 'id'"),
        ("id: x\nversion: one\nsteps: [{id: a, end: Bye}]", "'version' must be a whole number"),
        ("id: x\nversion: 1\nsteps: []", "'steps' must be a list"),
        ("id: x\nversion: 1\nsteps: [{id: a, say: Hi, end: Bye}]", "exactly one of"),
        ("id: x\nversion: 1\nsteps: [{end: Bye}]", "a step has no id"),
        (
            "id: x\nversion: 1\nsteps: [{id: a, text: Hi, choices: [{key: k}]}]",
            "cannot have choices",
        ),
        (
            "id: x\nversion: 1\nsteps:\n  - {id: a, end: Bye}\n  - {id: a, end: Bye}",
            "step id 'a' is used twice",
        ),
        ("id: x\nversion: 1\nsteps: [{id: a, choice: Hi, choices: [{words: W}]}]", "has no key"),
        ("id: [unclosed", "line"),
    ],
)
def test_broken_flows_are_one_clear_line(text, expected):
    """A flow that cannot be read says why in one line."""
    with pytest.raises(FlowError) as caught:
        parse_flow(text)
    message = str(caught.value)
    assert expected in message and "\n" not in message


def test_load_flow_names_the_file(tmp_path):
    """Errors from a file start with its path; missing and non-UTF-8 files are clear too."""
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\nid: y\n", encoding="utf-8")
    with pytest.raises(FlowError, match=r"broken\.yaml: line 2"):
        load_flow(broken)
    with pytest.raises(FlowError, match="no such file"):
        load_flow(tmp_path / "missing.yaml")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("id: caf\xe9\n".encode("latin-1"))
    with pytest.raises(FlowError, match="cannot read"):
        load_flow(latin)


def test_a_good_file_loads(tmp_path):
    """A small flow file loads with its id, version, start and choices."""
    path = tmp_path / "tiny.yaml"
    path.write_text(MINIMAL.format(key="good"), encoding="utf-8")
    flow = load_flow(path)
    assert (flow.id, flow.version, flow.start) == ("tiny", 3, "ask")
    choice = flow.step("ask").choices[0]
    assert (choice.key, choice.words, choice.symbol.emoji, choice.next) == (
        "good",
        "Good",
        "🙂",
        "done",
    )
    assert flow.step("done").is_end


# -- flows are checked when they are loaded -------------------------------------------

KINDS = "top, pants, better, feeling, choice, text"

# Fixtures with one structural mistake (good.yaml with one change): loading refuses each
# with exactly the line `voicebox flows check` prints for it.
REFUSED = [
    ("unknown_target", "step 'ask': goes to 'nowhere', which is not a step"),
    ("unreachable", "step 'lost': cannot be reached from the start"),
    ("no_end", "step 'round': has no path to an end step"),
    ("text_without_next", "step 'tell': needs 'next'"),
    ("duplicate_choice_key", "step 'ask': choice key 'yes' is used twice"),
    ("unknown_kind", f"step 'ask': kind 'tops' is not one of {KINDS}"),
    ("no_symbol", "step 'ask': choice 'no' needs a symbol with an emoji and a picture"),
    ("seven_choices", "step 'ask': has 7 choices; 6 is the most"),
    ("typo_cuts_off_steps", "step 'hello': goes to 'aks', which is not a step"),
    ("typo_in_the_middle", "step 'tell': goes to 'bey', which is not a step"),
]


@pytest.mark.parametrize(("name", "expected"), REFUSED, ids=[name for name, _ in REFUSED])
def test_a_flow_with_a_structural_problem_is_refused_in_its_line(name, expected):
    """One structural problem: FlowError whose message is exactly the flows-check line."""
    path = FIXTURES / f"{name}.yaml"
    with pytest.raises(FlowError) as caught:
        load_flow(path)
    assert str(caught.value) == f"{path}: {expected}"
    assert [str(problem) for problem in caught.value.problems] == [f"{path}: {expected}"]


ASK = "    choice: Do you like your school?\n"
BYE = "    end: Thank you.\n"
LOST = "  - id: lost\n    end: Nobody comes here.\n"
MORE = "run voicebox flows check"


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        ([(ASK, ASK + "    kind: tops\n")], f"step 'ask': kind 'tops' is not one of {KINDS}"),
        (
            [(ASK, ASK + "    kind: tops\n"), ('words: "No"', 'words: ""')],
            f"step 'ask': kind 'tops' is not one of {KINDS} (and 1 more problem: {MORE})",
        ),
        (
            [(ASK, ASK + "    kind: tops\n"), ('words: "No"', 'words: ""'), (BYE, BYE + LOST)],
            f"step 'ask': kind 'tops' is not one of {KINDS} (and 2 more problems: {MORE})",
        ),
        (  # the typo cuts 'bye' off, which is not counted: the typo explains it
            [("next: bye", "next: by"), ('words: "No"', 'words: ""')],
            f"step 'ask': goes to 'by', which is not a step (and 1 more problem: {MORE})",
        ),
    ],
    ids=["one", "two", "three", "typo-counts-once"],
)
def test_several_problems_are_the_first_line_and_how_many_more(tmp_path, edits, expected):
    """Several structural problems: still one line, the first one and a count of the rest."""
    text = (FIXTURES / "good.yaml").read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "flow.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FlowError) as caught:
        load_flow(path)
    assert str(caught.value) == f"{path}: {expected}"
    assert "\n" not in str(caught.value)
    unchecked = load_flow(path, check=False)
    assert [str(problem) for problem in caught.value.problems] == [
        str(problem) for problem in structural_problems(unchecked)
    ]


def test_parse_flow_refuses_too_unless_told_not_to_check():
    """parse_flow refuses the same way, naming its source; check=False reads it anyway."""
    text = MINIMAL.format(key="good").replace("next: done", "next: dune")
    with pytest.raises(FlowError) as caught:
        parse_flow(text, source="mine.yaml")
    assert str(caught.value) == "mine.yaml: step 'ask': goes to 'dune', which is not a step"
    assert parse_flow(text, check=False).step("ask").choices[0].next == "dune"


def test_a_refused_file_still_reads_without_the_check():
    """check=False gives the flow as written, for `voicebox flows check` to list everything."""
    flow = load_flow(FIXTURES / "typo_cuts_off_steps.yaml", check=False)
    assert (flow.start, flow.step("hello").next) == ("hello", "aks")


@pytest.mark.parametrize("path", builtin_flow_paths(), ids=lambda path: path.stem)
def test_builtin_flows_load_with_the_check(path):
    """Every built-in flow passes the load-time check: nothing structural is wrong."""
    flow = load_flow(path)
    assert structural_problems(flow) == []
    assert FLOWS[flow.id] == flow
