"""`voicebox retention run` in a real process: counts on standard output, exit 0; one
human line when the database cannot be reached."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select, update

from tests.serve_process import ServeProcess
from tests.test_cli import one_line_error, run
from voicebox.bot.messages import utcnow
from voicebox.storage.database import Database
from voicebox.storage.models import Answer, Consultation

CHECK_IN = "1\n2\n4\nMy own room\nIt is noisy\nHeadphones\n2\n1\n"


def _past_its_time(folder) -> Database:
    """DEMO closed 8 days ago, its typed words kept 7."""
    database = Database(f"sqlite:///{folder}/voicebox.db")
    with database.transaction() as conn:
        conn.execute(
            update(Consultation).values(
                status="closed", closed_at=utcnow() - timedelta(days=8), retain_days=7
            )
        )
    return database


def _typed(database: Database) -> int:
    with database.reading() as conn:
        return conn.scalar(select(func.count()).where(Answer.answer_key == "")) or 0


def test_retention_run_prints_what_it_deleted(tmp_path):
    """Past its time, the typed answers go and the command says how many."""
    chat = run(tmp_path, "chat", "DEMO", stdin=CHECK_IN)
    assert chat.returncode == 0, chat.stderr
    nothing = run(tmp_path, "retention", "run")
    assert nothing.returncode == 0, nothing.stderr
    assert nothing.stdout.startswith("Deleted 0 typed answers and 0 transcript messages")
    _past_its_time(tmp_path).dispose()
    done = run(tmp_path, "retention", "run")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Deleted 3 typed answers and "), done.stdout
    assert "from 1 conversation in 1 check-in" in done.stdout
    export = run(tmp_path, "export", "DEMO", "--format", "csv")
    assert "My own room" not in export.stdout and "Not good" in export.stdout


def test_retention_run_without_a_database_is_one_line(tmp_path):
    """An unreachable database: one plain line, no traceback, a non-zero exit."""
    result = run(
        tmp_path, "retention", "run", VOICEBOX_DATABASE_URL="postgresql://voicebox@127.0.0.1:1/v"
    )
    assert "cannot reach the database" in one_line_error(result)


def test_serve_runs_retention_as_it_starts(tmp_path):
    """`voicebox serve` deletes what is past its time at start, and logs counts only."""
    chat = run(tmp_path, "chat", "DEMO", stdin=CHECK_IN)
    assert chat.returncode == 0, chat.stderr
    database = _past_its_time(tmp_path)
    assert _typed(database) == 3
    server = ServeProcess(tmp_path, "--no-demo")
    try:
        deadline = time.monotonic() + 15
        while _typed(database) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        server.stop()
        database.dispose()
    assert _typed(database) == 0
    log = server.log.read_text()
    assert "retention: Deleted 3 typed answers" in log
    assert "My own room" not in log
