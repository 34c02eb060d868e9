"""Migration 0003: today's transcript rows move into structured columns, on both databases."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from voicebox.storage.database import MIGRATIONS_DIR, Database


def _alembic(database: Database, target: str, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, target)


def _add_consultation(conn, code: str, title: str) -> None:
    """A consultation row as an older schema holds it (written in SQL, not by today's code)."""
    conn.execute(
        text(
            "INSERT INTO consultations (code, title, flow_id, flow_version, status, "
            "created_at) VALUES (:code, :title, 'tops_and_pants', 1, 'open', :now)"
        ),
        {"code": code, "title": title, "now": "2026-11-20 10:00:00+00:00"},
    )


OLD_ROWS = [
    # direction, text as 0002 kept it, step
    ("in", "[button consent:yes]", None),
    ("in", "My teacher explains things", None),
    ("in", "[button topic:school]", None),
    ("out", "Which part of your life?\n1 School or college\n2 Home", "topic"),
    ("out", "Thank you. You can skip any question.", "thanks"),
    ("out", "Line one\nLine two", "hello"),
    ("out", "Sorry, I did not get that.", None),
    ("in", "[button not a real one", None),
]


def test_old_rows_move_into_their_columns(database):
    """Buttons keep their step and key; questions lose the numbered choice lines only."""
    _alembic(database, "0002", down=True)
    with database.engine.begin() as conn:
        _add_consultation(conn, "OLD", "Old")
        conn.execute(
            text(
                "INSERT INTO participants (channel, key_hash, pseudonym, address, opted_out, "
                "report_back, created_at, updated_at) VALUES ('sms', 'k', 'Otter-1000', "
                "'sms:+1', false, false, :now, :now)"
            ),
            {"now": "2026-11-20 10:00:00+00:00"},
        )
        conn.execute(
            text(
                "INSERT INTO conversations (participant_id, consultation_id, channel, step, "
                "consent, flagged, state, started_at, updated_at) VALUES (1, 1, 'sms', "
                "'topic', 'given', false, '{}', :now, :now)"
            ),
            {"now": "2026-11-20 10:00:00+00:00"},
        )
        for direction, body, step in OLD_ROWS:
            conn.execute(
                text(
                    "INSERT INTO transcript_messages (conversation_id, direction, text, step, "
                    "created_at) VALUES (1, :d, :t, :s, :now)"
                ),
                {"d": direction, "t": body, "s": step, "now": "2026-11-20 10:00:00+00:00"},
            )
    _alembic(database, "head")
    with database.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT direction, text, step, choice_key FROM transcript_messages ORDER BY id")
        ).all()
    assert [tuple(row) for row in rows] == [
        ("in", "", "consent", "yes"),
        ("in", "My teacher explains things", None, None),
        ("in", "", "topic", "school"),
        ("out", "Which part of your life?", "topic", None),
        ("out", "Thank you. You can skip any question.", "thanks", None),
        ("out", "Line one\nLine two", "hello", None),
        ("out", "Sorry, I did not get that.", None, None),
        ("in", "[button not a real one", None, None),
    ]
    _alembic(database, "0002", down=True)  # and back: buttons get their old text again
    with database.engine.connect() as conn:
        first = conn.execute(text("SELECT text FROM transcript_messages ORDER BY id")).first()
    assert first is not None and first[0] == "[button consent:yes]"


def _titles(database: Database) -> dict[str, str]:
    with database.engine.connect() as conn:
        return dict(conn.execute(text("SELECT code, title FROM consultations")).all())


def test_the_demo_checkin_loses_its_old_demo_title(database):
    """0005: DEMO's old 'Demo: ...' title becomes the flow's; chosen titles stay."""
    _alembic(database, "0004", down=True)
    with database.engine.begin() as conn:
        for code, title in [
            ("DEMO", "Demo: what is good and not good"),
            ("CLUB", "Demo: what is good and not good"),  # not DEMO: someone chose it
        ]:
            _add_consultation(conn, code, title)
    _alembic(database, "head")
    assert _titles(database) == {
        "DEMO": "What is good and what is not good",
        "CLUB": "Demo: what is good and not good",
    }


def test_a_demo_title_someone_chose_is_kept(database):
    """0005 changes only the exact old title: a title given to DEMO by a person stays."""
    _alembic(database, "0004", down=True)
    with database.engine.begin() as conn:
        _add_consultation(conn, "DEMO", "Our club")
    _alembic(database, "head")
    assert _titles(database) == {"DEMO": "Our club"}
