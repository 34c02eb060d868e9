"""The SMS outbox sender against a fake Twilio REST API on 127.0.0.1 (real HTTP, real
wire format): what it sends, how it waits, retries and gives up, and the dispatcher around it."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.channels.sms_harness import twilio_error
from voicebox.bot.messages import ChoiceOption, OutboundMessage, utcnow
from voicebox.channels.sms.sender import TwilioSender
from voicebox.channels.sms.settings import SmsSettings
from voicebox.storage import outbox
from voicebox.storage.dispatcher import Backoff, Dispatcher, SendFailed
from voicebox.storage.models import OutboxMessage

ACCOUNT = "AC" + "1" * 32
TOKEN = "outbound-test-token"
TO = "sms:+447700900123"
MESSAGE = OutboundMessage(
    "Do you want to hear what we do with your answers?",
    (ChoiceOption(1, "yes", "Yes, tell me", emoji="\U0001f4e8"), ChoiceOption(2, "no", "No")),
    "hear_back",
    "choice",
)


def _sender(fake: Any, **kwargs: Any) -> TwilioSender:
    options = {
        "account_sid": ACCOUNT,
        "auth_token": TOKEN,
        "sender": "+447700900999",
        "api_url": fake.url,
        "rate": 1000.0,
        "timeout": 5.0,
    }
    options.update(kwargs)
    return TwilioSender(**options)


def test_sends_the_real_wire_format(fake_twilio):
    """POST /2010-04-01/Accounts/{sid}/Messages.json, Basic auth, To/From/Body/StatusCallback."""
    sender = _sender(fake_twilio, status_callback="https://voice.example.org/sms/twilio/status")
    sid = sender.send(TO, MESSAGE)
    (call,) = fake_twilio.calls
    assert call.method == "POST"
    assert call.path == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert call.basic_auth() == (ACCOUNT, TOKEN)
    assert call.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert call.form == {
        "To": ["+447700900123"],
        "From": ["+447700900999"],
        "Body": ["Do you want to hear what we do with your answers?\n1 Yes, tell me\n2 No"],
        "StatusCallback": ["https://voice.example.org/sms/twilio/status"],
    }
    assert sid == "SM" + "0" * 31 + "1"


def test_messaging_service_sid_instead_of_from(fake_twilio):
    """VOICEBOX_TWILIO_FROM starting with MG is a messaging service: no From field."""
    sender = _sender(fake_twilio, sender="MG" + "2" * 32)
    sender.send(TO, OutboundMessage("Hello"))
    (call,) = fake_twilio.calls
    assert call.field("MessagingServiceSid") == "MG" + "2" * 32
    assert call.field("From") is None
    assert call.field("StatusCallback") is None  # no public URL, no callback


def test_body_is_gsm7(fake_twilio):
    """Emoji and curly quotes never reach the wire: one cheap GSM-7 segment."""
    _sender(fake_twilio).send(TO, OutboundMessage("We\u2019re listening \U0001f642 \u2013 thanks"))
    assert fake_twilio.calls[0].field("Body") == "We're listening - thanks"


def test_nothing_to_send_is_not_sent(fake_twilio):
    """An empty message is a permanent failure, and Twilio is not called."""
    with pytest.raises(SendFailed) as failure:
        _sender(fake_twilio).send(TO, OutboundMessage("\U0001f642"))
    assert not failure.value.retry
    assert fake_twilio.calls == []


# (label, status, JSON body, headers, retry, opted out, wait)
FAILURES = [
    ("429 with Retry-After", 429, twilio_error(20429, 429), {"Retry-After": "9"}, True, False, 9.0),
    ("500", 500, twilio_error(20500, 500), {}, True, False, None),
    ("502 with no body", 502, None, {}, True, False, None),
    ("503 with Retry-After", 503, None, {"Retry-After": "2"}, True, False, 2.0),
    ("21610 unsubscribed", 400, twilio_error(21610, 400), {}, False, True, None),
    ("21211 invalid number", 400, twilio_error(21211, 400), {}, False, False, None),
    ("401 wrong credentials", 401, twilio_error(20003, 401), {}, False, False, None),
    ("404 wrong account", 404, twilio_error(20404, 404), {}, False, False, None),
    ("302 redirect is not followed", 302, None, {"Location": "/elsewhere"}, False, False, None),
]


@pytest.mark.parametrize(
    ("label", "status", "body", "headers", "retry", "opted_out", "wait"),
    FAILURES,
    ids=[c[0] for c in FAILURES],
)
def test_failures(fake_twilio, label, status, body, headers, retry, opted_out, wait):
    """Each error answer becomes the right SendFailed; no phone number in the reason."""
    fake_twilio.answer(status, body, headers)
    with pytest.raises(SendFailed) as caught:
        _sender(fake_twilio).send(TO, MESSAGE)
    failure = caught.value
    assert (failure.retry, failure.opted_out, failure.wait) == (retry, opted_out, wait)
    assert "447700900123" not in failure.reason and TOKEN not in failure.reason
    assert len(fake_twilio.calls) == 1  # one request, no redirect followed


def test_unreachable_twilio_is_retried(fake_twilio):
    """Nothing listening: a failure worth retrying."""
    sender = _sender(fake_twilio, api_url="http://127.0.0.1:9")
    with pytest.raises(SendFailed) as caught:
        sender.send(TO, MESSAGE)
    assert caught.value.retry


def test_a_long_message_counts_its_segments(fake_twilio):
    """A 300-character message is two segments of the rate; a short one is one."""
    sender = _sender(fake_twilio)
    assert sender.units(OutboundMessage("a" * 300)) == 2
    assert sender.units(OutboundMessage("b")) == 1


def test_repr_hides_the_token(fake_twilio):
    """The sender never shows its credentials."""
    sender = _sender(fake_twilio)
    assert TOKEN not in repr(sender) and TOKEN not in str(vars(sender).get("url"))


# -- through the dispatcher and the database ----------------------------------------------------


def _queue(sms: Any, text: str = "You said, we did: the bus is now on time.") -> int:
    sms.send("DEMO")
    pid = sms.participant().id
    with sms.services.database.engine.begin() as conn:
        outbox.enqueue(conn, pid, "sms", [OutboundMessage(text)], purpose="report")
        return conn.execute(select(OutboxMessage.id).order_by(OutboxMessage.id.desc())).scalar()


def _row(sms: Any, row_id: int) -> Any:
    with sms.services.database.engine.connect() as conn:
        return conn.execute(select(OutboxMessage).where(OutboxMessage.id == row_id)).one()


def _dispatcher(sms: Any, backoff: Backoff | None = None) -> Dispatcher:
    senders = sms.senders()
    assert set(senders) == {"sms"}
    senders["sms"].rate = 1000.0  # the default 1 a second would only slow tests
    return Dispatcher(sms.services.database, senders, backoff=backoff)


def test_build_senders_needs_account_token_and_sender(sms_factory, fake_twilio):
    """The SMS sender is built only when account, token and sender are all set."""
    assert set(sms_factory(api_url=fake_twilio.url).senders()) == {"sms"}
    assert sms_factory(sender=None).senders() == {}
    assert sms_factory(account_sid=None).senders() == {}
    sender = sms_factory(public_url="https://v.example.org").senders()["sms"]
    assert sender.status_callback == "https://v.example.org/sms/twilio/status"


def test_rate_comes_from_the_environment(sms_factory, monkeypatch):
    """VOICEBOX_TWILIO_RATE sets segments a second for the sender; unset, it is 1."""
    monkeypatch.setenv("VOICEBOX_TWILIO_RATE", "5")
    rate = SmsSettings.from_env(os.environ).rate
    assert sms_factory(rate=rate).senders()["sms"].rate == 5.0
    assert sms_factory().senders()["sms"].rate == 1.0


def test_429_then_success(sms_factory, fake_twilio):
    """A 429 waits as Twilio asked, then the same message goes, once, and gets its sid.

    The wait is 3 s: the hold on the whole channel is kept in real time, for every process,
    so a longer one would make this test sleep that long."""
    sms = sms_factory(api_url=fake_twilio.url)
    row_id = _queue(sms)
    fake_twilio.answer(429, twilio_error(20429, 429), {"Retry-After": "3"})
    dispatcher = _dispatcher(sms, Backoff(first=1.0))
    start = utcnow()
    assert dispatcher.run_once(start) == 1
    row = _row(sms, row_id)
    assert row.status == "queued" and row.attempts == 1
    assert row.next_attempt_at >= start + timedelta(seconds=2.9)
    assert dispatcher.run_once(start + timedelta(seconds=1)) == 0  # not yet
    assert dispatcher.run_once(start + timedelta(seconds=4)) == 1
    row = _row(sms, row_id)
    assert row.status == "sent" and row.attempts == 2
    assert row.provider_id == "SM" + "0" * 31 + "1"
    assert [c.field("Body") for c in fake_twilio.calls] == [
        "You said, we did: the bus is now on time."
    ] * 2


def test_21610_marks_opted_out_and_is_never_retried(sms_factory, fake_twilio):
    """Twilio's 'unsubscribed': the person is opted out and the message is not tried again."""
    sms = sms_factory(api_url=fake_twilio.url)
    row_id = _queue(sms)
    fake_twilio.answer(400, twilio_error(21610, 400))
    dispatcher = _dispatcher(sms)
    now = utcnow()
    dispatcher.run_once(now)
    assert _row(sms, row_id).status == "failed"
    assert sms.participant().opted_out
    for hours in (1, 24, 240):
        assert dispatcher.run_once(now + timedelta(hours=hours)) == 0
    assert len(fake_twilio.calls) == 1
    assert sms.send("Hello") == []  # and the webhook says nothing to them either


