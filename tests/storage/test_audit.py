"""The audit log: entries written one at a time, read newest first a page at a time with
filters; a failed sign-in never keeps what was typed; reveals are entries too, and the
migration moves the old reveals in. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text, update

from tests.export_data import add_answers
from tests.storage.test_migration_transcripts import _alembic
from voicebox.storage.audit import (
    ACTIONS,
    EXPORTED,
    PER_PAGE,
    REPORT_BACK_SENT,
    SIGN_IN_FAILED,
    SIGNED_IN,
    SIGNED_OUT,
    VIEWED_CONVERSATION,
    AuditFilter,
    list_audit,
    record,
    record_failed_sign_in,
    record_report_back,
)
from voicebox.storage.consultations import create_consultation
from voicebox.storage.models import AuditEntry, Worker
from voicebox.storage.reveals import list_reveals, record_reveal
from voicebox.storage.workers import create_worker

PASSWORD = "a long enough password"


def _entries(database, filters: AuditFilter | None = None, page: int = 1):
    rows, total = list_audit(database, filters, page)
    return [(e.worker_email, e.action, e.consultation_code, e.target) for e in rows], total


def test_entries_are_read_newest_first_with_who_what_and_which_check_in(database):
    """Each entry keeps the worker's id and email, the action, the check-in and target."""
    admin = create_worker(database, "admin@example.org", PASSWORD, "admin")
    record(database, admin, SIGNED_IN)
    record(database, admin, VIEWED_CONVERSATION, " youth1 ", "7")
    record(database, admin, EXPORTED, "YOUTH1", "csv")
    report = record_report_back(database, admin, "youth1", 12)
    assert _entries(database) == (
        [
            ("admin@example.org", REPORT_BACK_SENT, "YOUTH1", "12"),
            ("admin@example.org", EXPORTED, "YOUTH1", "csv"),
            ("admin@example.org", VIEWED_CONVERSATION, "YOUTH1", "7"),
            ("admin@example.org", SIGNED_IN, None, None),
        ],
        4,
    )
    rows, _ = list_audit(database)
    assert rows[0].id == report and rows[0].worker_id == admin
    assert all(r.created_at.tzinfo is not None for r in rows)


def test_only_known_actions_are_recorded(sqlite_database):
    """A made-up action is refused, and nothing is written."""
    admin = create_worker(sqlite_database, "admin@example.org", PASSWORD, "admin")
    with pytest.raises(ValueError):
        record(sqlite_database, admin, "read_minds")
    assert _entries(sqlite_database) == ([], 0)
    assert "report_back_sent" in ACTIONS


def test_a_failed_sign_in_is_kept_by_account_never_by_what_was_typed(database):
    """A wrong password for an account is one entry with the account's own email; an email
    that is no account (perhaps a password typed in the wrong box) adds nothing."""
    worker = create_worker(database, "youth@example.org", PASSWORD, "worker")
    record_failed_sign_in(database, "  Youth@Example.ORG ")
    record_failed_sign_in(database, "my-secret-password-1")
    record_failed_sign_in(database, "")
    rows, total = list_audit(database)
    assert total == 1
    assert (rows[0].worker_id, rows[0].worker_email, rows[0].action) == (
        worker,
        "youth@example.org",
        SIGN_IN_FAILED,
    )
    with database.engine.connect() as conn:
        kept = conn.execute(text("SELECT * FROM audit_log")).all()
    assert "my-secret-password-1" not in repr(kept) and "Youth@Example.ORG" not in repr(kept)


def test_an_entry_outlives_the_account(database):
    """With the worker's row gone, the entry stays with their email and no id."""
    gone = create_worker(database, "gone@example.org", PASSWORD, "worker")
    record(database, gone, SIGNED_IN)
    with database.engine.begin() as conn:
        conn.execute(text("DELETE FROM workers WHERE id = :id"), {"id": gone})
    (entry,), _ = list_audit(database)
    assert (entry.worker_id, entry.worker_email) == (None, "gone@example.org")


