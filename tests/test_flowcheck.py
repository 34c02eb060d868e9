"""`voicebox flows check`: each broken flow gives exactly its one line; built-in flows pass."""

from __future__ import annotations

import shutil
import subprocess
import sys
from itertools import takewhile
from pathlib import Path
from types import ModuleType

import pytest

from voicebox.bot import replies
from voicebox.bot.easyread import (
    language_problems,
    load_word_list,
    sentences,
    word_count,
    word_problems,
)
from voicebox.bot.engine import Engine
from voicebox.bot.messages import InboundMessage, OutboundMessage
from voicebox.bot.ports import TurnContext
from voicebox.bot.state import ConsultationRef, Participant
from voicebox.flowcheck import check_files, check_flow, check_replies, message_problems
from voicebox.flows import FlowError, builtin_flow_paths, load_flow, structural_problems

FIXTURES = Path(__file__).resolve().parent / "flows" / "fixtures"
TOPIC = "the people who help you at school and at home"

# Each fixture is tests/flows/fixtures/<name>.yaml: good.yaml with one mistake.
# The line expected is what follows "<path>: ".
BROKEN = [
    ("unknown_target", "step 'ask': goes to 'nowhere', which is not a step"),
    ("unreachable", "step 'lost': cannot be reached from the start"),
    ("no_end", "step 'round': has no path to an end step"),
    ("text_without_next", "step 'tell': needs 'next'"),
    # A broken exit is said once, not again for each step it cuts off (flows/structure.py).
    ("typo_cuts_off_steps", "step 'hello': goes to 'aks', which is not a step"),
    ("typo_in_the_middle", "step 'tell': goes to 'bey', which is not a step"),
    ("duplicate_step", "line 19: step id 'bye' is used twice"),
    ("duplicate_choice_key", "step 'ask': choice key 'yes' is used twice"),
    (
        "long_id",
        "step 'goodbye_and_thank_you_for_your_answers_today': step id "
        "'goodbye_and_thank_you_for_your_answers_today' is longer than 32 characters",
    ),
    (
        "unknown_kind",
        "step 'ask': kind 'tops' is not one of top, pants, better, feeling, choice, text",
    ),
    ("no_words", "step 'ask': choice 'no' has no words"),
    ("no_symbol", "step 'ask': choice 'no' needs a symbol with an emoji and a picture"),
    ("no_picture", "step 'ask': choice 'no' needs a symbol with an emoji and a picture"),
    ("seven_choices", "step 'ask': has 7 choices; 6 is the most"),
    (
        "long_sentence",
        "step 'ask': sentence \"Do you like your school and ...\" has 18 words; 15 is the most",
    ),
    ("four_sentences", "step 'ask': has 4 sentences in one message; 3 is the most"),
    ("jargon", "step 'ask': uses the jargon word 'consultation'; say it in plain words"),
    ("send_acronym", "step 'ask': uses the jargon word 'SEND'; say it in plain words"),
    ("acronym", "step 'ask': uses the acronym 'CAMHS'; say it in plain words"),
    (
        "curly_apostrophe",
        "step 'ask': SMS text has characters GSM-7 cannot send: '\u2019' (U+2019)",
    ),
    ("emoji_in_text", "step 'ask': SMS text has characters GSM-7 cannot send: '🏫' (U+1F3EB)"),
    ("too_long_for_sms", "step 'ask': SMS text is 188 characters; 160 is the most"),
    # The hint is sent by SMS only: the check counts it (the question alone is 122).
    ("hint_makes_sms_too_long", "step 'ask': SMS text is 179 characters; 160 is the most"),
    (
        "topic_sentence_too_long",
        "step 'feeling': sentence \"How do you feel about the ...\" has 18 words "
        f"when the topic is '{TOPIC}'; 15 is the most",
    ),
    (
        "topic_sms_too_long",
        f"step 'feeling': SMS text is 178 characters when the topic is '{TOPIC}'; 160 is the most",
    ),
    (
        "typed_topic_sentence_too_long",
        "step 'feeling': sentence \"How do you feel about xx ...\" has 16 words "
        "when the topic typed has 6 words; 15 is the most",
    ),
    (
        "command_word",
        "step 'ask': choice 'no': typing 'Go back' means BACK everywhere, "
        "so it never picks this choice",
    ),
    ("shadowed_word", "step 'ask': choice 'yes': typing 'no' picks choice 'no' instead"),
    ("same_emoji", "step 'ask': choice 'no' has the same emoji as choice 'yes'"),
    ("invalid_yaml", "line 4: expected the node content, but found '<stream end>'"),
    ("not_a_mapping", "a flow file must be a mapping with id, version, start and steps"),
]


