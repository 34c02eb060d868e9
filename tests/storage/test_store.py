"""The store: one transaction per message, duplicates once, pseudonyms, concurrency."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from voicebox.bot.messages import InboundMessage
from voicebox.storage.export import export_rows
from voicebox.storage.models import (
    Answer,
    Conversation,
    InboundMessageId,
    Participant,
    TranscriptMessage,
)
from voicebox.storage.pseudonyms import address_key, pseudonym_for

PHONE = "+447700900123"


def _count(db, column) -> int:
    with db.engine.connect() as conn:
        return conn.scalar(select(func.count(column)))


def _send(engine, text, message_id=None, address=f"sms:{PHONE}", channel="sms"):
    return engine.handle(InboundMessage(channel, address, text, message_id=message_id))


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


def test_consent_no_keeps_nothing_written(engine):
    """Saying no keeps no answers and no transcript."""
    db = engine.store.database
    for number, text in enumerate(["DEMO", "I am not sure about this", "2"]):
        _send(engine, text, f"n{number}")
    assert _count(db, Answer.id) == 0
    assert _count(db, TranscriptMessage.id) == 0
    with db.engine.connect() as conn:
        assert conn.scalar(select(Conversation.consent)) == "declined"


def test_two_messages_at_once_stay_consistent(engine):
    """Messages from one person at the same moment are handled one after the other."""
    db = engine.store.database
    _start(engine)
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def send(number: int) -> None:
        try:
            barrier.wait()
            _send(engine, f"answer {number}", f"c{number}")
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
    seqs = [row.seq for row in rows]
    assert len(seqs) == len(set(seqs))
    # feeling, then good, not_good, better: three texts answered; the rest re-asked or went on.
    assert [row.question_id for row in rows][:4] == ["feeling", "good", "not_good", "better"]
    assert state.state["seq"] == max(seqs) + 1


def test_first_messages_at_once_make_one_participant(engine):
    """Concurrent first messages from a new address create exactly one participant."""
    db = engine.store.database
    barrier = threading.Barrier(5)
    errors: list[BaseException] = []

    def send(number: int) -> None:
        try:
            barrier.wait()
            _send(engine, "DEMO", f"first{number}", "sms:+447700900555")
        except BaseException as error:  # pragma: no cover
            errors.append(error)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert _count(db, Participant.id) == 1


def test_many_people_at_once(engine):
    """Several people at once each get their own conversation and answers."""
    db = engine.store.database
    errors: list[BaseException] = []

    def person(number: int) -> None:
        try:
            address = f"sms:+4477009{number:05d}"
            for step, text in enumerate(["DEMO", "1", "1", "2", f"good {number}"]):
                _send(engine, text, f"p{number}-{step}", address)
        except BaseException as error:  # pragma: no cover
            errors.append(error)

    threads = [threading.Thread(target=person, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors
    assert _count(db, Participant.id) == 8
    rows = list(export_rows(db, "DEMO"))
    assert sorted(r["answer"] for r in rows if r["question_id"] == "good") == sorted(
        f"good {n}" for n in range(8)
    )
