"""Each structural check says its one line, naming the step, for a flow with that mistake.

Every flow here is GOOD with one change (or a few, said in the test), and each test expects
the whole list of lines: a check that stays silent, says something else, or says more than
its mistake fails.
"""

from __future__ import annotations

import pytest

from voicebox.flows import structural_problems
from voicebox.flows.loader import parse_flow

GOOD = """\
id: tiny
version: 1
start: ask
steps:
  - id: ask
    choice: Do you like your school?
    choices:
      - key: "yes"
        words: "Yes"
        symbol: {emoji: "✅", picture: "yes"}
        next: bye
      - key: "no"
        words: "No"
        symbol: {emoji: "❌", picture: "no"}
        next: bye
  - id: bye
    end: Thank you.
"""

YES = """      - key: "yes"
        words: "Yes"
        symbol: {emoji: "✅", picture: "yes"}
        next: bye
"""
SNAKE = "must be snake_case (a-z, 0-9 and _)"


def _lines(text: str, source: str = "f.yaml") -> list[str]:
    flow = parse_flow(text, source=source, check=False)
    return [str(problem) for problem in structural_problems(flow)]


def _edit(*edits: tuple[str, str]) -> str:
    text = GOOD
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def _choice(key: str, words: str = "Maybe", emoji: str = "🤔", next_step: str = "bye") -> str:
    return (
        f'      - key: "{key}"\n        words: "{words}"\n'
        f'        symbol: {{emoji: "{emoji}", picture: "{key}"}}\n        next: {next_step}\n'
    )


def test_the_good_flow_has_no_problems():
    """The flow every case below changes is sound: each line comes from its one change."""
    assert _lines(GOOD) == []


# -- ids -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flow_id", "expected"),
    [
        ("Tiny", f"flow id 'Tiny' {SNAKE}"),
        ("my-flow", f"flow id 'my-flow' {SNAKE}"),
        ("2flow", f"flow id '2flow' {SNAKE}"),
        ("tiny flow", f"flow id 'tiny flow' {SNAKE}"),
        ("t" * 33, f"flow id '{'t' * 33}' is longer than 32 characters"),
    ],
    ids=["capital", "hyphen", "digit-first", "space", "33-long"],
)
def test_a_bad_flow_id_is_one_line_about_the_flow(flow_id, expected):
    """The flow's id is checked like a step's: the line names the file, not a step."""
    assert _lines(_edit(("id: tiny", f'id: "{flow_id}"'))) == [f"f.yaml: {expected}"]


@pytest.mark.parametrize("flow_id", ["t" * 32, "a", "flow_2", "a1_b2"])
def test_good_flow_ids_pass(flow_id):
    """Up to 32 characters of a-z, 0-9 and _, starting with a letter."""
    assert _lines(_edit(("id: tiny", f"id: {flow_id}"))) == []


def test_a_flow_read_from_no_file_is_named_by_its_id():
    """With no source to name, the line starts with the flow's id."""
    text = _edit(("id: tiny", "id: Tiny"))
    assert _lines(text, source="") == [f"Tiny: flow id 'Tiny' {SNAKE}"]
    text = _edit(('        symbol: {emoji: "❌", picture: "no"}\n', ""))
    assert _lines(text, source="") == [
        "tiny: step 'ask': choice 'no' needs a symbol with an emoji and a picture"
    ]


@pytest.mark.parametrize(
    ("step_id", "message"),
    [
        ("Bye", f"step id 'Bye' {SNAKE}"),
        ("good-bye", f"step id 'good-bye' {SNAKE}"),
        ("_bye", f"step id '_bye' {SNAKE}"),
        ("b" * 33, f"step id '{'b' * 33}' is longer than 32 characters"),
    ],
    ids=["capital", "hyphen", "underscore-first", "33-long"],
)
def test_a_bad_step_id_names_the_step(step_id, message):
    """A step id that is not snake_case, or too long, is said on that step."""
    text = GOOD.replace("next: bye", f'next: "{step_id}"').replace("id: bye", f'id: "{step_id}"')
    assert _lines(text) == [f"f.yaml: step '{step_id}': {message}"]


def test_a_32_character_step_id_passes():
    """32 characters is the most, and allowed."""
    step_id = "b" * 32
    text = GOOD.replace("next: bye", f"next: {step_id}").replace("id: bye", f"id: {step_id}")
    assert _lines(text) == []


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("Maybe", f"choice key 'Maybe' {SNAKE}"),
        ("not-sure", f"choice key 'not-sure' {SNAKE}"),
        ("k" * 33, f"choice key '{'k' * 33}' is longer than 32 characters"),
    ],
    ids=["capital", "hyphen", "33-long"],
)
def test_a_bad_choice_key_is_said_on_its_step(key, message):
    """Choice keys are ids too (they are in button payloads and the export)."""
    assert _lines(_edit((YES, YES + _choice(key)))) == [f"f.yaml: step 'ask': {message}"]


