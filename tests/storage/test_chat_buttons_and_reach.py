"""Storage for chats with buttons, on SQLite and PostgreSQL: a button on an older message
has passed; a chat's own pace defers a row instead of holding a thread; people the
provider cannot reach get nothing; a group's notice goes at most once a day."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.conftest import SECRET
from voicebox.bot import replies
from voicebox.bot.messages import InboundMessage, OutboundMessage, utcnow
from voicebox.storage import notices, outbox, reach
from voicebox.storage.dispatcher import Dispatcher, SendFailed
from voicebox.storage.models import Notice, OutboxMessage, Participant
from voicebox.storage.store import SqlStore

CHAT = "chat:1001"


@pytest.mark.parametrize(
    ("pressed", "newest", "passed"),
    [
        ("5", None, False),  # nothing sent yet that we know of
        ("5", "5", False),
        ("4", "5", True),
        ("6", "5", False),  # newer than the newest written down: its send is not yet kept
        ("10", "9", False),  # numbers, not words: "10" < "9" as text
        ("SMa", "SMb", True),  # ids that are not numbers: any other is older
    ],
)
def test_older_than(pressed, newest, passed):
    assert outbox.older_than(pressed, newest) is passed


def _chat_engine(engine):
    """The engine's store, with the chat channel replying through the outbox."""
    engine.store = SqlStore(engine.store.database, SECRET, outbox_channels=["chat"])
    return engine


def _say(engine, text: str = "", payload: str | None = None, pressed: str | None = None):
    return engine.handle(
        InboundMessage("chat", CHAT, text, payload=payload, buttons=True, pressed_on=pressed)
    )


def _mark_sent(database, provider_id: str) -> None:
    """What the outbox's sender does: the newest row sent, with the provider's id."""
    with database.transaction() as conn:
        newest = conn.execute(select(OutboxMessage.id).order_by(OutboxMessage.id.desc())).scalar()
        conn.execute(
            update(OutboxMessage.__table__)
            .where(OutboxMessage.id == newest)
            .values(status="sent", provider_id=provider_id)
        )


def test_a_button_on_an_older_message_has_passed(engine):
    engine = _chat_engine(engine)
    database = engine.store.database
    _say(engine, "DEMO")
    _mark_sent(database, "1")
    consent = _say(engine, payload="consent:yes", pressed="1")
    assert consent.question is not None and consent.question.step_id == "topic"
    _mark_sent(database, "2")
    home = _say(engine, payload="topic:home", pressed="2")
    _mark_sent(database, "3")
    # The topic question again, from message 2: passed, though its step is the same kind.
    stale = _say(engine, payload="topic:school", pressed="2")
    assert stale.replies[0].text == replies.on_channel(replies.OLD_BUTTON, True)
    assert stale.question == home.question and stale.chosen is None
    # Help still works from an old message; the newest message's button answers.
    assert _say(engine, "Help", pressed="1").replies[0].purpose == "help"
    _mark_sent(database, "4")
    assert _say(engine, payload="feeling:good", pressed="4").chosen is not None


def test_a_chats_own_pace_defers_a_row_and_another_chat_goes_first(store):
    """Two replies wait for one person and one for another: the first person's second
    reply waits its turn (a second later) without a thread waiting for it."""

    class Paced:
        rate = 100.0
        person_rate = 1.0

        def __init__(self) -> None:
            self.sent: list[str] = []

        def units(self, message: OutboundMessage) -> int:
            return 1

        def send(self, address: str, message: OutboundMessage) -> str:
            self.sent.append(f"{address} {message.text}")
            return str(len(self.sent))

    ids = []
    with store.database.transaction() as conn:
        for n in (1, 2):
            ids.append(
                conn.execute(
                    Participant.__table__.insert().returning(Participant.id),
                    {
                        "channel": "chat",
                        "key_hash": f"{n}" * 64,
                        "pseudonym": f"Otter-{n}",
                        "address": store.addresses.seal(f"chat:{n}", f"{n}" * 64),
                        "created_at": utcnow(),
                        "updated_at": utcnow(),
                    },
                ).scalar_one()
            )
        outbox.enqueue(conn, ids[0], "chat", [OutboundMessage("a"), OutboundMessage("b")])
        outbox.enqueue(conn, ids[1], "chat", [OutboundMessage("c")])
    sender = Paced()
    dispatcher = Dispatcher(store.database, {"chat": sender})
    assert dispatcher.run_once() == 2
    assert sender.sent == ["chat:1 a", "chat:2 c"]
    with store.database.reading() as conn:
        waiting = conn.execute(
            select(OutboxMessage.status, OutboxMessage.next_attempt_at, OutboxMessage.attempts)
            .where(OutboxMessage.participant_id == ids[0])
            .order_by(OutboxMessage.id)
        ).all()
    assert [row.status for row in waiting] == ["sent", "queued"]
    assert waiting[1].attempts == 0  # a turn waited is not a try
    assert waiting[1].next_attempt_at > utcnow() + timedelta(seconds=0.5)
    time.sleep(1.05)  # the person's pace is kept by the clock, as across processes
    assert dispatcher.run_once() == 1
    assert sender.sent[-1] == "chat:1 b"


