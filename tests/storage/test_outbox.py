"""The outbox dispatcher: retries with backoff, permanent failures, opt-outs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from voicebox.bot.messages import ChoiceOption, OutboundMessage, utcnow
from voicebox.storage import outbox
from voicebox.storage.dispatcher import Backoff, Dispatcher, SendFailed
from voicebox.storage.models import OutboxMessage, Participant
from voicebox.storage.store import SqlStore

MESSAGE = OutboundMessage(
    "Do you want to hear more?",
    (ChoiceOption(1, "yes", "Yes", "✅", "yes", "q:yes"),),
    "q",
    "choice",
)


class RecordingSender:
    """A channel sender for the test: it fails as scripted, then records deliveries."""

    def __init__(self, failures: list[SendFailed] | None = None) -> None:
        self.failures = list(failures or [])
        self.sent: list[tuple[str, OutboundMessage]] = []

    def send(self, address: str, message: OutboundMessage) -> str | None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((address, message))
        return f"SM{len(self.sent):032d}"


def _queue(store: SqlStore, opted_out: bool = False) -> int:
    with store.database.engine.begin() as conn:
        participant_id = conn.execute(
            Participant.__table__.insert().returning(Participant.id),
            {
                "channel": "sms",
                "key_hash": "k" * 64,
                "pseudonym": "Otter-1234",
                "address": store.addresses.seal("sms:+447700900123", "k" * 64),
                "opted_out": opted_out,
                "report_back": True,
                "created_at": utcnow(),
                "updated_at": utcnow(),
            },
        ).scalar_one()
        outbox.enqueue(conn, participant_id, "sms", [MESSAGE], purpose="report_back")
    return participant_id


def _row(store: SqlStore) -> OutboxMessage:
    with store.database.sessions() as session:
        return session.scalars(select(OutboxMessage)).one()


def test_sends_and_keeps_provider_id(store):
    """A due message is sent once, with its choices, and marked sent."""
    _queue(store)
    sender = RecordingSender()
    dispatcher = Dispatcher(store.database, {"sms": sender})
    assert dispatcher.run_once() == 1
    assert dispatcher.run_once() == 0
    assert sender.sent == [("sms:+447700900123", MESSAGE)]
    row = _row(store)
    assert row.status == "sent" and row.attempts == 1 and row.provider_id.startswith("SM")


def test_retries_with_backoff_then_succeeds(store):
    """A failure worth retrying waits longer each time, then delivers."""
    _queue(store)
    sender = RecordingSender([SendFailed("429 too many"), SendFailed("503 busy")])
    dispatcher = Dispatcher(store.database, {"sms": sender}, Backoff(first=10, factor=2))
    now = utcnow()
    assert dispatcher.run_once(now) == 1
    first = _row(store)
    assert first.status == "queued" and first.last_error == "429 too many"
    wait_one = (first.next_attempt_at - now).total_seconds()
    assert 8 <= wait_one <= 12
    assert dispatcher.run_once(now) == 0  # not due yet
    later = now + timedelta(seconds=13)
    assert dispatcher.run_once(later) == 1
    second = _row(store)
    wait_two = (second.next_attempt_at - later).total_seconds()
    assert 16 <= wait_two <= 24
    assert dispatcher.run_once(later + timedelta(seconds=25)) == 1
    assert _row(store).status == "sent" and _row(store).attempts == 3
    assert len(sender.sent) == 1


def test_provider_wait_is_respected(store):
    """A Retry-After from the provider is waited for, when longer than the backoff."""
    _queue(store)
    dispatcher = Dispatcher(
        store.database, {"sms": RecordingSender([SendFailed("429", wait=120)])}, Backoff(first=1)
    )
    now = utcnow()
    dispatcher.run_once(now)
    assert (_row(store).next_attempt_at - now).total_seconds() >= 119


def test_permanent_failure_is_not_retried(store):
    """A failure not worth retrying marks the message failed at once."""
    _queue(store)
    sender = RecordingSender([SendFailed("400 bad number", retry=False)])
    dispatcher = Dispatcher(store.database, {"sms": sender})
    dispatcher.run_once()
    row = _row(store)
    assert row.status == "failed" and row.attempts == 1
    assert dispatcher.run_once(utcnow() + timedelta(days=1)) == 0


def test_gives_up_after_max_attempts(store):
    """After the last attempt the message is failed, not retried for ever."""
    _queue(store)
    sender = RecordingSender([SendFailed("500")] * 3)
    dispatcher = Dispatcher(store.database, {"sms": sender}, Backoff(first=1, max_attempts=3))
    moment = utcnow()
    for _ in range(3):
        dispatcher.run_once(moment)
        moment += timedelta(hours=1)
    assert _row(store).status == "failed"
    assert sender.sent == []


def test_unsubscribed_marks_opted_out_and_never_retries(store):
    """The provider saying the person unsubscribed stops all sending to them."""
    participant_id = _queue(store)
    sender = RecordingSender([SendFailed("21610 unsubscribed", opted_out=True)])
    Dispatcher(store.database, {"sms": sender}).run_once()
    assert _row(store).status == "failed"
    with store.database.sessions() as session:
        assert session.get(Participant, participant_id).opted_out is True


def test_opted_out_people_get_nothing(store):
    """Messages queued for someone who sent STOP are cancelled, not sent."""
    _queue(store, opted_out=True)
    sender = RecordingSender()
    Dispatcher(store.database, {"sms": sender}).run_once()
    assert sender.sent == []
    assert _row(store).status == "cancelled"


def test_channels_without_a_sender_wait(store):
    """A message for a channel with no sender stays queued."""
    _queue(store)
    assert Dispatcher(store.database, {"telegram": RecordingSender()}).run_once() == 0
    assert _row(store).status == "queued"


def test_a_crashing_sender_does_not_stop_the_dispatcher(store):
    """A bug in a sender is logged and retried later, not fatal."""
    _queue(store)

    class Broken:
        def send(self, address, message):
            raise ValueError("oops")

    Dispatcher(store.database, {"sms": Broken()}).run_once()
    row = _row(store)
    assert row.status == "queued" and row.last_error == "ValueError"


def test_unsubscribed_cancels_the_rest_of_the_batch(store):
    """After the provider says 'unsubscribed', the next queued message is not sent either."""
    participant_id = _queue(store)
    with store.database.engine.begin() as conn:
        outbox.enqueue(conn, participant_id, "sms", [MESSAGE], purpose="reply")
    sender = RecordingSender([SendFailed("21610 unsubscribed", opted_out=True)])
    dispatcher = Dispatcher(store.database, {"sms": sender})
    dispatcher.run_once()
    dispatcher.run_once(utcnow() + timedelta(days=1))
    assert sender.sent == []
    with store.database.sessions() as session:
        statuses = session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)).all()
    assert statuses == ["failed", "cancelled"]


def test_alerts_to_workers_go_beside_messages_to_young_people(store):
    """An alert row has its own address and no young person: the dispatcher sends it with
    the rest, on SQLite and PostgreSQL, and a young person's STOP does not touch it."""
    from voicebox.storage.alerts import AlertRoutes, queue_flag_alert
    from voicebox.storage.workers import create_worker

    participant_id = _queue(store)
    create_worker(store.database, "lead@example.org", "a long enough password", "admin")
    routes = AlertRoutes(email=True, webhook=True, public_url="https://v.example")
    with store.database.transaction() as conn:
        assert queue_flag_alert(conn, routes, 7, None, utcnow()) == 2
        outbox.cancel_queued(conn, participant_id, outbox.STOPPED)
    email, webhook = RecordingSender(), RecordingSender()
    dispatcher = Dispatcher(store.database, {"email": email, "webhook": webhook})
    assert dispatcher.run_once() == 2
    assert [address for address, _ in email.sent] == ["lead@example.org"]
    assert [address for address, _ in webhook.sent] == [None]
    assert "https://v.example/workers/flags/7" in email.sent[0][1].text
    with store.database.transaction() as conn:  # no way to alert: nothing waits
        assert queue_flag_alert(conn, AlertRoutes(), 8, None, utcnow()) == 0


