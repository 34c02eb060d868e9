"""The `voicebox` command through a real subprocess: consultations, export, workers, chat."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from voicebox.storage.addresses import AddressSeal
from voicebox.storage.database import Database
from voicebox.storage.export import COLUMNS

VOICEBOX = shutil.which("voicebox") or str(Path(sys.executable).parent / "voicebox")
CHECK_IN = "1\n2\n4\nMy own room\nIt is noisy\nHeadphones\n2\n1\n"


def run(folder: Path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOX_")}
    environment.update(env)
    return subprocess.run(
        [VOICEBOX, *args],
        cwd=folder,
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("voicebox: ")
    return lines[0]


@pytest.fixture
def folder(tmp_path):
    return tmp_path


def test_consultation_create_list_close(folder):
    """Create, list and close a consultation; a closed code stops working in chat."""
    made = run(
        folder,
        "consultation",
        "create",
        "youth1",
        "--flow",
        "four_cornerstones",
        "--title",
        "Youth forum, spring",
    )
    assert made.returncode == 0, made.stderr
    assert "YOUTH1" in made.stdout
    listed = run(folder, "consultation", "list")
    assert "YOUTH1" in listed.stdout and "four_cornerstones" in listed.stdout
    assert "open" in listed.stdout
    closed = run(folder, "consultation", "close", "Youth1")
    assert closed.returncode == 0 and "YOUTH1" in closed.stdout
    assert "closed" in run(folder, "consultation", "list").stdout
    assert "closed" in one_line_error(run(folder, "chat", "YOUTH1"))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("consultation", "create", "X1", "--flow", "nope", "--title", "T"), "no flow 'nope'"),
        (
            ("consultation", "create", "a b", "--flow", "tops_and_pants", "--title", "T"),
            "not a usable code",
        ),
        (("consultation", "close", "MISSING"), "no consultation with the code MISSING"),
        (("export", "MISSING"), "no consultation with the code MISSING"),
        (("chat", "MISSING"), "no consultation with the code MISSING"),
    ],
)
def test_bad_input_is_one_line(folder, args, expected):
    """Unknown codes, flows and bad codes: one plain line and a non-zero exit."""
    assert expected in one_line_error(run(folder, *args))


def test_taken_code_is_one_line(folder):
    """A code can be used once."""
    run(folder, "consultation", "create", "TWICE", "--flow", "tops_and_pants", "--title", "A")
    again = run(
        folder, "consultation", "create", "twice", "--flow", "tops_and_pants", "--title", "B"
    )
    assert "already used" in one_line_error(again)


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///{folder}/no/such/folder/v.db",
        "postgresql://voicebox@127.0.0.1:1/voicebox",
        "nonsense://",
    ],
)
def test_unreachable_database_is_one_line(folder, url):
    """A database that cannot be used gives one line, whatever the command."""
    result = run(folder, "consultation", "list", VOICEBOX_DATABASE_URL=url.format(folder=folder))
    one_line_error(result)


def test_chat_completes_a_check_in_and_export_shows_it(folder):
    """`voicebox chat DEMO` runs the check-in; every export format shows its answers."""
    chat = run(folder, "chat", "DEMO", stdin=CHECK_IN)
    assert chat.returncode == 0, chat.stderr
    assert "The people who run this group will talk" in chat.stdout

    as_csv = run(folder, "export", "DEMO", "--format", "csv")
    assert as_csv.returncode == 0
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert tuple(rows[0]) == COLUMNS
    assert [(r["question_id"], r["answer"]) for r in rows] == [
        ("feeling", "Not good"),
        ("good", "My own room"),
        ("not_good", "It is noisy"),
        ("better", "Headphones"),
    ]
    assert {r["channel"] for r in rows} == {"console"}
    assert {r["kind"] for r in rows} == {"feeling", "top", "pants", "better"}
    assert {r["topic"] for r in rows} == {"home"}
    (pseudonym,) = {r["participant"] for r in rows}
    assert re.fullmatch(r"[A-Z][a-z]+-\d{4}", pseudonym), pseudonym
    db = Database(f"sqlite:///{folder / 'voicebox.db'}")
    with db.engine.connect() as conn:
        ((kept, key_hash),) = conn.exec_driver_sql("SELECT address, key_hash FROM participants")
    db.dispose()
    assert kept.startswith("v1:") and "console:" not in kept  # kept sealed
    secret = (folder / "voicebox.db.secret").read_text().strip().encode()
    address = AddressSeal(secret).open(kept, key_hash)
    assert address.startswith("console:")
    assert address not in as_csv.stdout and address.split(":")[1] not in as_csv.stdout

    as_json = json.loads(run(folder, "export", "DEMO", "--format", "json").stdout)
    assert [list(item) for item in as_json] == [list(COLUMNS)] * 4
    assert [item["answer"] for item in as_json] == [r["answer"] for r in rows]

    out = folder / "answers.xlsx"
    written = run(folder, "export", "demo", "--format", "xlsx", "--out", str(out))
    assert written.returncode == 0 and "4 answer" in written.stderr
    sheet = load_workbook(out).active
    values = list(sheet.values)
    assert values[0] == COLUMNS
    assert [row[5] for row in values[1:]] == [r["answer"] for r in rows]


def test_an_answer_xml_cannot_hold_still_exports_and_is_counted(folder):
    """U+FFFE and U+FFFF typed in a real check-in: the xlsx opens, holds every answer (less
    those two characters), and the count the command gives is the rows in the file."""
    typed = "1\n2\n4\nMy own room\ufffe\nIt is noisy\uffff\nHead\ufffephones\n2\n1\n"
    chat = run(folder, "chat", "DEMO", stdin=typed)
    assert chat.returncode == 0, chat.stderr
    out = folder / "answers.xlsx"
    written = run(folder, "export", "DEMO", "--format", "xlsx", "--out", str(out))
    assert written.returncode == 0, written.stderr
    values = list(load_workbook(out).active.values)
    assert [row[5] for row in values[1:]] == [
        "Not good",
        "My own room",
        "It is noisy",
        "Headphones",
    ]
    assert written.stderr.splitlines()[-1] == f"Wrote 4 answer(s) from DEMO to {out}."
    as_json = json.loads(run(folder, "export", "DEMO", "--format", "json").stdout)
    assert as_json[1]["answer"] == "My own room\ufffe"  # kept as typed where the format can


def test_formulas_are_never_run(folder):
    """Answers that look like spreadsheet formulas stay text in CSV and xlsx."""
    chat = run(folder, "chat", "DEMO", stdin='1\n2\n4\n=HYPERLINK("x")\n@SUM(A1)\nskip\n2\n2\n')
    assert chat.returncode == 0, chat.stderr
    as_csv = run(folder, "export", "DEMO").stdout
    assert "'=HYPERLINK" in as_csv and "'@SUM(A1)" in as_csv
    out = folder / "a.xlsx"
    run(folder, "export", "DEMO", "--format", "xlsx", "--out", str(out))
    cells = [cell for row in load_workbook(out).active.iter_rows() for cell in row]
    formula = [c for c in cells if isinstance(c.value, str) and c.value.startswith("=HYPER")]
    assert formula and all(c.data_type == "s" for c in formula)


def test_stop_in_chat_keeps_listening_for_start(folder):
    """STOP in the terminal: one confirmation, silence, and START brings the person back."""
    chat = run(folder, "chat", "DEMO", stdin="1\nstop\n1\nhello\nSTART\n1\n")
    assert chat.returncode == 0
    assert chat.stdout.count("You have stopped") == 1
    assert chat.stdout.count("Type START to come back") == 1
    after_stop = chat.stdout.split("You have stopped", 1)[1]
    assert "Welcome back" in after_stop
    assert after_stop.count("Which part of your life") == 1  # where they were, once
    assert "How do you feel about school or college?" in after_stop  # START, then '1' answers


def test_worker_create(folder):
    """A worker is created from VOICEBOX_WORKER_PASSWORD; bad input is one line."""
    made = run(
        folder,
        "worker",
        "create",
        "Sam@Example.org",
        "--role",
        "worker",
        VOICEBOX_WORKER_PASSWORD="a long enough password",
    )
    assert made.returncode == 0, made.stderr
    assert "sam@example.org" in made.stdout
    again = run(
        folder,
        "worker",
        "create",
        "sam@example.org",
        "--role",
        "admin",
        VOICEBOX_WORKER_PASSWORD="a long enough password",
    )
    assert "already exists" in one_line_error(again)
    short = run(
        folder,
        "worker",
        "create",
        "kim@example.org",
        "--role",
        "admin",
        VOICEBOX_WORKER_PASSWORD="short",
    )
    assert "at least" in one_line_error(short)
    no_password = run(folder, "worker", "create", "lee@example.org", "--role", "admin")
    assert "VOICEBOX_WORKER_PASSWORD" in one_line_error(no_password)


def test_worker_password_is_hashed_with_argon2(folder):
    """The password is stored as an argon2 hash, never as given."""
    from voicebox.storage.database import Database
    from voicebox.storage.workers import check_password

    run(
        folder,
        "worker",
        "create",
        "ana@example.org",
        "--role",
        "admin",
        VOICEBOX_WORKER_PASSWORD="correct horse battery",
    )
    db = Database(f"sqlite:///{folder / 'voicebox.db'}")
    with db.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT password_hash FROM workers").scalar_one()
    assert stored.startswith("$argon2") and "correct horse" not in stored
    assert check_password(db, "ana@example.org", "correct horse battery") is not None
    assert check_password(db, "ana@example.org", "wrong") is None
    db.dispose()


def test_database_url_is_used(folder):
    """VOICEBOX_DATABASE_URL puts the database (and a made secret key) where it says."""
    elsewhere = folder / "data"
    elsewhere.mkdir()
    url = f"sqlite:///{elsewhere / 'answers.db'}"
    chat = run(folder, "chat", "DEMO", stdin=CHECK_IN, VOICEBOX_DATABASE_URL=url)
    assert chat.returncode == 0, chat.stderr
    assert (elsewhere / "answers.db").exists() and not (folder / "voicebox.db").exists()
    assert [p for p in elsewhere.iterdir() if p.suffix == ".secret"]
    exported = run(folder, "export", "DEMO", "--format", "json", VOICEBOX_DATABASE_URL=url)
    assert len(json.loads(exported.stdout)) == 4
    assert "no consultation" in one_line_error(run(folder, "export", "DEMO"))


@pytest.mark.postgres
def test_commands_on_postgresql(folder, postgres_database):
    """The same commands work on PostgreSQL, with a postgresql:// address."""
    url = postgres_database.url.replace("postgresql+psycopg://", "postgresql://")
    env = {"VOICEBOX_DATABASE_URL": url, "VOICEBOX_SECRET_KEY": "a-test-secret-key"}
    made = run(
        folder, "consultation", "create", "PG1", "--flow", "tops_and_pants", "--title", "P", **env
    )
    assert made.returncode == 0, made.stderr
    chat = run(folder, "chat", "pg1", stdin=CHECK_IN, **env)
    assert chat.returncode == 0, chat.stderr
    assert "PG1" in run(folder, "consultation", "list", **env).stdout
    rows = list(csv.DictReader(io.StringIO(run(folder, "export", "PG1", **env).stdout)))
    assert [r["answer"] for r in rows] == ["Not good", "My own room", "It is noisy", "Headphones"]
    assert not list(folder.iterdir()), "nothing is written to the current folder"