def _voicebox(*args: str) -> subprocess.CompletedProcess[str]:
    command = shutil.which("voicebox", path=str(Path(sys.executable).parent)) or shutil.which(
        "voicebox"
    )
    assert command, "the voicebox command is not installed: pip install -e ."
    return subprocess.run(
        [command, "flows", "check", *args], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(("name", "expected"), BROKEN, ids=[name for name, _ in BROKEN])
def test_each_broken_flow_gives_exactly_its_line(name, expected):
    """One mistake, one line: the file, the step, and what is wrong."""
    path = FIXTURES / f"{name}.yaml"
    assert check_files([path]) == [f"{path}: {expected}"]


def test_every_fixture_is_in_the_table():
    """No broken fixture goes untested."""
    names = {path.stem for path in FIXTURES.glob("*.yaml")}
    assert names == {name for name, _ in BROKEN} | {"good"}


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.yaml")), ids=lambda path: path.stem)
def test_loading_refuses_with_the_line_flows_check_gives(path):
    """A fixture that cannot be loaded is refused with the line `flows check` prints for it;
    one that loads has no structural problem (what is left is words or SMS text)."""
    lines = check_files([path])
    try:
        flow = load_flow(path)
    except FlowError as error:
        assert [str(error)] == lines
    else:
        assert structural_problems(flow) == []


def test_the_good_fixture_passes():
    """The flow every fixture starts from is clean, so each problem comes from its mistake."""
    assert check_files([FIXTURES / "good.yaml"]) == []


def test_builtin_flows_pass():
    """Both built-in flows, and the engine's replies checked with them, are clean."""
    paths = builtin_flow_paths()
    assert {path.stem for path in paths} >= {"tops_and_pants", "four_cornerstones"}
    assert check_files(paths) == []


def test_builtin_flows_are_checked_for_every_topic():
    """Questions that name {topic} are checked with every topic tops_and_pants can set."""
    flow = next(load_flow(p) for p in builtin_flow_paths() if p.stem == "tops_and_pants")
    assert "{topic}" in flow.step("good").text
    assert check_flow(flow) == []


def _good_flow_with_help(tmp_path: Path, help_line: str) -> Path:
    """good.yaml with a flow-level `help:` line."""
    text = (FIXTURES / "good.yaml").read_text(encoding="utf-8")
    path = tmp_path / "helped.yaml"
    path.write_text(text.replace("start: ask\n", f"start: ask\nhelp: {help_line}\n"), "utf-8")
    return path


@pytest.mark.parametrize(
    ("help_line", "expected"),
    [
        ("Voicebox asks how your club is going.", []),
        # 58 letters is the most: HELP then says how to skip, stop and reach a person.
        ("Voicebox asks what is going well and what could be better.", []),
        (
            "Voicebox asks what is going well for you, and what could be better.",
            [
                "help: SMS text is 168 characters; 160 is the most",
                "help: SMS text is 169 characters; 160 is the most",
            ],
        ),
        (
            "Voicebox asks about the club. It is quick.",
            ["help: must be one sentence: HELP goes on to say how to skip and stop"],
        ),
        (
            "Voicebox asks about your consultation.",
            ["help: uses the jargon word 'consultation'; say it in plain words"],
        ),
    ],
)
def test_a_flows_help_line_is_checked(tmp_path, help_line, expected):
    """A flow's own HELP sentence: plain words, one sentence, and HELP in one SMS."""
    path = _good_flow_with_help(tmp_path, help_line)
    flow = load_flow(path)
    assert flow.help == help_line
    assert check_files([path]) == [f"{path}: {line}" for line in expected]


def _good_flow_with(tmp_path: Path, question: str) -> Path:
    """good.yaml with these words for its question and the 'no' choice left without words."""
    text = (FIXTURES / "good.yaml").read_text(encoding="utf-8")
    text = text.replace("Do you like your school?", question)
    text = text.replace('words: "No"', 'words: ""')
    path = tmp_path / "two.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_problems_are_in_file_order_and_each_once(tmp_path):
    """Several mistakes: one line each, structure first, no repeats."""
    path = _good_flow_with(tmp_path, "Do you like CAMHS? Did the consultation help?")
    assert check_files([path]) == [
        f"{path}: step 'ask': choice 'no' has no words",
        f"{path}: step 'ask': uses the acronym 'CAMHS'; say it in plain words",
        f"{path}: step 'ask': uses the jargon word 'consultation'; say it in plain words",
    ]


# -- the language rules, one at a time ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi. How are you?", ["Hi.", "How are you?"]),
        (
            "Part 1: feeling welcome. What is going well?",
            ["Part 1: feeling welcome.", "What is going well?"],
        ),
        ('She said "stop." Then she left.', ['She said "stop."', "Then she left."]),
        ("One line\nanother line", ["One line", "another line"]),
        ("Costs £1.50 today.", ["Costs £1.50 today."]),
        ("Wow!! Really?", ["Wow!!", "Really?"]),
        ("", []),
        ("🙂", []),
    ],
)
def test_sentences(text, expected):
    """Sentences end at . ! ? and a space, or at a line break; a decimal point is not an end."""
    assert sentences(text) == expected


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("Grown-ups who help this group read your answers.", 8),
        ("Don't worry, it's fine.", 4),
        ("Call Childline free on 0800 1111.", 6),
        ("Part 1: feeling welcome.", 4),
        ("✅ Yes!", 1),
    ],
)
def test_word_count(text, count):
    """Hyphenated words and contractions are one word; numbers count."""
    assert word_count(text) == count


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Send STOP to stop, SKIP to skip or HELP for help.", []),
        ("Yes, that is OK. Send START, BACK, YES or NO.", []),
        ("To start again, send DEMO.", []),
        ("Please send us your answer.", []),
        ("Your SEND plan.", ["uses the jargon word 'SEND'"]),
        ("Your EHCPs.", ["uses the jargon word 'EHCPs'"]),
        ("Talk to your GP.", ["uses the acronym 'GP'"]),
        ("The NHS and CAMHS.", ["uses the acronym 'NHS'", "uses the acronym 'CAMHS'"]),
        ("We work by co production.", ["uses the jargon word 'co production'"]),
        ("We do Coproduction.", ["uses the jargon word 'Coproduction'"]),
        ("Two Consultations.", ["uses the jargon word 'Consultations'"]),
        (
            "Please submit it. It was submitted.",
            ["uses the jargon word 'submit'", "uses the jargon word 'submitted'"],
        ),
        ("You are a data subject.", ["uses the jargon word 'data subject'"]),
        ("Each stakeholder.", ["uses the jargon word 'stakeholder'"]),
        ("Children and adults.", []),  # 'consultation' is not inside other words
    ],
)
def test_jargon_and_acronyms(text, expected):
    """Jargon in any case and form; capitals only where the list says; control words pass."""
    assert word_problems(text) == [f"{message}; say it in plain words" for message in expected]