def test_unreachable_people_get_nothing_until_they_write(engine):
    engine = _chat_engine(engine)
    database = engine.store.database
    _say(engine, "DEMO")
    assert reach.mark_unreachable(database, SECRET, "chat", CHAT)
    assert not reach.mark_unreachable(database, SECRET, "chat", "chat:nobody")
    with database.reading() as conn:
        statuses = conn.execute(select(OutboxMessage.status)).scalars().all()
    assert statuses and set(statuses) == {"cancelled"}

    class Sender:
        def send(self, address: str, message: OutboundMessage) -> str:
            raise AssertionError("nothing may go to an unreachable person")

    with database.transaction() as conn:
        person = conn.execute(select(Participant.id)).scalar_one()
        outbox.enqueue(conn, person, "chat", [OutboundMessage("News")])
    Dispatcher(database, {"chat": Sender()}).run_once()
    _say(engine, "hello")  # they write again
    with database.reading() as conn:
        assert not conn.execute(select(Participant.unreachable)).scalar_one()


def test_a_403_marks_them_unreachable_and_is_never_tried_again(engine):
    engine = _chat_engine(engine)
    _say(engine, "DEMO")

    class Blocked:
        tries = 0

        def send(self, address: str, message: OutboundMessage) -> str:
            Blocked.tries += 1
            raise SendFailed("403", unreachable=True)

    dispatcher = Dispatcher(engine.store.database, {"chat": Blocked()})
    dispatcher.run_once()
    dispatcher.run_once(utcnow() + timedelta(hours=2))
    assert Blocked.tries == 1
    with engine.store.database.reading() as conn:
        person = conn.execute(select(Participant.unreachable, Participant.opted_out)).one()
    assert tuple(person) == (True, False)


def test_a_line_to_someone_waiting_goes_once_and_only_to_someone_waiting(engine):
    engine = _chat_engine(engine)
    database = engine.store.database
    line = OutboundMessage("Please send it again.", purpose="notice")
    assert not reach.tell_if_waiting(database, SECRET, "chat", CHAT, "u1", line)  # nobody
    _say(engine, "DEMO")
    assert reach.tell_if_waiting(database, SECRET, "chat", CHAT, "u2", line)
    assert not reach.tell_if_waiting(database, SECRET, "chat", CHAT, "u2", line)  # again
    _say(engine, "STOP")
    assert not reach.tell_if_waiting(database, SECRET, "chat", CHAT, "u3", line)


def test_a_notice_goes_once_a_day_even_asked_at_once(store):
    database = store.database
    notice = OutboundMessage("Talk to me privately.", purpose="notice")
    said: list[bool] = []

    def ask() -> None:
        said.append(notices.say_once(database, SECRET, "chat", "chat:-100200", notice))

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(said) == [False] * 5 + [True]
    assert notices.say_once(database, SECRET, "chat", "chat:-100300", notice)  # another group
    with database.transaction() as conn:
        kept = conn.execute(select(Notice.key_hash)).scalars().all()
        assert all("100200" not in key and "100300" not in key for key in kept)
        conn.execute(update(Notice.__table__).values(said_at=utcnow() - timedelta(days=2)))
    assert notices.say_once(database, SECRET, "chat", "chat:-100200", notice)  # a day on
    with database.reading() as conn:
        rows = conn.execute(select(OutboxMessage.address, OutboxMessage.participant_id)).all()
    assert sorted(rows) == sorted(
        [("chat:-100200", None), ("chat:-100300", None), ("chat:-100200", None)]
    )
