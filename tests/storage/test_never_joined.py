"""Someone who writes with no code gets a reply, and their row (with their sealed address)
goes a day later. Anyone who sent STOP, joined a check-in, raised a flag or has a message
waiting is kept. On SQLite and PostgreSQL, through the real engine and store."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, update

from tests.conftest import SECRET
from voicebox.bot import replies
from voicebox.bot.engine import Engine
from voicebox.bot.messages import InboundMessage, utcnow
from voicebox.storage.consultations import create_consultation
from voicebox.storage.models import (
    Consultation,
    Conversation,
    OutboxMessage,
    Participant,
    SafeguardingFlag,
)
from voicebox.storage.never_joined import forget_never_joined
from voicebox.storage.pseudonyms import address_key
from voicebox.storage.store import SqlStore

_IDS = itertools.count(1)


def _engine(database, flows) -> Engine:
    create_consultation(database, "DEMO", "tops_and_pants", 2, "Demo")
    return Engine(flows.values(), SqlStore(database, SECRET, outbox_channels=["sms"]))


@pytest.fixture
def engine(database, flows):
    """The engine on the test database, with DEMO, and SMS replies through the outbox."""
    return _engine(database, flows)


def _say(engine, address: str, *texts: str) -> None:
    for text in texts:
        engine.handle(InboundMessage("sms", address, text, message_id=f"n{next(_IDS)}"))


def _key(address: str) -> str:
    return address_key(SECRET, "sms", address)


def _kept(database) -> set[str]:
    with database.reading() as conn:
        return set(conn.scalars(select(Participant.key_hash)))


def _age(database, days: float, but: str | None = None) -> None:
    """Make every person's row this many days old (all but one, if named)."""
    query = update(Participant).values(created_at=utcnow() - timedelta(days=days))
    if but is not None:
        query = query.where(Participant.key_hash != _key(but))
    with database.transaction() as conn:
        conn.execute(query)


def _sent_to(database, address: str) -> list[str]:
    with database.reading() as conn:
        rows = conn.execute(
            select(OutboxMessage.body)
            .join(Participant, Participant.id == OutboxMessage.participant_id)
            .where(Participant.key_hash == _key(address))
        ).scalars()
        return [body["text"] for body in rows]


def test_only_people_who_never_joined_are_forgotten_after_a_day(engine, database):
    hello, stopped, joined = "sms:+447700900501", "sms:+447700900502", "sms:+447700900503"
    helped, recent = "sms:+447700900504", "sms:+447700900505"
    _say(engine, hello, "hello")
    _say(engine, stopped, "STOP")
    _say(engine, joined, "DEMO")
    _say(engine, helped, "i want to die")  # a flag, with no check-in
    _say(engine, recent, "hi there")
    assert _sent_to(database, hello) == [replies.JOIN_HINT]
    with database.transaction() as conn:  # the replies went
        conn.execute(update(OutboxMessage).values(status="sent"))
    assert forget_never_joined(database) == 0  # all of them wrote just now
    _age(database, 2, but=recent)
    assert forget_never_joined(database) == 1
    kept = _kept(database)
    assert _key(hello) not in kept
    assert {_key(a) for a in (stopped, joined, helped, recent)} <= kept
    with database.reading() as conn:
        assert conn.scalar(select(func.count()).select_from(SafeguardingFlag)) == 1
        orphans = select(func.count()).where(
            OutboxMessage.participant_id.is_not(None),
            ~OutboxMessage.participant_id.in_(select(Participant.id)),
        )
        assert conn.scalar(orphans) == 0
    assert forget_never_joined(database) == 0
    _say(engine, hello, "hello again")  # they come back: answered as before
    assert _sent_to(database, hello) == [replies.JOIN_HINT]


def test_a_reply_still_waiting_keeps_the_row(engine, database):
    """The reply has not gone yet (Twilio down for a day): the address is still needed."""
    waiting = "sms:+447700900511"
    _say(engine, waiting, "hello")
    _age(database, 2)
    assert forget_never_joined(database) == 0
    assert _key(waiting) in _kept(database)


def test_a_code_arriving_while_the_row_is_looked_at_keeps_it(postgres_database, flows):
    """A message that makes a conversation holds the person's row (on PostgreSQL, a row
    lock) until it commits; the forgetting waits, looks again, and keeps the row. (SQLite
    runs one writer at a time, so the two cannot overlap there.)"""
    database = postgres_database
    engine = _engine(database, flows)
    late = "sms:+447700900521"
    _say(engine, late, "hello")
    with database.transaction() as conn:
        conn.execute(update(OutboxMessage).values(status="sent"))
    _age(database, 2)
    results: list[int] = []
    with database.transaction() as conn:
        person = conn.execute(
            select(Participant.id).where(Participant.key_hash == _key(late)).with_for_update()
        ).scalar_one()
        forgetting = threading.Thread(target=lambda: results.append(forget_never_joined(database)))
        forgetting.start()
        time.sleep(0.5)  # it reaches the lock and waits there
        assert forgetting.is_alive()
        demo = conn.scalar(select(Consultation.id).where(Consultation.code == "DEMO"))
        conn.execute(
            insert(Conversation).values(
                participant_id=person, consultation_id=demo, channel="sms", step="consent"
            )
        )
    forgetting.join(timeout=10)
    assert results == [0]
    assert _key(late) in _kept(database)