def test_the_word_list_is_data(tmp_path):
    """A reviewed list can be loaded from any file, with its own allowed capitals."""
    path = tmp_path / "words.yaml"
    path.write_text("jargon:\n  - pathway\n  - SENCO\nallowed_capitals:\n  - TEAM\n")
    words = load_word_list(path)
    assert word_problems("Your Pathway. TEAM. The SENCO. Senco. STOP.", words) == [
        "uses the jargon word 'Pathway'; say it in plain words",
        "uses the jargon word 'SENCO'; say it in plain words",
    ]


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("Short. Clear. Kind.", 0),
        ("One. Two. Three. Four.", 1),
        ("A sentence of exactly fifteen words is fine for Easy Read, so this one passes.", 0),
        ("A sentence of sixteen words is too long for Easy Read, so this one fails here.", 1),
    ],
)
def test_language_rules(text, count):
    """At most three sentences a message and fifteen words a sentence."""
    assert len(language_problems(text)) == count


def test_sms_rules():
    """GSM-7 characters only, and 160 of them (extended characters take two)."""
    assert message_problems(OutboundMessage("Hello £5 @ home, é ü Ñ")) == []
    assert message_problems(OutboundMessage("x" * 160)) == []
    too_long = "SMS text is {} characters; 160 is the most"
    assert message_problems(OutboundMessage("x" * 161)) == [too_long.format(161)]
    assert message_problems(OutboundMessage("€" * 81)) == [too_long.format(162)]
    assert message_problems(OutboundMessage("café ☕")) == [
        "SMS text has characters GSM-7 cannot send: '☕' (U+2615)"
    ]