def test_500s_are_retried_then_given_up(sms_factory, fake_twilio):
    """Server errors are retried with backoff, up to the limit, then the message fails."""
    sms = sms_factory(api_url=fake_twilio.url)
    row_id = _queue(sms)
    for _ in range(3):
        fake_twilio.answer(500, twilio_error(20500, 500))
    dispatcher = _dispatcher(sms, Backoff(first=10.0, max_attempts=3))
    now = utcnow()
    for hop in range(3):
        dispatcher.run_once(now + timedelta(hours=hop))
    row = _row(sms, row_id)
    assert row.status == "failed" and row.attempts == 3
    assert "500" in row.last_error
    assert len(fake_twilio.calls) == 3
    assert not sms.participant().opted_out


def test_500_then_success(sms_factory, fake_twilio):
    """One server error, then the message goes."""
    sms = sms_factory(api_url=fake_twilio.url)
    row_id = _queue(sms)
    fake_twilio.answer(503, None)
    dispatcher = _dispatcher(sms, Backoff(first=1.0))
    now = utcnow()
    dispatcher.run_once(now)
    dispatcher.run_once(now + timedelta(minutes=5))
    assert _row(sms, row_id).status == "sent"
    assert len(fake_twilio.calls) == 2


def test_after_stop_nothing_is_sent_until_start(sms_factory, fake_twilio):
    """STOP: queued messages are cancelled, Twilio never called; START: messages go again."""
    sms = sms_factory(api_url=fake_twilio.url)
    first = _queue(sms, "First news")
    assert sms.send("STOP") == ["You have stopped. We will not send you any more messages. "
                                "Send START to come back."]  # fmt: skip
    dispatcher = _dispatcher(sms)
    dispatcher.run_once(utcnow())
    assert _row(sms, first).status == "cancelled"
    assert fake_twilio.calls == []
    assert sms.count(OutboxMessage) == 1  # the STOP reply went as TwiML, not through the outbox
    sms.send("START")
    second = _queue(sms, "Second news")
    dispatcher.run_once(utcnow())
    assert _row(sms, second).status == "sent"
    assert [c.field("Body") for c in fake_twilio.calls] == ["Second news"]


