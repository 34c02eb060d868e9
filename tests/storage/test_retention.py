"""Retention on SQLite and PostgreSQL: typed words go only from check-ins closed longer ago
than their period; choices stay; a conversation with an open flag is never touched."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tests.conftest import SECRET
from voicebox.bot.engine import Engine
from voicebox.bot.messages import InboundMessage, utcnow
from voicebox.storage.consultations import create_consultation, get_consultation
from voicebox.storage.flags import review_flag
from voicebox.storage.models import (
    Answer,
    Consultation,
    Conversation,
    OutboxMessage,
    SafeguardingFlag,
    TranscriptMessage,
)
from voicebox.storage.retention import RetentionError, run_retention, set_retention
from voicebox.storage.store import SqlStore
from voicebox.storage.workers import create_worker

_IDS = itertools.count(1)
_PEOPLE = itertools.count(100)


@pytest.fixture
def engine(database, flows):
    """The engine on the test database, with Telegram replies going through the outbox."""
    return Engine(flows.values(), SqlStore(database, SECRET, outbox_channels=["telegram"]))


def _checkin(database, code: str, days: int | None) -> None:
    create_consultation(database, code, "tops_and_pants", 2, f"Check-in {code}")
    if days is not None:
        assert set_retention(database, code, None, days)


def _close(database, code: str, days_ago: int, by_end_date: bool = False) -> None:
    moment = utcnow() - timedelta(days=days_ago)
    values = {"ends_at": moment} if by_end_date else {"status": "closed", "closed_at": moment}
    with database.transaction() as conn:
        conn.execute(update(Consultation).where(Consultation.code == code).values(**values))


def _answer(engine, code: str, words: str, flag: bool = False) -> None:
    """One person on Telegram: consent, school, a feeling, typed answers (and a flag)."""
    address = f"telegram:{next(_PEOPLE)}"
    turns = [code, "1", "1", "2", words, "i want to die" if flag else "skip", "skip"]
    for text in turns:
        engine.handle(InboundMessage("telegram", address, text, message_id=f"r{next(_IDS)}"))


def _typed(database, code: str) -> list[str]:
    query = (
        select(Answer.answer)
        .join(Consultation, Consultation.id == Answer.consultation_id)
        .where(Consultation.code == code, Answer.answer_key == "")
        .order_by(Answer.answer)
    )
    with database.reading() as conn:
        return list(conn.execute(query).scalars())


def _counts(database, code: str) -> tuple[int, int]:
    """Choice answers and transcript messages in a check-in."""
    with database.reading() as conn:
        choices = conn.scalar(
            select(func.count())
            .select_from(Answer)
            .join(Consultation, Consultation.id == Answer.consultation_id)
            .where(Consultation.code == code, Answer.answer_key != "")
        )
        messages = conn.scalar(
            select(func.count())
            .select_from(TranscriptMessage)
            .join(Conversation, Conversation.id == TranscriptMessage.conversation_id)
            .join(Consultation, Consultation.id == Conversation.consultation_id)
            .where(Consultation.code == code)
        )
    return choices or 0, messages or 0


def test_retention_deletes_only_what_is_past_its_time(engine):
    """Closed 40 days ago with 30 days: typed words go, choices stay. Closed 10 days ago,
    or with no period, or still open: nothing goes. An open flag keeps its conversation."""
    database = engine.store.database
    for code, days in [("PAST", 30), ("ENDED", 30), ("RECENT", 30), ("FOREVER", None)]:
        _checkin(database, code, days)
        _answer(engine, code, f"{code.lower()} words one")
        _answer(engine, code, f"{code.lower()} words two")
    _answer(engine, "PAST", "past words flagged", flag=True)
    _answer(engine, "PAST", "past words closed flag", flag=True)
    admin = create_worker(database, "lead@example.org", "a long enough password", "admin")
    with database.reading() as conn:
        first_flag = conn.scalar(select(func.min(SafeguardingFlag.id)))
    review_flag(database, first_flag + 1, None, admin, "acted", "Rang the lead")
    _close(database, "PAST", 40)
    _close(database, "ENDED", 40, by_end_date=True)
    _close(database, "RECENT", 10)
    _close(database, "FOREVER", 400)
    choices = {code: _counts(database, code)[0] for code in ("PAST", "ENDED")}
    with database.transaction() as conn:  # as the dispatcher leaves them
        conn.execute(update(OutboxMessage).values(status="sent", sent_at=utcnow()))

    counts = run_retention(database, engine.flows)

    assert _typed(database, "PAST") == ["i want to die", "past words flagged"]
    assert _typed(database, "ENDED") == []
    assert _typed(database, "RECENT") == ["recent words one", "recent words two"]
    assert _typed(database, "FOREVER") == ["forever words one", "forever words two"]
    assert {code: _counts(database, code)[0] for code in ("PAST", "ENDED")} == choices
    assert _counts(database, "ENDED")[1] == 0
    assert _counts(database, "PAST")[1] > 0  # the flagged conversation's transcript stays
    assert (counts.checkins, counts.conversations, counts.answers) == (2, 5, 6)
    assert counts.kept_for_flags == 1 and counts.messages > 0 and counts.sent > 0
    assert (
        run_retention(database, engine.flows).conversations == 0
    )  # each conversation is done once


def test_a_retention_period_is_a_sensible_number_of_days(sqlite_database):
    """Nothing below 0 or above ten years; None keeps; another group's check-in is refused."""
    create_consultation(sqlite_database, "KEEP", "tops_and_pants", 2, "Keep")
    for days in (-1, 3651):
        with pytest.raises(RetentionError):
            set_retention(sqlite_database, "KEEP", None, days)
    assert set_retention(sqlite_database, "keep", None, 0)
    assert get_consultation(sqlite_database, "KEEP").retain_days == 0
    assert set_retention(sqlite_database, "KEEP", None, None)
    assert get_consultation(sqlite_database, "KEEP").retain_days is None
    assert not set_retention(sqlite_database, "KEEP", frozenset({99}), 5)
    assert not set_retention(sqlite_database, "NONE", None, 5)
