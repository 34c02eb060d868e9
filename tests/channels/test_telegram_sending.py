"""Telegram replies through the outbox, against a fake Bot API that can be busy (429),
blocked (403), broken (500) or slow: nothing is dropped but what must be, nothing waits for
the outbox's next look, and the limits hold."""

from __future__ import annotations

from itertools import pairwise

from sqlalchemy import select

from tests.channels import telegram_updates as updates
from tests.channels.telegram_app import CHAT, Person, TelegramApp
from voicebox.storage.dispatcher import Backoff
from voicebox.storage.models import OutboxMessage, Participant


def _settled_rows(telegram, count: int = 1) -> list:
    """The outbox's rows once `count` of them are done with (sent, failed or cancelled)."""
    done = ("sent", "failed", "cancelled")
    telegram.fake.wait_for(lambda: sum(r.status in done for r in _rows(telegram)) >= count)
    return _rows(telegram)


def _rows(telegram) -> list:
    with telegram.services.database.reading() as conn:
        return conn.execute(select(OutboxMessage.__table__).order_by(OutboxMessage.id)).all()


def _person_row(telegram) -> object:
    with telegram.services.database.reading() as conn:
        return conn.execute(select(Participant.__table__)).one()


def _sends_to(fake, chat: int) -> list:
    return [c for c in fake.calls("sendMessage") if int(c.params["chat_id"]) == chat]


def test_a_429_waits_as_long_as_telegram_says_then_sends(telegram, person, fake_bot_api):
    fake_bot_api.plan("sendMessage", status=429, retry_after=1)
    person.send("/start DEMO")
    first, second = _sends_to(fake_bot_api, CHAT)
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 1.0
    assert [row.status for row in _settled_rows(telegram)] == ["sent"]


def test_429s_never_use_up_a_message(tmp_path, fake_bot_api):
    """More 429s than a message's attempts: it still goes when Telegram lets it."""
    telegram = TelegramApp(tmp_path, fake_bot_api, backoff=Backoff(first=0.2, max_attempts=2))
    try:
        fake_bot_api.plan("sendMessage", status=429, retry_after=1, times=3)
        Person(telegram).send("/start DEMO", wait=False)
        fake_bot_api.wait_for(lambda: Person(telegram).shown(), timeout=8)
        assert [c.status for c in _sends_to(fake_bot_api, CHAT)] == [429, 429, 429, 200]
    finally:
        telegram.close()


def test_a_person_who_blocked_the_bot_is_not_tried_again_until_they_write(
    telegram, person, fake_bot_api
):
    person.send("/start DEMO")
    fake_bot_api.block(CHAT)
    person.press("Yes", wait=False)
    fake_bot_api.wait_for(lambda: _sends_to(fake_bot_api, CHAT)[-1].status == 403)
    person.settle(0.6)  # several of the outbox's looks
    assert [c.status for c in _sends_to(fake_bot_api, CHAT)] == [200, 403]
    assert _person_row(telegram).unreachable
    assert _settled_rows(telegram, 2)[-1].status == "failed"
    assert not _person_row(telegram).opted_out  # blocked is not STOP
    # They unblock the bot and write again: they are reachable, and the reply goes.
    fake_bot_api.unblock(CHAT)
    person.send("hello")
    assert not _person_row(telegram).unreachable
    assert _sends_to(fake_bot_api, CHAT)[-1].status == 200


def test_a_blocked_person_has_what_waited_for_them_cancelled(telegram, person, fake_bot_api):
    person.send("/start DEMO")
    response = telegram.post(updates.blocked(CHAT))  # Telegram says: they blocked the bot
    assert response.status_code == 200
    assert _person_row(telegram).unreachable
    with telegram.services.database.transaction() as conn:  # a report-back, queued later
        from voicebox.bot.messages import OutboundMessage
        from voicebox.storage.outbox import enqueue

        enqueue(conn, _person_row(telegram).id, "telegram", [OutboundMessage("News")])
    person.settle(0.6)
    assert len(_sends_to(fake_bot_api, CHAT)) == 1  # the news was not sent
    assert _settled_rows(telegram, 2)[-1].status == "cancelled"


def test_a_500_is_tried_again_with_backoff(tmp_path, fake_bot_api):
    telegram = TelegramApp(tmp_path, fake_bot_api, backoff=Backoff(first=0.5, factor=3.0))
    try:
        fake_bot_api.plan("sendMessage", status=500, times=2)
        person = Person(telegram)
        person.send("/start DEMO", wait=False)
        fake_bot_api.wait_for(lambda: person.shown(), timeout=8)
        calls = _sends_to(fake_bot_api, CHAT)
        assert [c.status for c in calls] == [500, 500, 200]
        gaps = [later.at - earlier.at for earlier, later in pairwise(calls)]
        assert gaps[0] >= 0.4 and gaps[1] > gaps[0] * 1.2  # each wait longer than the last
        assert _settled_rows(telegram)[-1].status == "sent"
    finally:
        telegram.close()


def test_a_send_with_no_answer_in_time_is_sent_again(tmp_path, fake_bot_api):
    """Telegram cannot be asked whether a message reached it: after a timeout the reply
    goes again, so the person may (rarely) see it twice. It is never lost."""
    telegram = TelegramApp(tmp_path, fake_bot_api, timeout=0.5)
    try:
        fake_bot_api.plan("sendMessage", delay=1.5, made=True)
        person = Person(telegram)
        person.send("/start DEMO", wait=False)
        person.wait_for_messages(2, timeout=8)
        texts = [m.text for m in person.shown()]
        assert texts[0] == texts[1]  # the rare repeat ARCHITECTURE.md owns up to
        row = _settled_rows(telegram)[-1]
        assert (row.status, row.in_doubt) == ("sent", False)
    finally:
        telegram.close()


def test_a_reply_does_not_wait_for_the_outbox_to_look(tmp_path, fake_bot_api):
    """The outbox's threads look every 30 s here: the reply still comes at once, as the
    webhook rings the bell."""
    telegram = TelegramApp(tmp_path, fake_bot_api, interval=30.0)
    try:
        person = Person(telegram)
        person.settle(0.3)  # the threads are idle, waiting their 30 s
        person.send("/start DEMO")  # waits at most 5 s for the reply
        person.press("Yes")
        assert len(person.shown()) == 2
    finally:
        telegram.close()


def test_the_overall_rate_holds_across_chats(tmp_path, fake_bot_api):
    telegram = TelegramApp(tmp_path, fake_bot_api, rate=5.0)
    try:
        people = [Person(telegram, CHAT + n) for n in range(12)]
        for someone in people:
            someone.send("/start DEMO", wait=False)
        fake_bot_api.wait_for("sendMessage", count=12, timeout=8)
        times = sorted(c.at for c in fake_bot_api.calls("sendMessage"))
        most = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
        assert most <= 6  # 5 a second, and one at the edge of the second
    finally:
        telegram.close()


def test_nothing_in_the_logs_holds_the_token_or_the_chat(telegram, person, caplog):
    caplog.set_level("DEBUG")
    telegram.fake.plan("sendMessage", status=500)
    person.send("/start DEMO")
    person.press("Yes")
    logged = caplog.text
    assert "Telegram could not be reached" in logged or "failed" in logged
    for secret in (telegram.fake.token, str(CHAT), "Sam"):
        assert secret not in logged