def test_pages_of_fifty_and_filters_by_action_worker_and_days(database):
    """55 entries make two pages; each filter narrows them, and they combine."""
    admin = create_worker(database, "admin@example.org", PASSWORD, "admin")
    worker = create_worker(database, "youth@example.org", PASSWORD, "worker")
    ids = [record(database, admin if n % 5 else worker, SIGNED_IN) for n in range(PER_PAGE + 5)]
    first, total = list_audit(database)
    second, _ = list_audit(database, page=2)
    assert total == PER_PAGE + 5 and len(first) == PER_PAGE
    assert [e.id for e in first + second] == ids[::-1]
    assert list_audit(database, page=3) == ([], PER_PAGE + 5)

    out = record(database, worker, SIGNED_OUT)
    assert [e.id for e in list_audit(database, AuditFilter(action=SIGNED_OUT))[0]] == [out]
    theirs, count = list_audit(database, AuditFilter(worker_id=worker))
    assert count == 12 and {e.worker_email for e in theirs} == {"youth@example.org"}
    both = AuditFilter(action=SIGNED_IN, worker_id=worker)
    assert list_audit(database, both)[1] == 11

    # Move one entry back a week: the days it falls in find it, the others do not.
    week_ago = datetime.now(UTC) - timedelta(days=7)
    with database.transaction() as conn:
        conn.execute(update(AuditEntry).where(AuditEntry.id == out).values(created_at=week_ago))
    then = AuditFilter(since=week_ago - timedelta(hours=1), before=week_ago + timedelta(hours=1))
    assert [e.id for e in list_audit(database, then)[0]] == [out]
    since = AuditFilter(since=week_ago + timedelta(hours=1))
    assert list_audit(database, since)[1] == PER_PAGE + 5
    # Newest first by time, not by id: the moved entry is now the oldest.
    assert list_audit(database, page=2)[0][-1].id == out


def test_reveals_are_entries_of_the_log(database):
    """A reveal is one entry (never two records of one thing), with the export's format."""
    create_consultation(database, "SEEN", "tops_and_pants", 2, "Seen")
    add_answers(database, "SEEN", 1)
    admin = create_worker(database, "admin@example.org", PASSWORD, "admin")
    record_reveal(database, admin, "export", "seen", fmt="xlsx")
    record_reveal(database, admin, "conversation", "SEEN", conversation_id=1)
    assert _entries(database) == (
        [
            ("admin@example.org", "revealed_conversation", "SEEN", "1"),
            ("admin@example.org", "exported_revealed", "SEEN", "xlsx"),
        ],
        2,
    )
    assert [(r.kind, r.conversation_id) for r in list_reveals(database, "SEEN")] == [
        ("conversation", 1),
        ("export", None),
    ]
    assert list_reveals(database, "SEEN", 1)[0].kind == "conversation"
    with pytest.raises(ValueError):
        record_reveal(database, admin, "export", "SEEN", fmt="pdf")


def test_the_migration_moves_old_reveals_into_the_log_and_back(database):
    """Reveals made before the log are entries after 0018; going down puts them back."""
    create_consultation(database, "SEEN", "tops_and_pants", 2, "Seen")
    add_answers(database, "SEEN", 1)
    admin = create_worker(database, "admin@example.org", PASSWORD, "admin")
    _alembic(database, "0016", down=True)
    when = "2026-11-20 10:00:00+00:00"
    with database.engine.begin() as conn:
        for kind, conversation in [("export", None), ("conversation", 1)]:
            conn.execute(
                text(
                    "INSERT INTO reveals (worker_id, consultation_code, conversation_id, kind, "
                    "created_at) VALUES (:w, 'SEEN', :c, :k, :t)"
                ),
                {"w": admin, "c": conversation, "k": kind, "t": when},
            )
    _alembic(database, "head")
    assert _entries(database) == (
        [
            ("admin@example.org", "revealed_conversation", "SEEN", "1"),
            ("admin@example.org", "exported_revealed", "SEEN", None),
        ],
        2,
    )
    assert list_audit(database)[0][0].created_at == datetime(2026, 11, 20, 10, tzinfo=UTC)
    _alembic(database, "0016", down=True)
    with database.engine.connect() as conn:
        back = conn.execute(
            text(
                "SELECT worker_id, consultation_code, conversation_id, kind FROM reveals "
                "ORDER BY kind"
            )
        ).all()
    assert [tuple(r) for r in back] == [
        (admin, "SEEN", 1, "conversation"),
        (admin, "SEEN", None, "export"),
    ]
    _alembic(database, "head")  # leaves the schema as the fixture expects


def test_the_worker_table_is_the_one_the_log_names(sqlite_database):
    """The email is copied from the workers table, not taken from the caller."""
    admin = create_worker(sqlite_database, "admin@example.org", PASSWORD, "admin")
    record(sqlite_database, admin, SIGNED_IN)
    with sqlite_database.transaction() as conn:
        conn.execute(update(Worker).where(Worker.id == admin).values(email="new@example.org"))
    record(sqlite_database, admin, SIGNED_OUT)
    assert [e.worker_email for e in list_audit(sqlite_database)[0]] == [
        "new@example.org",
        "admin@example.org",
    ]