# -- words, kinds and records ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "step"),
    [
        ("choice: Do you like your school?", 'choice: ""', "ask"),
        ("end: Thank you.", "end: ''", "bye"),
        ("end: Thank you.", "end:", "bye"),
    ],
    ids=["question", "end", "end-null"],
)
def test_a_step_with_no_words_is_said(old, new, step):
    """A step must say something."""
    assert _lines(_edit((old, new))) == [f"f.yaml: step '{step}': has no words to say"]


def test_a_say_step_with_no_words_is_said_too():
    """The same check for a say step on the way."""
    text = _edit(
        ("start: ask", "start: hello"),
        ("steps:\n", "steps:\n  - id: hello\n    say: ''\n    next: ask\n"),
    )
    assert _lines(text) == ["f.yaml: step 'hello': has no words to say"]


def test_an_unknown_records_is_said():
    """`records` takes only the names the engine knows."""
    text = _edit(("choice: Do you like your school?\n", "choice: Hi?\n    records: report\n"))
    assert _lines(text) == ["f.yaml: step 'ask': records 'report' is not one of report_back"]


def test_known_records_and_kinds_pass():
    """report_back and every answer kind are accepted."""
    text = _edit(("choice: Do you like your school?", "choice: Hi?\n    records: report_back"))
    assert _lines(text) == []
    for kind in ("top", "pants", "better", "feeling", "choice", "text"):
        text = _edit(("choice: Do you like your school?", f"choice: Hi?\n    kind: {kind}"))
        assert _lines(text) == [], kind


# -- ways out ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "says"),
    [("hello", "say: Hello."), ("tell", "text: Tell me more.")],
    ids=["say", "text"],
)
def test_a_step_with_no_next_needs_next(step, says):
    """A say step or a text question that leads nowhere: its one line, and nothing about
    what it cuts off."""
    text = _edit(
        ("start: ask", f"start: {step}"),
        ("steps:\n", f"steps:\n  - id: {step}\n    {says}\n"),
    )
    assert _lines(text) == [f"f.yaml: step '{step}': needs 'next'"]


def test_an_end_step_that_goes_somewhere_is_said():
    """An end step is the end: a `next` on it is a mistake, said once."""
    text = _edit(("end: Thank you.", "end: Thank you.\n    next: ask"))
    assert _lines(text) == ["f.yaml: step 'bye': is an end step, so it cannot go anywhere"]


def test_an_end_step_going_to_no_step_hides_nothing():
    """A wrong `next` on an end step is two lines, and is not a broken exit: the step cut
    off elsewhere is still said (mending it could not reach that step)."""
    text = _edit(("end: Thank you.", "end: Thank you.\n    next: nowhere")) + (
        "  - id: lost\n    end: Nobody comes here.\n"
    )
    assert _lines(text) == [
        "f.yaml: step 'bye': goes to 'nowhere', which is not a step",
        "f.yaml: step 'bye': is an end step, so it cannot go anywhere",
        "f.yaml: step 'lost': cannot be reached from the start",
    ]


def test_a_choice_with_nowhere_to_go():
    """A choice with no `next` on a step with none: named by its key."""
    text = _edit(("        next: bye\n      - key", "\n      - key"))
    assert _lines(text) == ["f.yaml: step 'ask': choice 'yes' has no 'next' and the step has none"]


def test_a_choice_without_next_is_fine_when_the_step_has_one():
    """The step's own `next` is where such a choice goes."""
    text = _edit(
        ("        next: bye\n      - key", "\n      - key"),
        ("choice: Do you like your school?", "choice: Do you like your school?\n    next: bye"),
    )
    assert _lines(text) == []


def test_a_scale_step_with_no_choices():
    """A scale step offers choices like a choice step: none is a mistake."""
    text = _edit(
        ("start: ask", "start: feel"),
        ("steps:\n", "steps:\n  - id: feel\n    scale: How do you feel?\n    next: ask\n"),
    )
    assert _lines(text) == ["f.yaml: step 'feel': has no choices"]


@pytest.mark.parametrize("count", [5, 6])
def test_up_to_six_choices_pass(count):
    """Six choices fit on a phone; that many is allowed."""
    extra = "".join(_choice(f"extra_{n}", f"Extra {n}", str(n)) for n in range(count - 2))
    assert _lines(_edit((YES, YES + extra))) == []


# -- choices -----------------------------------------------------------------------------------


