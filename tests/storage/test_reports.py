"""'You said, we did' on real SQLite and PostgreSQL: a report's themes, who it reaches,
sending it once per person on their own channel (their themes first), the live counts, and
the web chat's report shown once."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from voicebox.bot.messages import InboundMessage, utcnow
from voicebox.bot.report_back import CLOSING, ReportItem, opening
from voicebox.storage import outbox
from voicebox.storage.consultations import get_consultation
from voicebox.storage.models import OutboxMessage, Participant, table
from voicebox.storage.outbox import message_from_json
from voicebox.storage.pseudonyms import address_key
from voicebox.storage.reports import (
    ReportProblem,
    delivery_counts,
    give_up_on_web,
    reach,
    read_report,
    save_report,
    send_report_back,
)
from voicebox.storage.themes import create_theme, tag_answers

_ids = itertools.count()


def _say(engine, channel: str, address: str, *words: str) -> None:
    for said in words:
        inbound = InboundMessage(channel, address, said, message_id=f"r{next(_ids)}")
        if channel == "web":
            inbound = InboundMessage(channel, address, said, consultation="DEMO")
        engine.handle(inbound)


def _take_part(engine, channel: str, address: str, good: str, hear_back: bool = True) -> None:
    """A whole DEMO check-in about school; "1" or "2" to hearing back."""
    start = ["DEMO"] if channel != "web" else [""]
    _say(engine, channel, address, *start, "1", "1", "2", good, "Noise", "Quiet room", "2")
    _say(engine, channel, address, "1" if hear_back else "2")


def _demo(engine) -> int:
    found = get_consultation(engine.store.database, "DEMO")
    assert found is not None
    return found.id


def _answer_of(database, _who: str, words: str) -> int:
    from voicebox.storage.models import Answer

    with database.reading() as conn:
        return conn.scalar(
            select(Answer.id)
            .join(Participant, Participant.id == Answer.participant_id)
            .where(Answer.answer == words)  # each person's words are their own here
        )


@pytest.fixture
def people(engine):
    """Five young people in DEMO: two by text, one by Telegram, one on the web, one said
    no to hearing back, and one who sent STOP after saying yes."""
    _take_part(engine, "sms", "sms:+447700900001", "Buses")
    _take_part(engine, "sms", "sms:+447700900002", "Friends")
    _take_part(engine, "telegram", "telegram:555001", "Buses and trains")
    _take_part(engine, "web", "web:session-1", "Teachers")
    _take_part(engine, "sms", "sms:+447700900003", "Lunch", hear_back=False)
    _take_part(engine, "sms", "sms:+447700900004", "Art")
    _say(engine, "sms", "sms:+447700900004", "STOP")
    return engine


def _report(engine, consultation_id: int) -> tuple[int, int]:
    """Two themes, 'Buses' given to the Telegram person's answer; the report written."""
    database = engine.store.database
    buses = create_theme(database, consultation_id, "Buses")
    friends = create_theme(database, consultation_id, "Friends")
    tag_answers(
        database, consultation_id, buses, [_answer_of(database, "555001", "Buses and trains")]
    )
    tag_answers(database, consultation_id, friends, [_answer_of(database, "900002", "Friends")])
    save_report(
        database,
        consultation_id,
        [
            ReportItem(
                friends,
                "Friends",
                "Friends matter.",
                "We made a club.",
                "It meets on Fridays.",
                "done",
            ),
            ReportItem(
                buses, "Buses", "Buses are late.", "We asked the bus company.", "", "planned"
            ),
        ],
        public=False,
    )
    return buses, friends


def _outbox(database) -> list:
    with database.reading() as conn:
        return conn.execute(
            select(OutboxMessage.participant_id, OutboxMessage.channel, OutboxMessage.body,
                   OutboxMessage.report_id, OutboxMessage.purpose)
            .where(OutboxMessage.report_id.is_not(None))
            .order_by(OutboxMessage.id)
        ).all()  # fmt: skip


def test_a_report_keeps_its_themes_in_order_and_only_this_check_ins(engine, people):
    demo = _demo(people)
    buses, friends = _report(people, demo)
    with people.store.database.reading() as conn:
        report = read_report(conn, demo)
    assert report is not None and [i.theme for i in report.items] == ["Friends", "Buses"]
    assert report.items[0].did == "We made a club." and report.sent_at is None
    with pytest.raises(ReportProblem, match="planned, doing now or done"):
        save_report(
            people.store.database, demo, [ReportItem(buses, "", "x", "", "", "maybe")], False
        )
    save_report(people.store.database, demo, [ReportItem(999_999, "", "x", "", "", "done")], True)
    with people.store.database.reading() as conn:
        after = read_report(conn, demo)
    assert after is not None and after.items == () and after.public is True


