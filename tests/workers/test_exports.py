"""Downloading a check-in's answers from the workers' area: the same bytes as
`voicebox export`, streamed, masked, only for the check-in's group, and for admins with
nothing hidden, recorded."""

from __future__ import annotations

import io
import itertools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.channels.webpage import parse
from tests.export_data import add_answers
from tests.workers.conftest import PASSWORD, make_area, token
from voicebox.bot.messages import InboundMessage
from voicebox.storage.consultations import create_consultation
from voicebox.storage.reveals import list_reveals
from voicebox.storage.workers import create_worker, set_consultation_group
from voicebox.workers import export_pages

VOICEBOX = shutil.which("voicebox") or str(Path(sys.executable).parent / "voicebox")
FORMATS = ("csv", "xlsx", "json")
TYPED = "Text me on 07700 900123 or jo.b@example.org, I live near SW1A 1AA"
HIDDEN = ("07700 900123", "jo.b@example.org", "SW1A 1AA")
_ids = itertools.count()


def _check_in(area, code: str, phone: str, good: str = TYPED) -> None:
    """A whole check-in by SMS through the area's engine: 4 answers, one of them typed."""
    for words in (code, "1", "1", "2", good, "The bus", "=SUM(A1)", "2", "1"):
        area.services.engine.handle(
            InboundMessage("sms", f"sms:{phone}", words, message_id=f"x{next(_ids)}")
        )


