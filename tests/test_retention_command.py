"""`voicebox retention run` in a real process: counts on standard output, exit 0; one
human line when the database cannot be reached."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from tests.test_cli import one_line_error, run
from voicebox.bot.messages import utcnow
from voicebox.storage.database import Database
from voicebox.storage.models import Consultation

CHECK_IN = "1\n2\n4\nMy own room\nIt is noisy\nHeadphones\n2\n1\n"


def test_retention_run_prints_what_it_deleted(tmp_path):
    """DEMO closed 8 days ago and kept 7: the typed answers go and the command says so."""
    chat = run(tmp_path, "chat", "DEMO", stdin=CHECK_IN)
    assert chat.returncode == 0, chat.stderr
    nothing = run(tmp_path, "retention", "run")
    assert nothing.returncode == 0, nothing.stderr
    assert nothing.stdout.startswith("Deleted 0 typed answers and 0 transcript messages")
    database = Database(f"sqlite:///{tmp_path}/voicebox.db")
    with database.transaction() as conn:
        conn.execute(
            update(Consultation).values(
                status="closed", closed_at=utcnow() - timedelta(days=8), retain_days=7
            )
        )
    database.dispose()
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