def test_a_reply_goes_before_a_report_backs_backlog(store):
    """50 report-back messages queued first, then one reply: the reply goes first, and a
    channel's thread claims only its own rows."""
    _queue(store)  # the person, with one live message already
    with store.database.engine.begin() as conn:
        person = conn.scalar(select(Participant.id))
        backlog = [OutboundMessage(f"Report {n}", purpose="report") for n in range(50)]
        earlier = utcnow() - timedelta(minutes=5)  # due long before the reply
        for message in backlog:
            conn.execute(
                OutboxMessage.__table__.insert(),
                {
                    "channel": "sms",
                    "participant_id": person,
                    "report_id": 1,
                    "body": outbox.message_to_json(message),
                    "purpose": "report",
                    "status": "queued",
                    "attempts": 0,
                    "next_attempt_at": earlier,
                    "created_at": earlier,
                },
            )
        outbox.enqueue(conn, person, "telegram", [MESSAGE])  # another channel's: not sms's
    sender = RecordingSender()
    dispatcher = Dispatcher(store.database, {"sms": sender})
    total = dispatcher.run_once()
    while (more := dispatcher.run_once()) > 0:  # a run sends at most a batch
        total += more
    assert total == 51  # its own 51; the Telegram one waits for its own thread
    assert sender.sent[0] == ("sms:+447700900123", MESSAGE)  # the reply, though queued last
    assert [m.text for _, m in sender.sent[1:]] == [f"Report {n}" for n in range(50)]