# -- the engine's own words ---------------------------------------------------------


def test_engine_replies_follow_the_same_rules():
    """Every reply in replies.py is Easy Read and fits one SMS, placeholders filled in."""
    names = [name for name in vars(replies) if name.isupper()]
    assert {"SAFEGUARDING", "HELP", "STOPPED"} <= set(names)
    assert check_replies() == []


def test_reply_rules_find_problems():
    """The reply check fails on long, non-GSM, jargon or unknown-placeholder replies."""
    module = ModuleType("voicebox.bot.other_replies")
    module.GOOD = "Thank you. To start again, send {code}."
    module.LONG = "Thank you so much. " * 9
    module.FANCY = "That\u2019s fine."
    module.WORDY = "Your consultation is closed."
    module.ODD = "Hello {name}."
    module._PRIVATE = "Not a reply, so never checked: consultation."
    lines = [str(problem) for problem in check_replies(module)]
    where = "voicebox/bot/other_replies.py"
    assert lines == [
        f"{where}: LONG: has 9 sentences in one message; 3 is the most",
        f"{where}: LONG: SMS text is 171 characters; 160 is the most",
        f"{where}: FANCY: SMS text has characters GSM-7 cannot send: '\u2019' (U+2019)",
        f"{where}: WORDY: uses the jargon word 'consultation'; say it in plain words",
        f"{where}: ODD: the checker cannot fill in {{name}}",
    ]


def test_replies_are_checked_only_with_builtin_flows(tmp_path):
    """A person's own flow file is checked alone; the built-ins bring the replies along."""
    good = FIXTURES / "good.yaml"
    assert check_files([good]) == []
    assert check_files([good], with_replies=True) == [str(p) for p in check_replies()]


# -- the command --------------------------------------------------------------------


def test_cli_passes_on_builtins():
    """`voicebox flows check` with no files checks the built-ins and exits 0."""
    result = _voicebox()
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == f"All {len(builtin_flow_paths())} flow file(s) are fine."


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("seven_choices", "step 'ask': has 7 choices; 6 is the most"),
        ("typo_cuts_off_steps", "step 'hello': goes to 'aks', which is not a step"),
        ("jargon", "step 'ask': uses the jargon word 'consultation'; say it in plain words"),
    ],
)
def test_cli_fails_in_one_line_on_a_broken_flow(name, expected):
    """One problem: non-zero exit, exactly its one line, and no summary after it."""
    path = FIXTURES / f"{name}.yaml"
    result = _voicebox(str(path))
    assert result.returncode == 1
    assert result.stdout == f"{path}: {expected}\n"
    assert result.stderr == ""


def test_cli_counts_problems_only_when_there_are_several(tmp_path):
    """Two or more problems: one line each, then how many on standard error."""
    path = _good_flow_with(tmp_path, "Do you like CAMHS?")
    result = _voicebox(str(path), str(FIXTURES / "seven_choices.yaml"))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{path}: step 'ask': choice 'no' has no words",
        f"{path}: step 'ask': uses the acronym 'CAMHS'; say it in plain words",
        f"{FIXTURES / 'seven_choices.yaml'}: step 'ask': has 7 choices; 6 is the most",
    ]
    assert result.stderr == "3 problems found in 2 flow file(s).\n"