def test_groups_from_the_command_line(folder):
    """Groups are made, listed and given check-ins; a worker is put in groups as made."""
    password = {"VOICEBOX_WORKER_PASSWORD": "a long enough password"}
    assert "There are no groups yet." in run(folder, "group", "list").stdout
    made = run(folder, "group", "create", "  Youth   club ")
    assert made.returncode == 0 and "Created group Youth club." in made.stdout
    assert "already a group called Youth club" in one_line_error(
        run(folder, "group", "create", "YOUTH CLUB")
    )
    assert "needs a name" in one_line_error(run(folder, "group", "create", "  "))
    worker = run(
        folder,
        "worker",
        "create",
        "sam@example.org",
        "--role",
        "worker",
        "--group",
        "youth club",
        "--group",
        "Council team",
        **password,
    )
    assert worker.returncode == 0, worker.stderr
    assert "Created worker sam@example.org in Council team, Youth club." in worker.stdout
    checkin = run(
        folder,
        "consultation",
        "create",
        "club1",
        "--flow",
        "tops_and_pants",
        "--title",
        "Club",
        "--group",
        "Youth club",
    )
    assert checkin.returncode == 0 and "group Youth club" in checkin.stdout
    assert run(folder, "group", "list").stdout.splitlines() == ["Council team", "Youth club"]
    run(folder, "consultation", "create", "loose", "--flow", "tops_and_pants", "--title", "L")
    moved = run(folder, "group", "add", "Council team", "loose")
    assert moved.returncode == 0 and "LOOSE is now in the group Council team." in moved.stdout
    assert "no consultation with the code NOPE" in one_line_error(
        run(folder, "group", "add", "Council team", "nope")
    )

    from voicebox.storage.consultations import list_consultations
    from voicebox.storage.workers import check_password, get_worker

    db = Database(f"sqlite:///{folder / 'voicebox.db'}")
    groups = {info.code: info.group for info in list_consultations(db)}
    assert groups == {"CLUB1": "Youth club", "LOOSE": "Council team"}
    worker_id = check_password(db, "sam@example.org", "a long enough password")
    account = get_worker(db, worker_id)
    assert account is not None and len(account.group_ids) == 2
    db.dispose()