def test_status_callback_updates_what_the_sender_sent(sms_factory, fake_twilio):
    """The sid the sender got back is the one a status callback moves forward."""
    sms = sms_factory(api_url=fake_twilio.url, public_url="https://voice.example.org")
    row_id = _queue(sms)
    _dispatcher(sms).run_once(utcnow())
    row = _row(sms, row_id)
    assert fake_twilio.calls[0].field("StatusCallback") == (
        "https://voice.example.org/sms/twilio/status"
    )
    for status in ("sent", "delivered", "sent"):
        response = sms.post_form(
            {"MessageSid": row.provider_id, "MessageStatus": status, "AccountSid": ACCOUNT},
            path="/sms/twilio/status",
        )
        assert response.status_code == 204
    assert _row(sms, row_id).delivery_status == "delivered"


# -- a send in doubt: asked before sending again ----------------------------------------------


def test_a_500_after_twilio_made_the_message_is_not_sent_twice(sms_factory, fake_twilio):
    """Twilio made the message, then answered 500: the row is in doubt, and the next try
    finds the message in Twilio's list and keeps its sid instead of sending it again."""
    sms = sms_factory(api_url=fake_twilio.url)
    row_id = _queue(sms)
    fake_twilio.answer(500, twilio_error(20500, 500), made=True)
    dispatcher = _dispatcher(sms, Backoff(first=1.0))
    now = utcnow()
    dispatcher.run_once(now)
    row = _row(sms, row_id)
    assert row.status == "queued" and row.in_doubt
    dispatcher.run_once(now + timedelta(minutes=5))
    row = _row(sms, row_id)
    assert row.status == "sent" and not row.in_doubt
    assert row.provider_id == fake_twilio.messages[0]["sid"]
    assert fake_twilio.sent_bodies() == ["You said, we did: the bus is now on time."]
    assert len(fake_twilio.lookups) == 1
    assert fake_twilio.lookups[0]["To"] == [sms.number]