def _cli_export(database_url: str, code: str, fmt: str) -> bytes:
    """What `voicebox export CODE --format FMT` prints, run as its own process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOX_")}
    env.update(VOICEBOX_DATABASE_URL=database_url, VOICEBOX_SECRET_KEY="cli-export-secret-0123")
    result = subprocess.run(
        [VOICEBOX, "export", code, "--format", fmt],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""  # a short export says nothing more
    return result.stdout


def _cells(data: bytes) -> list[tuple[str, list[tuple]]]:
    workbook = load_workbook(io.BytesIO(data))
    return [(sheet.title, list(sheet.values)) for sheet in workbook]


def _assert_same_export(fmt: str, area_bytes: bytes, cli_bytes: bytes) -> None:
    if fmt == "xlsx":  # a workbook records when it was made: compare what it holds
        assert _cells(area_bytes) == _cells(cli_bytes)
    else:
        assert area_bytes == cli_bytes


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_area_gives_what_the_command_line_gives(area, fmt):
    """Each button's file is the CLI's export of the same check-in, masked the same way."""
    _check_in(area, "YOUTH1", "+447700900601")
    _check_in(area, "YOUTH1", "+447700900602", good="Kind staff")
    client = area.signed_in("youth@example.org")
    response = client.get(f"/workers/checkins/youth1/export.{fmt}")
    assert response.status_code == 200
    disposition = f'attachment; filename="voicebox-YOUTH1-answers.{fmt}"'
    assert response.headers["Content-Disposition"] == disposition
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data()
    _assert_same_export(fmt, body, _cli_export(area.services.database.url, "YOUTH1", fmt))
    shown = repr(_cells(body)) if fmt == "xlsx" else body.decode("utf-8")
    assert "[phone number]" in shown and "[email address]" in shown and "[postcode]" in shown
    assert "Kind staff" in shown and "SUM(A1)" in shown
    for secret in (*HIDDEN, "7700900601"):
        assert secret not in shown


def test_each_format_says_what_it_is(area):
    """Browsers and spreadsheet programs are told what each file is."""
    client = area.signed_in("youth@example.org")
    types = {
        fmt: client.get(f"/workers/checkins/YOUTH1/export.{fmt}").headers["Content-Type"]
        for fmt in FORMATS
    }
    assert types == {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "json": "application/json",
    }


def test_the_page_offers_the_three_downloads_in_plain_words(area):
    """Under "Download the answers": CSV, Excel and JSON, each saying who it is for; only an
    admin sees the form to download with nothing hidden."""
    page = parse(area.signed_in("youth@example.org").get("/workers/checkins/YOUTH1").text)
    assert "Download the answers" in [h.text() for h in page.find_all("h2")]
    links = {a.text(): a.get("href") for a in page.find_all("a") if "export" in a.get("href", "")}
    assert links == {
        "Download as CSV, for any spreadsheet": "/workers/checkins/YOUTH1/export.csv",
        "Download as Excel": "/workers/checkins/YOUTH1/export.xlsx",
        "Download as JSON, for developers": "/workers/checkins/YOUTH1/export.json",
    }
    assert "nothing hidden" not in page.text()
    admin = parse(area.signed_in("admin@example.org").get("/workers/checkins/YOUTH1").text)
    buttons = [b.text() for b in admin.find_all("button") if "hidden" in b.text()]
    assert buttons == [
        "CSV with nothing hidden",
        "Excel with nothing hidden",
        "JSON with nothing hidden",
    ]


def test_only_the_check_ins_group_and_admins_can_download(area):
    """Another group's worker gets "not found" for every format, the same as for a code that
    does not exist (and a worker's reveal is refused whatever the code, so it tells nothing);
    signed out, the area asks to sign in; admins and workers in both groups get the file."""
    council = area.signed_in("council@example.org")
    form = {"csrf_token": token(council, "/workers/checkins/COUNCIL")}
    for fmt in FORMATS:
        url = f"/workers/checkins/YOUTH1/export.{fmt}"
        assert council.get(url).status_code == 404
        assert council.get(f"/workers/checkins/NOSUCH/export.{fmt}").status_code == 404
        assert council.post(url, data=form).status_code == 403
        assert council.post(f"/workers/checkins/NOSUCH/export.{fmt}", data=form).status_code == 403
        signed_out = area.client().get(url)
        assert signed_out.status_code == 302
        assert signed_out.headers["Location"].startswith("/workers/login?next=")
        assert area.client().post(url).status_code in (302, 400)  # no token, not signed in
    assert council.get("/workers/checkins/YOUTH1/export.xml").status_code == 404
    both = area.signed_in("both@example.org")
    assert both.get("/workers/checkins/YOUTH1/export.csv").status_code == 200
    assert both.get("/workers/checkins/COUNCIL/export.csv").status_code == 200
    assert both.get("/workers/checkins/LOOSE/export.csv").status_code == 404  # no group: admins
    admin = area.signed_in("admin@example.org")
    for code in ("YOUTH1", "COUNCIL", "LOOSE"):
        assert admin.get(f"/workers/checkins/{code}/export.json").status_code == 200
    admin_form = {"csrf_token": token(admin, "/workers/checkins/LOOSE")}
    assert admin.post("/workers/checkins/NOSUCH/export.csv", data=admin_form).status_code == 404
    assert list_reveals(area.services.database) == []


def test_an_admin_can_download_with_nothing_hidden_and_it_is_recorded(area):
    """An admin's POST (with the page's token) gives the words as typed, under a name that
    says so, and records who and when first; a worker cannot, and neither can a form with
    no token; nothing is recorded for them."""
    _check_in(area, "YOUTH1", "+447700900603")
    worker = area.signed_in("youth@example.org")
    form = {"csrf_token": token(worker, "/workers/checkins/YOUTH1")}
    refused = worker.post("/workers/checkins/YOUTH1/export.csv", data=form)
    assert refused.status_code == 403
    assert TYPED not in refused.text
    admin = area.signed_in("admin@example.org")
    assert admin.post("/workers/checkins/YOUTH1/export.csv").status_code == 400  # no token
    assert list_reveals(area.services.database) == []

    form = {"csrf_token": token(admin, "/workers/checkins/YOUTH1")}
    for fmt in FORMATS:
        response = admin.post(f"/workers/checkins/YOUTH1/export.{fmt}", data=form)
        assert response.status_code == 200
        name = f"voicebox-YOUTH1-answers-nothing-hidden.{fmt}"
        assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
        shown = repr(_cells(response.data)) if fmt == "xlsx" else response.text
        assert TYPED in shown
    reveals = list_reveals(area.services.database, "YOUTH1")
    assert [(r.kind, r.conversation_id) for r in reveals] == [("export", None)] * 3
    admin_id = _worker_id(area, "admin@example.org")
    assert {r.worker_id for r in reveals} == {admin_id}


def _worker_id(area, email: str) -> int:
    from voicebox.storage.workers import check_password

    found = check_password(area.services.database, email, PASSWORD)
    assert found is not None
    return found


def test_the_download_is_streamed_while_the_answers_are_read(area):
    """The response is a stream: the first rows are sent while the database read is still
    open (its connection still out of the pool), and the rest follow."""
    total = add_answers(area.services.database, "YOUTH1", 2_000)
    client = area.signed_in("youth@example.org")
    pool = area.services.database.engine.pool
    response = client.get("/workers/checkins/YOUTH1/export.csv", buffered=False)
    try:
        assert response.is_streamed
        chunks = iter(response.response)
        first = next(chunks) + next(chunks)
        assert first.startswith(b"consultation,participant,") and b"BulkYOUTH1-0," in first
        assert pool.checkedout() == 1, "the read should still be going on"
        rest = b"".join(chunks)
    finally:
        response.close()
    assert pool.checkedout() == 0
    lines = (first + rest).decode("utf-8").splitlines()
    assert len(lines) == total + 1
    assert len(first) < len(rest) / 10


def test_a_third_download_at_once_is_asked_to_wait(area):
    """Two long downloads at once hold two request threads; a third is told to try again in a
    minute (503), and may once one has finished."""
    client = area.signed_in("youth@example.org")
    admin = area.signed_in("admin@example.org")
    held = []
    try:
        for _ in range(export_pages.AT_ONCE):
            response = client.get("/workers/checkins/YOUTH1/export.csv", buffered=False)
            assert response.status_code == 200
            held.append(response)
        busy = client.get("/workers/checkins/YOUTH1/export.json")
        assert busy.status_code == 503
        assert busy.headers["Retry-After"] == "60"
        assert "Another download is being made" in busy.text
        form = {"csrf_token": token(admin, "/workers/checkins/YOUTH1")}
        assert admin.post("/workers/checkins/YOUTH1/export.csv", data=form).status_code == 503
        assert list_reveals(area.services.database) == []  # nothing sent, nothing recorded
        held.pop().close()
        assert client.get("/workers/checkins/YOUTH1/export.json").status_code == 200
    finally:
        for response in held:
            response.close()


@pytest.mark.postgres
@pytest.mark.parametrize("fmt", FORMATS)
def test_on_postgresql_the_area_gives_what_the_command_line_gives(postgres_database, fmt):
    """The same on PostgreSQL: streamed through a server-side cursor, the CLI's bytes."""
    create_consultation(postgres_database, "PGOUT", "tops_and_pants", 2, "PostgreSQL")
    set_consultation_group(postgres_database, "PGOUT", "Youth club")
    create_worker(postgres_database, "pg@example.org", PASSWORD, "worker", ["Youth club"])
    area = make_area(postgres_database)
    try:
        _check_in(area, "PGOUT", "+447700900604")
        add_answers(postgres_database, "PGOUT", 300)
        response = area.signed_in("pg@example.org").get(f"/workers/checkins/PGOUT/export.{fmt}")
        assert response.status_code == 200
        url = postgres_database.url.replace("postgresql+psycopg://", "postgresql://")
        _assert_same_export(fmt, response.data, _cli_export(url, "PGOUT", fmt))
        shown = repr(_cells(response.data)) if fmt == "xlsx" else response.text
        assert "[phone number]" in shown and "07700 900123" not in shown
    finally:
        area.services.database.dispose()