def test_reach_counts_who_hears_back_and_who_does_not(engine, people):
    with people.store.database.reading() as conn:
        found = reach(conn, _demo(people))
    assert dict(found.by_channel) == {"sms": 2, "telegram": 1, "web": 1}
    assert (found.people, found.stopped, found.said_no) == (4, 1, 1)


def test_sending_reaches_each_person_once_on_their_channel_their_themes_first(engine, people):
    demo = _demo(people)
    _report(people, demo)
    sent = send_report_back(people.store.database, demo, "DEMO check-in", {"telegram": 4096})
    rows = _outbox(people.store.database)
    assert sent.people == 4 and sent.messages == len(rows) == 3 * 4 + 1
    by_person: dict[int, list] = {}
    for participant_id, channel, body, _report_id, purpose in rows:
        assert purpose == "report"
        by_person.setdefault(participant_id, []).append((channel, message_from_json(body).text))
    texts = sorted(by_person.values(), key=len)
    telegram = texts[0]
    assert [t[0][0] for t in texts] == ["telegram", "sms", "sms", "web"]
    assert len(telegram) == 1 and telegram[0][0] == "telegram"
    joined = telegram[0][1]
    assert joined.startswith(opening("DEMO check-in")) and joined.endswith(CLOSING)
    assert joined.index("Buses are late.") < joined.index("Friends matter.")  # theirs first
    assert "We plan to: We asked the bus company." in joined
    sms = [t for t in texts if t[0][0] == "sms"]
    assert len(sms) == 2 and all(len(t) == 4 for t in sms)
    friend = next(t for t in sms if "Friends matter." in t[1][1])
    assert (
        friend[1][1]
        == "You said: Friends matter.\nWe did this: We made a club.\nNext: It meets on Fridays."
    )
    again = send_report_back(people.store.database, demo, "DEMO check-in", {"telegram": 4096})
    assert (again.people, again.messages) == (0, 0) and len(_outbox(people.store.database)) == 13
    with people.store.database.reading() as conn:
        counts = delivery_counts(conn, read_report(conn, demo).id)
    assert (counts.queued, counts.web_waiting, counts.sent) == (3, 1, 0)


def test_someone_who_joins_later_gets_it_on_the_next_send_and_no_one_else_again(engine, people):
    demo = _demo(people)
    _report(people, demo)
    send_report_back(people.store.database, demo, "DEMO", {})
    _take_part(people, "sms", "sms:+447700900009", "Music")
    later = send_report_back(people.store.database, demo, "DEMO", {})
    assert later.people == 1 and later.messages == 4


def test_nothing_to_send_without_a_theme_answered(engine, people):
    with pytest.raises(ReportProblem, match="at least one theme"):
        send_report_back(people.store.database, _demo(people), "DEMO", {})
    assert _outbox(people.store.database) == []


def test_the_counts_follow_each_persons_least_good_message(engine, people):
    """Delivered, one text undelivered, a Telegram message cancelled by STOP: one each."""
    demo = _demo(people)
    _report(people, demo)
    send_report_back(people.store.database, demo, "DEMO", {})
    database = people.store.database
    rows = table(OutboxMessage)
    first, second = sorted({r[0] for r in _outbox(database) if r[1] == "sms"})
    with database.transaction() as conn:
        conn.execute(
            update(rows)
            .where(rows.c.participant_id == first)
            .values(status="sent", delivery_status="delivered")
        )
        conn.execute(update(rows).where(rows.c.participant_id == second).values(status="sent"))
        one = conn.scalar(select(func.min(rows.c.id)).where(rows.c.participant_id == second))
        conn.execute(update(rows).where(rows.c.id == one).values(delivery_status="undelivered"))
        conn.execute(update(rows).where(rows.c.channel == "telegram").values(status="cancelled"))
    with database.reading() as conn:
        counts = delivery_counts(conn, read_report(conn, demo).id)
    assert (counts.delivered, counts.failed, counts.opted_out, counts.queued) == (1, 1, 1, 0)


def test_the_web_chat_shows_its_report_once(engine, people):
    """The web's messages wait in the outbox until the page takes them, then count shown."""
    demo = _demo(people)
    _report(people, demo)
    send_report_back(people.store.database, demo, "DEMO", {})
    database = people.store.database
    with database.reading() as conn:
        web_person = conn.scalar(select(Participant.id).where(Participant.channel == "web"))
        before = delivery_counts(conn, read_report(conn, demo).id)
    assert (before.web_waiting, before.web_shown, before.queued) == (1, 0, 3)
    shown = outbox.take(database, web_person, "web")
    assert [n.message.purpose for n in shown] == ["report"] * 4
    assert shown[0].message.text == opening("DEMO")
    assert outbox.take(database, web_person, "web") == []
    with database.reading() as conn:
        after = delivery_counts(conn, read_report(conn, demo).id)
    assert (after.web_waiting, after.web_shown) == (0, 1)