def test_a_timeout_is_in_doubt_and_looked_up(sms_factory, fake_twilio):
    """Twilio took the message but answered after our timeout: it is not sent again."""
    sms = sms_factory(api_url=fake_twilio.url, timeout=0.5)
    row_id = _queue(sms)
    fake_twilio.slow = 1.0
    dispatcher = _dispatcher(sms, Backoff(first=1.0))
    now = utcnow()
    dispatcher.run_once(now)
    row = _row(sms, row_id)
    assert row.status == "queued" and row.in_doubt and "no answer" in row.last_error
    fake_twilio.slow = 0.0
    dispatcher.run_once(now + timedelta(minutes=5))
    assert _row(sms, row_id).status == "sent"
    assert len(fake_twilio.sent_bodies()) == 1


def test_in_doubt_but_not_found_is_sent_once(sms_factory, fake_twilio):
    """The lost answer was Twilio's refusal: nothing in its list, so the message goes now."""
    sms = sms_factory(api_url=fake_twilio.url)
    row_id = _queue(sms)
    fake_twilio.answer(503, None)  # made=False: Twilio never made it
    dispatcher = _dispatcher(sms, Backoff(first=1.0))
    now = utcnow()
    dispatcher.run_once(now)
    dispatcher.run_once(now + timedelta(minutes=5))
    assert _row(sms, row_id).status == "sent"
    assert len(fake_twilio.lookups) == 1
    assert len(fake_twilio.sent_bodies()) == 1


def test_unreachable_twilio_is_not_in_doubt(sms_factory):
    """Nothing listening: Twilio never saw it, so there is nothing to ask about."""
    sms = sms_factory(api_url="http://127.0.0.1:9")
    row_id = _queue(sms)
    _dispatcher(sms).run_once(utcnow())
    row = _row(sms, row_id)
    assert row.status == "queued" and not row.in_doubt


def test_the_same_words_sent_before_are_not_taken_for_this_message(sms_factory, fake_twilio):
    """Two report-backs with the same words: the first one's sid is not the second's."""
    sms = sms_factory(api_url=fake_twilio.url)
    first = _queue(sms)
    dispatcher = _dispatcher(sms, Backoff(first=1.0))
    dispatcher.run_once(utcnow())
    second = _queue(sms)
    fake_twilio.answer(503, None)
    now = utcnow()
    dispatcher.run_once(now)
    dispatcher.run_once(now + timedelta(minutes=5))
    assert _row(sms, second).status == "sent"
    assert _row(sms, second).provider_id != _row(sms, first).provider_id
    assert len(fake_twilio.sent_bodies()) == 2


def test_a_claim_that_ran_out_is_in_doubt(sms_factory, fake_twilio):
    """A process died while sending (its row is still `sending`): once the lease has run
    out, another dispatcher takes it, asks Twilio first, and does not send it again."""
    sms = sms_factory(api_url=fake_twilio.url, timeout=2.0)
    row_id = _queue(sms)
    dispatcher = _dispatcher(sms)
    now = utcnow()
    claim = dispatcher._claim(now)  # what a process does just before it sends, then dies
    assert claim is not None and claim.id == row_id
    sms.senders()["sms"].send(claim.address, claim.message)  # it reached Twilio
    assert _row(sms, row_id).status == "sending"
    assert dispatcher.run_once(now + timedelta(seconds=8)) == 0  # the lease holds
    assert dispatcher.run_once(now + timedelta(seconds=13)) == 1  # 2 s timeout + 10 s
    row = _row(sms, row_id)
    assert row.status == "sent" and row.attempts == 2
    assert len(fake_twilio.sent_bodies()) == 1


def test_a_late_finish_does_not_undo_another_claim(sms_factory, fake_twilio):
    """A process whose lease ran out cannot mark the row: the row is another's now."""
    sms = sms_factory(api_url=fake_twilio.url)
    row_id = _queue(sms)
    dispatcher = _dispatcher(sms)
    now = utcnow()
    late = dispatcher._claim(now)
    assert late is not None
    later = dispatcher._claim(now + timedelta(minutes=1))
    assert later is not None and later.token == late.token + 1
    dispatcher._finish(late, status="failed", error="too late")
    assert _row(sms, row_id).status == "sending"
    dispatcher._finish(later, status="sent", provider_id="SM" + "f" * 32)
    assert _row(sms, row_id).status == "sent"


def test_a_claim_that_ran_out_goes_before_the_queue(sms_factory, fake_twilio):
    """A dead process's row was due before anything queued after it: once its lease has
    run out it is taken first, not after a backlog of thousands."""
    sms = sms_factory(api_url=fake_twilio.url, timeout=2.0)
    _queue(sms, "First news")
    dispatcher = _dispatcher(sms)
    now = utcnow()
    assert dispatcher._claim(now) is not None  # then the process dies
    _queue(sms, "Second news")
    _queue(sms, "Third news")
    assert dispatcher.run_once(now + timedelta(seconds=13)) == 3
    assert fake_twilio.sent_bodies() == ["First news", "Second news", "Third news"]