def test_group_contacts_from_the_command_line(folder):
    """Safeguarding contacts are added, listed and removed; a bad address is one line."""
    run(folder, "group", "create", "Youth club")
    empty = run(folder, "group", "contact", "Youth club")
    assert "No safeguarding contacts: this group's flags go to every admin." in empty.stdout
    added = run(folder, "group", "contact", "youth club", "DSL@Youth.example")
    assert added.returncode == 0
    assert "dsl@youth.example will be told at once" in added.stdout
    again = run(folder, "group", "contact", "Youth club", "dsl@youth.example")
    assert "dsl@youth.example is already told." in again.stdout
    assert run(folder, "group", "contact", "Youth club").stdout.splitlines() == [
        "dsl@youth.example"
    ]
    assert "does not look like an email address" in one_line_error(
        run(folder, "group", "contact", "Youth club", "not-an-email")
    )
    assert "no group called Nobody" in one_line_error(
        run(folder, "group", "contact", "Nobody", "a@b.example")
    )
    removed = run(folder, "group", "contact", "Youth club", "dsl@youth.example", "--remove")
    assert "dsl@youth.example will no longer be told." in removed.stdout
    assert "No safeguarding contacts" in run(folder, "group", "contact", "Youth club").stdout


def test_exports_hide_what_could_identify_a_young_person(folder):
    """A phone number, email and postcode typed in an answer are masked in every format."""
    typed = "Text 07700 900123 or jo.b@example.org, near SW1A 1AA"
    chat = run(folder, "chat", "DEMO", stdin=f"1\n2\n4\n{typed}\nskip\nskip\n2\n2\n")
    assert chat.returncode == 0, chat.stderr
    as_csv = run(folder, "export", "DEMO", "--format", "csv").stdout
    as_json = run(folder, "export", "DEMO", "--format", "json").stdout
    out = folder / "a.xlsx"
    run(folder, "export", "DEMO", "--format", "xlsx", "--out", str(out))
    cells = repr(list(load_workbook(out).active.values))
    masked = "Text [phone number] or [email address], near [postcode]"
    assert masked in as_csv and masked in cells
    assert [row["answer"] for row in json.loads(as_json)][1] == masked
    for shown in (as_csv, as_json, cells):
        for secret in ("07700 900123", "jo.b@example.org", "SW1A 1AA"):
            assert secret not in shown


