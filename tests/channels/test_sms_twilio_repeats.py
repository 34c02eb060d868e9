"""A repeated MessageSid (Twilio delivers again when our answer was lost) gets the reply the
first delivery got, and nothing is done or stored twice. Real app, signed webhooks, real
SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from tests.channels.sms_harness import SmsHarness
from voicebox.bot.messages import utcnow
from voicebox.storage import message_ids
from voicebox.storage.models import (
    Answer,
    InboundMessageId,
    OutboxMessage,
    TranscriptMessage,
)


def _at_feeling(sms: SmsHarness) -> None:
    sms.send("DEMO")
    sms.send("yes")
    sms.send("1")  # school: asked how they feel about it


def _counts(sms: SmsHarness) -> tuple[int, ...]:
    return tuple(
        sms.count(model) for model in (Answer, TranscriptMessage, InboundMessageId, OutboxMessage)
    )


def test_a_repeat_gets_the_same_twiml_and_stores_nothing(sms):
    """The same signed POST twice: the same TwiML both times, one answer, nothing queued."""
    _at_feeling(sms)
    fields = sms.form("Good", MessageSid="SM" + "a" * 32)
    first = sms.post_form(fields)
    after_first = _counts(sms)
    second = sms.post_form(fields)
    assert first.status_code == second.status_code == 200
    assert "How do you feel" not in first.get_data(as_text=True)
    assert "What is good about school" in first.get_data(as_text=True)
    assert second.data == first.data
    assert _counts(sms) == after_first  # no answer, transcript line, id or outbox row more
    assert [a.answer_key for a in sms.answers() if a.kind == "feeling"] == ["good"]
    assert sms.count(OutboxMessage) == 0


def test_a_repeat_of_a_message_that_got_no_reply_gets_none(sms):
    """After STOP nothing is said: a repeat of the next message is silent too."""
    sms.send("DEMO")
    sms.send("STOP")
    fields = sms.form("hello", MessageSid="SM" + "b" * 32)
    assert sms.replies(sms.post_form(fields).data) == []
    assert sms.replies(sms.post_form(fields).data) == []


def test_a_repeat_from_another_number_never_hears_the_reply(sms):
    """The kept reply goes only to the number that sent the message."""
    fields = sms.form("DEMO", MessageSid="SM" + "c" * 32)
    assert sms.replies(sms.post_form(fields).data)
    other = {**fields, "From": "+447700900456"}
    assert sms.replies(sms.post_form(other).data) == []


def test_replies_are_kept_for_a_day_only(sms):
    """A repeat more than a day later gets no reply, and day-old replies are cleared."""
    fields = sms.form("DEMO", MessageSid="SM" + "d" * 32)
    first = sms.replies(sms.post_form(fields).data)
    assert first and sms.replies(sms.post_form(fields).data) == first
    database = sms.services.database
    with database.transaction() as conn:
        conn.execute(update(InboundMessageId).values(received_at=utcnow() - timedelta(hours=25)))
    assert sms.replies(sms.post_form(fields).data) == []
    with database.transaction() as conn:
        assert message_ids.clear_old_replies(conn, utcnow()) == 1
    with database.engine.connect() as conn:
        kept = conn.execute(select(InboundMessageId.sender_key, InboundMessageId.reply)).all()
    assert kept == [(None, None)]  # the id stays (for duplicates); the words are gone


def _twice_at_once(sms: SmsHarness, fields: dict[str, str]) -> list[Any]:
    """POST the same signed webhook from two threads at the same moment."""
    answers: list[Any] = [None, None]
    start = threading.Barrier(2)

    def post(slot: int) -> None:
        start.wait(timeout=10)
        answers[slot] = sms.post_form(fields)

    threads = [threading.Thread(target=post, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    return answers


def test_a_repeat_while_the_first_is_handled_gets_the_same_reply(database, tmp_path):
    """Two deliveries of one message at once: one is handled, and the other waits for it
    (the unique index on PostgreSQL, the writer lock on SQLite), then says the same."""
    sms = SmsHarness(tmp_path, database_url=database.url)
    try:
        _at_feeling(sms)
        for round_ in range(5):
            fields = sms.form("Good" if round_ == 0 else "Skip", MessageSid=f"SM{round_:032x}")
            answers = _twice_at_once(sms, fields)
            assert [a.status_code for a in answers] == [200, 200]
            assert answers[0].data == answers[1].data and sms.replies(answers[0].data)
        assert [a.answer_key for a in sms.answers() if a.kind == "feeling"] == ["good"]
        assert sms.count(InboundMessageId) == 3 + 5  # each message id kept once
    finally:
        sms.services.database.dispose()