def test_cli_checks_every_file_given():
    """Good and broken files together: one line for the broken one, exit non-zero."""
    path = FIXTURES / "jargon.yaml"
    result = _voicebox(str(FIXTURES / "good.yaml"), str(path))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{path}: step 'ask': uses the jargon word 'consultation'; say it in plain words"
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        (b"id: tiny\nsteps: [\n", "line 3: expected the node content, but found '<stream end>'"),
        (b"\xff\xfe not text", "cannot read the file (UnicodeDecodeError)"),
        (b"", "a flow file must be a mapping with id, version, start and steps"),
    ],
    ids=["missing", "invalid-yaml", "not-utf8", "empty"],
)
def test_cli_bad_files_are_one_line(tmp_path, content, expected):
    """Missing, unreadable or invalid files: non-zero exit, one line, no traceback."""
    path = tmp_path / "flow.yaml"
    if content is not None:
        path.write_bytes(content)
    result = _voicebox(str(path))
    assert result.returncode != 0
    assert result.stdout.splitlines() == [f"{path}: {expected}"]
    assert "Traceback" not in result.stdout + result.stderr


def test_cli_directory_is_one_line(tmp_path):
    """A folder where a file should be is one line too."""
    result = _voicebox(str(tmp_path))
    assert result.returncode != 0
    assert result.stdout.splitlines() == [f"{tmp_path}: cannot read the file (IsADirectoryError)"]
    assert "Traceback" not in result.stderr


# -- the worked example in voicebox/flows/README.md stays true ------------------------

FLOWS_README = Path(__file__).resolve().parents[1] / "voicebox" / "flows" / "README.md"


def _readme_blocks(language: str) -> list[str]:
    """The README's fenced blocks in this language ("" for blocks with none), in order."""
    blocks: list[tuple[str, list[str]]] = []
    current: list[str] | None = None
    for line in FLOWS_README.read_text(encoding="utf-8").splitlines():
        if current is None and line.startswith("```"):
            current = []
            blocks.append((line[3:].strip(), current))
        elif current is not None and line == "```":
            current = None
        elif current is not None:
            current.append(line)
    return ["\n".join(lines) + "\n" for lang, lines in blocks if lang == language]


def _worked_example(tmp_path: Path) -> Path:
    example = next(block for block in _readme_blocks("yaml") if block.startswith("id: "))
    path = tmp_path / "youth_club.yaml"
    path.write_text(example, encoding="utf-8")
    return path


def test_readme_example_passes_the_check(tmp_path):
    """The worked example is a clean flow."""
    assert check_files([_worked_example(tmp_path)]) == []


def test_readme_example_plays_as_the_readme_says(tmp_path):
    """The SMS text and the export rows the README shows are what the engine does."""
    flow = load_flow(_worked_example(tmp_path))
    engine = Engine([flow])
    ref = ConsultationRef(code="CLUB", flow_id=flow.id, flow_version=flow.version)
    context = TurnContext(Participant("Otter-1"), None, lambda code: ref)
    outcomes = []
    for text in ["CLUB", "yes", "Things we do", "Okay", "the trips", "it is too loud"]:
        outcome = engine.resume(context, InboundMessage("sms", "sms:+447700900123", text))
        context.conversation = outcome.conversation or context.conversation
        outcomes.append(outcome)
    sms = outcomes[2].replies[-1].as_text()
    assert sms == _readme_blocks("")[0].strip()
    for text in ["No, I am done", "a quiet room", "1"]:
        outcome = engine.resume(context, InboundMessage("sms", "sms:+447700900123", text))
        outcomes.append(outcome)
    assert outcomes[-1].report_back is True
    assert outcomes[-1].replies[-1].purpose == "end"
    rows = [
        [a.question_id, a.question, a.answer, a.answer_key, a.kind, a.topic]
        for outcome in outcomes
        for a in outcome.answers
    ]
    table = FLOWS_README.read_text(encoding="utf-8").split("| question_id |")[1]
    shown = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in takewhile(lambda line: line.startswith("|"), table.splitlines()[2:])
    ]
    assert len(shown) == 4
    assert rows == shown