def test_export_keeps_to_one_theme_by_name(folder):
    """`--theme NAME` (any case) gives only that theme's answers, with the themes column;
    a theme the check-in does not have is one human line."""
    from tests.export_data import add_answers
    from voicebox.storage.consultations import get_consultation
    from voicebox.storage.themes import create_theme, tag_answers

    made = run(
        folder, "consultation", "create", "THEMED", "--flow", "tops_and_pants", "--title", "T"
    )
    assert made.returncode == 0, made.stderr
    db = Database(f"sqlite:///{folder / 'voicebox.db'}")
    try:
        add_answers(db, "THEMED", 2)
        found = get_consultation(db, "THEMED")
        assert found is not None
        theme = create_theme(db, found.id, "Buses")
        with db.reading() as conn:
            first = conn.scalar(_first_answer_query(found.id))
        tag_answers(db, found.id, theme, [first])
    finally:
        db.dispose()
    shown = run(folder, "export", "THEMED", "--theme", "buses")
    assert shown.returncode == 0, shown.stderr
    rows = list(csv.DictReader(io.StringIO(shown.stdout)))
    assert len(rows) == 1 and rows[0]["themes"] == "Buses"
    missing = run(folder, "export", "THEMED", "--theme", "Trains")
    assert missing.returncode != 0
    assert one_line_error(missing) == "voicebox: THEMED has no theme called 'Trains'"


def _first_answer_query(consultation_id: int):
    """The check-in's first answer's id."""
    from sqlalchemy import select

    from voicebox.storage.models import Answer

    return select(Answer.id).where(Answer.consultation_id == consultation_id).order_by(Answer.id)