def test_a_choice_with_an_emoji_but_no_picture():
    """Both parts of the symbol are needed: the web chat shows the picture."""
    text = _edit(('{emoji: "✅", picture: "yes"}', '{emoji: "✅"}'))
    assert _lines(text) == [
        "f.yaml: step 'ask': choice 'yes' needs a symbol with an emoji and a picture"
    ]


def test_a_choice_with_a_picture_but_no_emoji():
    """Text channels show the emoji: a symbol without one is said."""
    text = _edit(('{emoji: "✅", picture: "yes"}', '{picture: "yes"}'))
    assert _lines(text) == [
        "f.yaml: step 'ask': choice 'yes' needs a symbol with an emoji and a picture"
    ]


def test_several_mistakes_on_one_choice_are_each_said_in_order():
    """A choice with a bad key, no words and no symbol: three lines, in the checks' order."""
    bad = '      - key: "Maybe"\n        next: bye\n'
    assert _lines(_edit((YES, YES + bad))) == [
        f"f.yaml: step 'ask': choice key 'Maybe' {SNAKE}",
        "f.yaml: step 'ask': choice 'Maybe' has no words",
        "f.yaml: step 'ask': choice 'Maybe' needs a symbol with an emoji and a picture",
    ]


CONSENT = """\
id: tiny
version: 1
start: consent
steps:
  - id: consent
    consent: Grown-ups read your answers. Is that OK?
    next: bye
    choices:
{choices}  - id: bye
    end: Thank you.
"""


@pytest.mark.parametrize(
    "keys",
    [["ok", "no"], ["yes"], ["yes", "no", "maybe"], ["no", "nope"]],
    ids=["ok-and-no", "only-yes", "yes-no-maybe", "no-and-nope"],
)
def test_consent_choices_must_be_yes_and_no(keys):
    """Consent is yes or no, nothing else: the engine records it by those keys."""
    choices = "".join(_choice(key) for key in keys)
    assert _lines(CONSENT.format(choices=choices)) == [
        "f.yaml: step 'consent': a consent step needs exactly the choices 'yes' and 'no'"
    ]


def test_consent_with_yes_and_no_passes_in_either_order():
    """The order of the two choices is the author's."""
    for keys in (["yes", "no"], ["no", "yes"]):
        choices = "".join(_choice(key, emoji=key) for key in keys)
        assert _lines(CONSENT.format(choices=choices)) == [], keys


CONSENT_CHOICES_WITHOUT_NEXT = (
    '      - key: "yes"\n        words: "Yes"\n        symbol: {emoji: "✅", picture: "y"}\n'
    '      - key: "no"\n        words: ""\n        symbol: {emoji: "❌", picture: "n"}\n'
)


def test_consent_choices_may_leave_next_to_the_step():
    """Consent choices need no `next` of their own; the other checks still apply."""
    text = CONSENT.format(choices=CONSENT_CHOICES_WITHOUT_NEXT)
    assert _lines(text) == ["f.yaml: step 'consent': choice 'no' has no words"]


def test_consent_with_no_next_anywhere_is_a_dead_end():
    """Without any `next`, consent is not a broken exit (its choices are not checked for
    one): what is said is that the end cannot be reached and consent leads nowhere."""
    text = CONSENT.format(choices=CONSENT_CHOICES_WITHOUT_NEXT).replace("    next: bye\n", "")
    assert _lines(text) == [
        "f.yaml: step 'consent': choice 'no' has no words",
        "f.yaml: step 'bye': cannot be reached from the start",
        "f.yaml: step 'consent': has no path to an end step",
    ]


# -- a missing start ---------------------------------------------------------------------------


def test_a_missing_start_step_is_one_line():
    """The start is not a step: one line, nothing about every step it leaves unreached."""
    assert _lines(_edit(("start: ask", "start: begin"))) == [
        "f.yaml: start step 'begin' does not exist"
    ]


def test_a_missing_start_still_lets_the_step_checks_run():
    """Each step is still checked, after the flow's own lines."""
    text = _edit(
        ("id: tiny", "id: Tiny"), ("start: ask", "start: begin"), ("end: Thank you.", "end: ''")
    )
    assert _lines(text) == [
        f"f.yaml: flow id 'Tiny' {SNAKE}",
        "f.yaml: start step 'begin' does not exist",
        "f.yaml: step 'bye': has no words to say",
    ]


def test_problems_name_the_step_in_the_line():
    """Problem objects carry the step id apart from the message (flows check uses both)."""
    flow = parse_flow(_edit(("end: Thank you.", "end: ''")), source="f.yaml", check=False)
    (problem,) = structural_problems(flow)
    assert (problem.flow, problem.step, problem.message) == (
        "f.yaml",
        "bye",
        "has no words to say",
    )
