"""`voicebox flows check`: each kind of problem gives one clear line; built-in flows pass."""

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from voicebox.bot.flowcheck import check_files, language_problems, reply_problems, sms_problems
from voicebox.flows import builtin_flow_paths

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
        symbol: {emoji: "✅", picture: yes}
        next: bye
      - key: "no"
        words: "No"
        symbol: {emoji: "❌", picture: no}
        next: bye
  - id: bye
    end: Thank you.
"""


def _write(tmp_path: Path, text: str, name: str = "flow.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _broken(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new)


BROKEN = [
    (
        "unknown target",
        _broken('next: bye\n      - key: "no"', 'next: nowhere\n      - key: "no"'),
        "step 'ask': goes to 'nowhere', which is not a step",
    ),
    (
        "unreachable",
        GOOD + "  - id: lost\n    end: Nobody comes here.\n",
        "step 'lost': cannot be reached from the start",
    ),
    (
        "no end",
        _broken(
            "  - id: bye\n    end: Thank you.\n",
            "  - id: bye\n    say: Thank you.\n    next: ask\n",
        ),
        "step 'ask': has no path to an end step",
    ),
    (
        "long id",
        _broken("id: bye\n", "id: a_very_long_step_id_that_goes_on_and_on\n").replace(
            "next: bye", "next: a_very_long_step_id_that_goes_on_and_on"
        ),
        "step id 'a_very_long_step_id_that_goes_on_and_on' is longer than 32 characters",
    ),
    (
        "bad id",
        _broken("id: bye\n", "id: Bye-Now\n").replace("next: bye", "next: Bye-Now"),
        "step id 'Bye-Now' must be snake_case",
    ),
    ("no words", _broken('words: "No"', 'words: ""'), "choice 'no' has no words"),
    (
        "no symbol",
        _broken('        symbol: {emoji: "❌", picture: no}\n', ""),
        "choice 'no' needs a symbol with an emoji and a picture",
    ),
    (
        "long sentence",
        _broken(
            "Do you like your school?",
            "Do you like your school and the people there and the bus "
            "and the food and the lessons?",
        ),
        "sentence has 18 words; 15 is the most",
    ),
    (
        "four sentences",
        _broken(
            "Do you like your school?", "Hi. This is about school. It is short. Do you like it?"
        ),
        "has 4 sentences in one message; 3 is the most",
    ),
    (
        "jargon",
        _broken("Do you like your school?", "Do you like this consultation?"),
        "uses the word 'consultation'",
    ),
    (
        "acronym",
        _broken("Do you like your school?", "Do you like your EHCP?"),
        "uses the word 'ehcp'",
    ),
    (
        "other acronym",
        _broken("Do you like your school?", "Do you like the CAMHS team?"),
        "uses the acronym 'CAMHS'",
    ),
    (
        "not gsm7",
        _broken("Do you like your school?", "Do you like your school? 😀"),
        "SMS text has characters outside GSM-7: '😀'",
    ),
    ("too long for sms", _broken('words: "No"', 'words: "' + "N" * 170 + '"'), "SMS text is"),
]


@pytest.mark.parametrize(("label", "text", "expected"), BROKEN, ids=[b[0] for b in BROKEN])
def test_each_problem_is_one_clear_line(tmp_path, label, text, expected):
    """A broken flow gives a line naming the file, the step and the problem."""
    path = _write(tmp_path, text)
    lines = check_files([path])
    matching = [line for line in lines if expected in line]
    assert matching, f"{label}: expected {expected!r} in {lines}"
    assert all(line.startswith(str(path)) for line in lines)
    assert all("\n" not in line for line in lines)


def test_good_flow_passes(tmp_path):
    """The small good flow has no problems."""
    assert check_files([_write(tmp_path, GOOD)]) == []


def test_too_many_choices(tmp_path):
    """More than six choices is one problem."""
    choices = "".join(
        f"      - key: c{i}\n        words: Choice {i}\n"
        f'        symbol: {{emoji: "✅", picture: yes}}\n        next: bye\n'
        for i in range(7)
    )
    text = GOOD.split("    choices:\n")[0] + "    choices:\n" + choices
    text += "  - id: bye\n    end: Thank you.\n"
    lines = check_files([_write(tmp_path, text)])
    assert any("has 7 choices; 6 is the most" in line for line in lines), lines


def test_duplicate_step_id_is_one_line(tmp_path):
    """A repeated step id stops the file with one line."""
    lines = check_files([_write(tmp_path, GOOD + "  - id: bye\n    end: Again.\n")])
    assert len(lines) == 1
    assert "step id 'bye' is used twice" in lines[0]


def test_unreadable_files_are_one_line_each(tmp_path):
    """Missing files and broken YAML give one line each."""
    broken_yaml = _write(tmp_path, "id: x\nsteps: [\n", "broken.yaml")
    lines = check_files([tmp_path / "missing.yaml", broken_yaml])
    assert len(lines) == 2
    assert "no such file" in lines[0]
    assert lines[1].startswith(str(broken_yaml))


def test_builtin_flows_pass():
    """Both built-in flows are clean."""
    paths = builtin_flow_paths()
    assert {p.stem for p in paths} >= {"tops_and_pants", "four_cornerstones"}
    assert check_files(paths) == []


def test_engine_replies_follow_the_same_rules():
    """The engine's own words are Easy Read and fit one SMS."""
    assert reply_problems() == []


@pytest.mark.parametrize(
    ("text", "count"),
    [("Short. Clear. Kind.", 0), ("One. Two. Three. Four.", 1), ("Please send us your answer.", 0)],
)
def test_language_rules(text, count):
    """Sentence counting, and 'send' the verb is not the acronym SEND."""
    assert len(language_problems(text)) == count


def test_sms_rules():
    """GSM-7 and 160 characters."""
    assert sms_problems("Hello £5 @ home") == []
    assert sms_problems("x" * 161)
    assert sms_problems("café ☕")


def _voicebox() -> str:
    return shutil.which("voicebox") or str(Path(sys.executable).parent / "voicebox")


def test_cli_passes_on_builtins():
    """`voicebox flows check` exits 0 on the built-in flows."""
    result = subprocess.run([_voicebox(), "flows", "check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "fine" in result.stdout


def test_cli_fails_in_one_line_on_a_broken_flow(tmp_path):
    """A broken flow: non-zero exit, one line per problem, no traceback."""
    path = _write(tmp_path, BROKEN[0][1])
    result = subprocess.run(
        [_voicebox(), "flows", "check", str(path)], capture_output=True, text=True
    )
    assert result.returncode != 0
    assert result.stdout.strip().splitlines() == [
        f"{path}: step 'ask': goes to 'nowhere', which is not a step"
    ]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("content", [None, "::: not yaml [", "- just\n- a list\n"])
def test_cli_unreadable_file(tmp_path, content):
    """Missing, invalid or wrong-shaped files: one line, non-zero exit, no traceback."""
    path = tmp_path / "flow.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = subprocess.run(
        [_voicebox(), "flows", "check", str(path)], capture_output=True, text=True
    )
    assert result.returncode != 0
    assert len(result.stdout.strip().splitlines()) == 1
    assert str(path) in result.stdout
    assert "Traceback" not in result.stderr
