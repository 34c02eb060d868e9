"""The schema: migrations match the models, on SQLite and PostgreSQL."""

import time

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from voicebox.storage.models import Base


def test_migrations_match_the_models(database):
    """Alembic's head schema is exactly what the models describe."""
    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_every_table_exists(database):
    """All tables are created by the first migration onwards."""
    tables = set(inspect(database.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_upgrade_twice_is_harmless(database):
    """Running the upgrade again changes nothing."""
    database.upgrade()
    assert database.ping()


def test_a_long_read_does_not_hold_up_messages(engine):
    """An export half-way through (another process, as `voicebox export` is) blocks no one."""
    from voicebox.bot.messages import InboundMessage
    from voicebox.storage.database import Database
    from voicebox.storage.export import export_rows

    for number, words in enumerate(["DEMO", "yes", "1", "2", "Kind teachers"]):
        engine.handle(InboundMessage("sms", "sms:+447700900001", words, message_id=f"a{number}"))
    other = Database(engine.store.database.url)  # its own connections, like another process
    try:
        rows = export_rows(other, "DEMO")
        first = next(rows)  # the export's read is open now
        started = time.monotonic()
        result = engine.handle(InboundMessage("sms", "sms:+447700900002", "DEMO", message_id="b"))
        replies = result.replies
        waited = time.monotonic() - started
        assert replies and waited < 2, f"a message waited {waited:.1f} s for an export"
        assert [first, *rows][-1]["answer"] == "Kind teachers"
    finally:
        other.dispose()


def test_pages_and_lists_read_while_another_process_writes(engine):
    """A writer holding the database (say, a CLI command) does not stop pages reading it."""
    from sqlalchemy import text

    from voicebox.storage.consultations import get_consultation, list_consultations
    from voicebox.storage.database import Database

    database = engine.store.database
    other = Database(database.url)  # its own connections, like another process
    try:
        with other.transaction() as conn:
            conn.execute(text("UPDATE consultations SET title = title"))  # now it writes
            started = time.monotonic()
            assert get_consultation(database, "demo") is not None
            assert "DEMO" in [c.code for c in list_consultations(database)]
            assert database.ping()
            waited = time.monotonic() - started
            assert waited < 2, f"reading waited {waited:.1f} s for another writer"
    finally:
        other.dispose()