def _big_check_in(folder: Path, people: int) -> int:
    """A check-in BIG with 4 answers from each of `people` people; how many answers."""
    from tests.export_data import add_answers

    made = run(folder, "consultation", "create", "BIG", "--flow", "tops_and_pants", "--title", "B")
    assert made.returncode == 0, made.stderr
    db = Database(f"sqlite:///{folder / 'voicebox.db'}")
    try:
        return add_answers(db, "BIG", people)
    finally:
        db.dispose()


def test_a_long_export_shows_progress_on_stderr_only(folder):
    """From 10,000 answers, progress goes to standard error a tenth at a time, and the
    export on standard output is the same bytes, with nothing added."""
    total = _big_check_in(folder, 2_601)
    assert total == 10_404
    shown = run(folder, "export", "BIG", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    assert len(json.loads(shown.stdout)) == total
    lines = shown.stderr.splitlines()
    assert lines[0] == "Exporting 10,404 answers from BIG."
    assert lines[1] == " 10% (1,041 of 10,404 answers)"
    assert lines[-1] == "100% (10,404 of 10,404 answers)"
    assert lines[9] == " 90% (9,369 of 10,404 answers)"
    assert len(lines) == 11  # the first line, nine tenths, and the end
    written = run(folder, "export", "BIG", "--format", "csv", "--out", str(folder / "a.csv"))
    assert written.stdout == ""
    assert (
        written.stderr.splitlines()[-1]
        == f"Wrote {total} answer(s) from BIG to {folder / 'a.csv'}."
    )
    assert len((folder / "a.csv").read_text(encoding="utf-8").splitlines()) == total + 1


def test_in_a_terminal_progress_is_one_line_rewritten(folder):
    """When standard error is a terminal, progress rewrites one line, up to 100%."""
    import pty

    _big_check_in(folder, 2_500)
    leader, follower = pty.openpty()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOX_")}
        result = subprocess.run(
            [VOICEBOX, "export", "BIG", "--format", "csv"],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=follower,
            timeout=60,
        )
        os.close(follower)
        follower = -1
        said = b""
        while chunk := _read_pty(leader):
            said += chunk
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)
    assert result.returncode == 0
    assert result.stdout.count(b"\r\n") == 10_001  # CSV rows end in CRLF; nothing else there
    words = said.decode()
    assert words.startswith("Exporting 10,000 answers from BIG.")
    assert words.count("\r") >= 100 and "\r100% (10,000 of 10,000 answers)" in words
    assert words.rstrip().endswith("100% (10,000 of 10,000 answers)")


def _read_pty(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # Linux says EIO once the other end is closed and everything is read
        return b""


def test_workers_listed_turned_off_and_given_new_passwords(folder):
    """The command line manages accounts too; the last admin cannot be turned off."""
    from voicebox.storage.workers import check_password

    password = {"VOICEBOX_WORKER_PASSWORD": "a long enough password"}
    run(folder, "worker", "create", "boss@example.org", "--role", "admin", **password)
    made = run(
        folder,
        "worker",
        "create",
        "kim@example.org",
        "--role",
        "worker",
        "--group",
        "Club",
        **password,
    )
    assert made.returncode == 0, made.stderr
    assert run(folder, "worker", "list").stdout.splitlines() == [
        "boss@example.org (admin)",
        "kim@example.org (worker): Club",
    ]
    off = run(folder, "worker", "off", "KIM@example.org")
    assert off.returncode == 0 and "kim@example.org is turned off." in off.stdout
    assert "kim@example.org (worker, turned off): Club" in run(folder, "worker", "list").stdout
    assert "at least one active admin" in one_line_error(
        run(folder, "worker", "off", "boss@example.org")
    )
    assert "no worker with the email nobody@example.org" in one_line_error(
        run(folder, "worker", "off", "nobody@example.org")
    )
    assert run(folder, "worker", "on", "kim@example.org").returncode == 0
    changed = run(
        folder, "worker", "password", "kim@example.org", VOICEBOX_WORKER_PASSWORD="another long one"
    )
    assert changed.returncode == 0 and "has a new password" in changed.stdout
    assert "at least 10 characters" in one_line_error(
        run(folder, "worker", "password", "kim@example.org", VOICEBOX_WORKER_PASSWORD="short")
    )
    db = Database(f"sqlite:///{folder / 'voicebox.db'}")
    assert check_password(db, "kim@example.org", "another long one") is not None
    assert check_password(db, "kim@example.org", "a long enough password") is None
    db.dispose()