def test_a_web_report_no_one_came_back_for_is_counted_as_not_back(engine, people):
    """A browser forgets its visitor 31 days after their last visit. A report-back still
    waiting on the web after that can never be shown: it counts as not back, and the
    page will not show it. Younger than that, it keeps waiting."""
    demo = _demo(people)
    _report(people, demo)
    send_report_back(people.store.database, demo, "DEMO", {})
    database = people.store.database
    rows = table(OutboxMessage)

    def waited(days: int) -> None:
        with database.transaction() as conn:
            conn.execute(
                update(rows)
                .where(rows.c.channel == "web")
                .values(created_at=utcnow() - timedelta(days=days))
            )

    waited(30)
    assert give_up_on_web(database) == 0
    waited(32)
    assert give_up_on_web(database) == 4  # the web person's four messages
    with database.reading() as conn:
        web_person = conn.scalar(select(Participant.id).where(Participant.channel == "web"))
        counts = delivery_counts(conn, read_report(conn, demo).id)
    assert (counts.web_waiting, counts.web_not_back, counts.queued) == (0, 1, 3)
    assert outbox.take(database, web_person, "web") == []
    assert give_up_on_web(database) == 0


def test_someone_who_blocked_the_bot_or_stopped_counts_opted_out_not_failed(engine, people):
    """A send refused because they blocked the bot (or unsubscribed) fails, and marks them:
    the count says they stopped, as the page's words promise, not that sending broke."""
    demo = _demo(people)
    _report(people, demo)
    send_report_back(people.store.database, demo, "DEMO", {"telegram": 4096})
    database = people.store.database
    rows, participants = table(OutboxMessage), table(Participant)
    first, second = sorted({r[0] for r in _outbox(database) if r[1] == "sms"})
    with database.transaction() as conn:
        # What the dispatcher leaves after Telegram's 403 and Twilio's 21610 (unsubscribed).
        blocked = conn.scalar(select(rows.c.participant_id).where(rows.c.channel == "telegram"))
        conn.execute(update(rows).where(rows.c.channel == "telegram").values(status="failed"))
        conn.execute(
            update(participants).where(participants.c.id == blocked).values(unreachable=True)
        )
        conn.execute(update(rows).where(rows.c.participant_id == first).values(status="failed"))
        conn.execute(update(participants).where(participants.c.id == first).values(opted_out=True))
        # A send that failed for another reason stays a failure.
        conn.execute(update(rows).where(rows.c.participant_id == second).values(status="failed"))
    with database.reading() as conn:
        counts = delivery_counts(conn, read_report(conn, demo).id)
    assert (counts.opted_out, counts.failed, counts.queued) == (2, 1, 0)


def test_hearing_back_is_asked_per_check_in_and_the_latest_answer_in_it_wins(engine, people):
    """No in DEMO, then yes in CORNER (same number): DEMO's report does not go to them.
    Yes in DEMO, then no in a second run of DEMO: it does not go either."""
    demo = _demo(people)
    database = people.store.database
    _take_part(people, "sms", "sms:+447700900003", "Lunch", hear_back=False)  # no, again
    _say(people, "sms", "sms:+447700900003", "CORNER", "1")  # into another check-in
    from voicebox.storage.models import Conversation

    with database.transaction() as conn:  # they said yes there, as its last step keeps it
        conn.execute(
            update(table(Conversation))
            .where(Conversation.consultation_id != demo)
            .values(report_back=True)
        )
        conn.execute(
            update(table(Participant))
            .where(
                Participant.key_hash == address_key(people.store.secret, "sms", "sms:+447700900003")
            )
            .values(report_back=True)
        )
    _take_part(people, "sms", "sms:+447700900002", "Friends again", hear_back=False)
    with database.reading() as conn:
        found = reach(conn, demo)
    assert dict(found.by_channel) == {"sms": 1, "telegram": 1, "web": 1}
    assert found.said_no == 2
    _report(people, demo)
    sent = send_report_back(database, demo, "DEMO", {})
    assert sent.people == 3
    with database.reading() as conn:
        to = {
            conn.scalar(select(Participant.channel).where(Participant.id == pid))
            for pid, *_ in _outbox(database)
        }
    assert to == {"sms", "telegram", "web"}
