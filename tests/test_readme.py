"""README.md stays true: its quick start has two commands and its sample conversation is real."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, re.M | re.S)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def _blocks(text: str) -> list[str]:
    return re.findall(r"```[a-z]*\n(.*?)```", text, re.S)


def test_quick_start_has_exactly_two_commands():
    """One command to install and run, one to install and test; CI runs the same test one."""
    blocks = _blocks(_section("Quick start"))
    commands = [line for block in blocks for line in block.splitlines() if line.strip()]
    assert len(commands) == 2, commands
    run, test = commands
    assert "voicebox serve" in run
    assert "pytest" in test
    assert test in (ROOT / ".ci" / "run").read_text()


def test_sample_conversation_is_what_the_terminal_shows(tmp_path):
    """Typing the README's answers into `voicebox chat DEMO` prints the README's bot lines."""
    sample = _blocks(_section("A sample conversation"))[0]
    typed = [line[len("you > ") :] for line in sample.splitlines() if line.startswith("you > ")]
    expected = [line for line in sample.splitlines() if not line.startswith("you > ")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOX_")}
    voicebox = shutil.which("voicebox") or str(Path(sys.executable).parent / "voicebox")
    result = subprocess.run(
        [voicebox, "chat", "DEMO"],
        input="".join(f"{answer}\n" for answer in typed),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    shown = [
        line.removeprefix("you > ")
        for line in result.stdout.splitlines()
        if line.strip() and line.strip() != "you >" and not line.startswith("Type your answer")
    ]
    assert shown == [line for line in expected if line.strip()]
    export = subprocess.run(
        [voicebox, "export", "DEMO", "--format", "csv"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    readme_rows = _blocks(_section("A sample conversation"))[1].splitlines()
    got_rows = export.stdout.splitlines()
    assert got_rows[0] == readme_rows[0]
    strip = re.compile(r"^(DEMO,)[A-Za-z]+-\d{4}(,.*,)[^,]+(,[^,]*)$")  # name and time
    assert [strip.sub(r"\1\2\3", row) for row in got_rows[1:]] == [
        strip.sub(r"\1\2\3", row) for row in readme_rows[1:]
    ]


def test_every_picture_is_there():
    """Each picture README shows is a file in the repository."""
    pictures = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", README)
    assert "docs/screenshots/telegram-chat.png" in pictures
    assert [p for p in pictures if not (ROOT / p).is_file()] == []


def test_every_setting_the_code_reads_is_in_the_settings_table():
    """Each VOICEBOX_* variable read through the settings helpers has a row in the table."""
    read = set()
    for path in (ROOT / "voicebox").rglob("*.py"):
        code = path.read_text(encoding="utf-8")
        read |= set(re.findall(r"(?:env_value|_whole_number)\(\s*env,\s*\"([A-Z0-9_]+)\"", code))
    assert {"TELEGRAM_TOKEN", "TELEGRAM_RATE", "DATABASE_URL"} <= read
    table = _section("Running for a whole council").split("(configuration)")[1]
    rows = {
        name
        for line in table.splitlines()
        if line.startswith("| `VOICEBOX_")
        for name in re.findall(r"`VOICEBOX_([A-Z0-9_]+)`", line.split(" | ")[0])
    }
    assert sorted(read - rows) == []


def test_telegram_picture_is_drawn_from_the_real_chat(tmp_path):
    """docs/telegram_screenshot.py still runs the check-in against the fake Bot API and
    draws what README's picture shows: answered questions, then one button per choice."""
    import importlib.util

    path = ROOT / "docs" / "telegram_screenshot.py"
    spec = importlib.util.spec_from_file_location("telegram_screenshot", path)
    assert spec is not None and spec.loader is not None
    drawing = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = drawing  # its dataclasses look themselves up there
    try:
        spec.loader.exec_module(drawing)
    finally:
        del sys.modules[spec.name]
    bubbles = drawing.run_check_in(tmp_path)
    assert [b.mine for b in bubbles] == [True, False, False, False]
    assert bubbles[1].text.endswith("Your answer: ✅ Yes, that is OK") and bubbles[1].rows == []
    assert bubbles[3].text == "How do you feel about home?"
    assert bubbles[3].rows[:5] == [
        ["😄 Very good"],
        ["🙂 Good"],
        ["😐 OK"],
        ["🙁 Not good"],
        ["😢 Bad"],
    ]
    page = drawing.chat_page(bubbles)
    assert '<html lang="en">' in page and "<title>" in page
    assert '<span class="visually-hidden">Voicebox:</span>' in page
