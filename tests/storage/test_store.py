"""The store: one transaction per message, duplicates once, pseudonyms, concurrency."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from tests.helpers import at_once
from voicebox.bot.engine import Engine
from voicebox.bot.messages import InboundMessage
from voicebox.storage.consultations import ensure_demo
from voicebox.storage.export import export_rows
from voicebox.storage.models import (
    Answer,
    Conversation,
    InboundMessageId,
    Participant,
    SafeguardingFlag,
    TranscriptMessage,
)
from voicebox.storage.pseudonyms import address_key, pseudonym_for
from voicebox.storage.store import SqlStore

PHONE = "+447700900123"


def _count(db, column) -> int:
    with db.engine.connect() as conn:
        return conn.scalar(select(func.count(column)))


def _send(engine, text, message_id=None, address=f"sms:{PHONE}", channel="sms"):
    inbound = InboundMessage(channel, address, text, message_id=message_id)
    return list(engine.handle(inbound).replies)


def _start(engine, address=f"sms:{PHONE}", prefix="m"):
    for number, text in enumerate(["DEMO", "1", "2", "3"]):
        _send(engine, text, f"{prefix}{number}", address)


def test_same_message_id_twice_stores_once(engine):
    """A webhook delivered twice is handled once; the second delivery stores nothing."""
    db = engine.store.database
    _start(engine)
    assert _send(engine, "A kind teacher", "dup-1")
    before = (_count(db, Answer.id), _count(db, TranscriptMessage.id))
    assert _send(engine, "A kind teacher", "dup-1") == []
    assert (_count(db, Answer.id), _count(db, TranscriptMessage.id)) == before
    assert _count(db, InboundMessageId.id) == 5


def test_same_id_on_another_channel_is_new(engine):
    """Message ids are unique per channel, not across channels."""
    _send(engine, "DEMO", "same", "sms:+447700900001")
    assert _send(engine, "DEMO", "same", "telegram:42", channel="telegram")


def test_no_phone_number_anywhere_a_worker_sees(engine):
    """Exports and pseudonyms never hold the phone number."""
    _start(engine)
    _send(engine, "My mentor", "m9")
    rows = list(export_rows(engine.store.database, "DEMO"))
    assert rows
    text = repr(rows)
    assert PHONE not in text and PHONE[1:] not in text and "900123" not in text
    assert {row["channel"] for row in rows} == {"sms"}
    pseudonym = rows[0]["participant"]
    assert pseudonym.split("-")[0].isalpha() and pseudonym.split("-")[1].isdigit()


def test_pseudonyms_are_stable_and_keyed():
    """Same channel and address, same pseudonym; another key or address, another one."""
    key = address_key(b"secret", "sms", "sms:+447700900123")
    assert key == address_key(b"secret", "sms", "sms:+447700900123")
    assert key != address_key(b"other", "sms", "sms:+447700900123")
    assert key != address_key(b"secret", "sms", "sms:+447700900124")
    assert pseudonym_for(key) == pseudonym_for(key)
    assert pseudonym_for(key) != pseudonym_for(key, 1)
    assert "7700900123" not in key


def _participants(db):
    with db.engine.connect() as conn:
        return conn.execute(
            select(Participant.channel, Participant.address, Participant.pseudonym).order_by(
                Participant.id
            )
        ).all()


def test_pseudonyms_through_the_store(engine, flows):
    """One pseudonym per channel and address, kept across messages, never the address."""
    first, second = "sms:+447700900123", "sms:+447700900124"
    _send(engine, "DEMO", "a1", first)
    _send(engine, "1", "a2", first)
    _send(engine, "DEMO", "b1", second)
    _send(engine, "DEMO", "t1", "telegram:447700900123", channel="telegram")
    rows = _participants(engine.store.database)
    assert len(rows) == 3
    names = [row.pseudonym for row in rows]
    assert len(set(names)) == 3
    for row in rows:
        animal, number = row.pseudonym.split("-")
        assert animal.isalpha() and animal[0].isupper() and len(number) == 4
        assert number not in row.address and "7700900" not in row.pseudonym
    # the same person writing again, even through a new engine and store, is the same name
    again = Engine(flows.values(), SqlStore(engine.store.database, engine.store.secret))
    _send(again, "2", "a3", first)
    assert [row.pseudonym for row in _participants(engine.store.database)] == names


def test_another_secret_gives_other_pseudonyms(database, flows):
    """Pseudonyms depend on the secret key, so they cannot be worked out from a number."""
    ensure_demo(database, flows)
    one = Engine(flows.values(), SqlStore(database, b"one secret"))
    other = Engine(flows.values(), SqlStore(database, b"another secret"))
    _send(one, "DEMO", "x1")
    _send(other, "DEMO", "x2")
    names = [row.pseudonym for row in _participants(database)]
    assert len(names) == 2 and names[0] != names[1]


def test_consent_no_keeps_nothing_written(engine):
    """Saying no keeps no address, no person, no check-in: only the message ids."""
    db = engine.store.database
    for number, text in enumerate(["DEMO", "I am not sure about this", "2"]):
        _send(engine, text, f"n{number}")
    assert _count(db, Answer.id) == 0
    assert _count(db, TranscriptMessage.id) == 0
    assert _count(db, Conversation.id) == 0
    assert _count(db, Participant.id) == 0
    assert _count(db, InboundMessageId.id) == 3  # so a second delivery changes nothing
    # A second delivery of the "No thanks" makes nobody again.
    _send(engine, "2", "n2")
    assert _count(db, Participant.id) == 0


def test_consent_no_after_a_call_for_help_keeps_it_for_a_person(engine):
    """A flagged check-in is kept when the person says no: every flag must reach a person."""
    db = engine.store.database
    for number, text in enumerate(["DEMO", "my dad hits me", "2"]):
        _send(engine, text, f"f{number}")
    assert _count(db, SafeguardingFlag.id) == 1
    assert _count(db, Participant.id) == 1
    with db.engine.connect() as conn:
        assert conn.scalar(select(Conversation.consent)) == "declined"
        kept = conn.scalars(select(TranscriptMessage.text)).all()
    assert "my dad hits me" in kept  # the worker can read what was said


def test_consent_no_in_a_second_check_in_keeps_the_first(engine):
    """Saying no to a new check-in removes only that one; earlier answers stay."""
    db = engine.store.database
    finish = ["DEMO", "1", "1", "1", "the teachers", "skip", "skip", "2", "2"]
    for number, text in enumerate(finish):
        _send(engine, text, f"s{number}")
    answers = _count(db, Answer.id)
    assert answers >= 2
    for number, text in enumerate(["join demo", "2"]):
        _send(engine, text, f"t{number}")
    assert _count(db, Conversation.id) == 1 and _count(db, Answer.id) == answers
    assert _count(db, Participant.id) == 1


@pytest.mark.parametrize("with_ids", [True, False], ids=["with-ids", "without-ids"])
def test_two_messages_at_once_stay_consistent(engine, with_ids):
    """Messages from one person at the same moment are handled one after the other.

    Without message ids the transaction's first statement is a read, so only the lock
    taken at BEGIN (SQLite) or on the participant row (PostgreSQL) keeps them apart.
    """
    db = engine.store.database
    _start(engine)
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def send(number: int) -> None:
        try:
            barrier.wait()
            _send(engine, f"answer {number}", f"c{number}" if with_ids else None)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    with db.engine.connect() as conn:
        rows = conn.execute(select(Answer.seq, Answer.question_id).order_by(Answer.seq)).all()
        state = conn.execute(select(Conversation.step, Conversation.state)).one()
        handled = conn.scalar(
            select(func.count(TranscriptMessage.id)).where(
                TranscriptMessage.direction == "in", TranscriptMessage.text.like("answer %")
            )
        )
        texts = conn.scalars(select(Answer.answer).where(Answer.answer_key == "")).all()
    seqs = [row.seq for row in rows]
    assert len(seqs) == len(set(seqs))
    # feeling, then good, not_good, better: three texts answered, one after the other;
    # the other three were re-asks of "another part of your life?". Nothing lost or doubled.
    assert [row.question_id for row in rows] == ["feeling", "good", "not_good", "better"]
    assert len(set(texts)) == 3 and all(t.startswith("answer ") for t in texts)
    assert state.state["seq"] == max(seqs) + 1
    assert state.step == "another" and state.state["retries"] == 3
    assert handled == 6


def test_first_messages_at_once_make_one_participant(engine):
    """Concurrent first messages from a new address create exactly one participant."""
    db = engine.store.database
    at_once(lambda number: _send(engine, "DEMO", f"first{number}", "sms:+447700900555"), 5)
    assert _count(db, Participant.id) == 1
    assert _count(db, Conversation.id) == 1
    assert _count(db, InboundMessageId.id) == 5


def test_many_people_at_once(engine):
    """Several people at once each get their own conversation and answers."""
    db = engine.store.database

    def person(number: int) -> None:
        address = f"sms:+4477009{number:05d}"
        for step, text in enumerate(["DEMO", "1", "1", "2", f"good {number}"]):
            _send(engine, text, f"p{number}-{step}", address)

    at_once(person, 8)
    assert _count(db, Participant.id) == 8
    rows = list(export_rows(db, "DEMO"))
    assert sorted(r["answer"] for r in rows if r["question_id"] == "good") == sorted(
        f"good {n}" for n in range(8)
    )


def test_the_same_delivery_at_the_same_moment_is_handled_once(engine):
    """A webhook retried while the first delivery is still running is still handled once."""
    db = engine.store.database
    _start(engine)
    before = (_count(db, Answer.id), _count(db, TranscriptMessage.id))
    barrier = threading.Barrier(4)
    results: list[list] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            barrier.wait()
            results.append(_send(engine, "Kind teachers", "same-sid"))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert sorted(bool(r) for r in results) == [False, False, False, True]
    assert _count(db, Answer.id) == before[0] + 1
    assert _count(db, TranscriptMessage.id) == before[1] + 2  # one in, one out


def _place(store, address, code=None):
    """What the store reads for a person's next message: (consultation code, step)."""
    with store.begin(InboundMessage("web", address, "", consultation=code)) as turn:
        state = turn.context.conversation
        return None if state is None else (state.consultation.code, state.step)


def test_each_consultation_keeps_its_own_place(engine):
    """A person in two check-ins gets back to the right one; other people change nothing."""
    store = engine.store
    me = "web:visitor-1"
    assert _place(store, me) is None
    for number in range(3):  # other people's check-ins in DEMO, some further on than mine
        other = f"web:other-{number}"
        for text in ("", "yes", "1", "2"):
            engine.handle(InboundMessage("web", other, text, consultation="DEMO"))
    engine.handle(InboundMessage("web", me, "", consultation="DEMO"))
    engine.handle(InboundMessage("web", me, "yes", consultation="DEMO"))
    demo_place = _place(store, me, "DEMO")
    assert demo_place is not None and demo_place[0] == "DEMO"
    engine.handle(InboundMessage("web", me, "", consultation="CORNER"))
    corner_place = _place(store, me, "CORNER")
    assert corner_place is not None and corner_place[0] == "CORNER"
    assert _place(store, me, "DEMO") == demo_place  # still where I left it
    assert _place(store, me) == corner_place  # no code: the latest check-in
    assert _place(store, "web:nobody", "DEMO") is None
