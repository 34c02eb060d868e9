"""A flag no one marks as seen is alerted again after VOICEBOX_FLAG_REMINDER_HOURS, and
again each time that long passes, to the group's contacts and every admin, with the link
and never the young person's words, until someone marks it as seen. Sent through the
outbox to a fake mail server and webhook on 127.0.0.1."""

from __future__ import annotations

import itertools
import shutil
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.channels.webpage import parse
from tests.workers.conftest import make_area
from voicebox.alerts.settings import AlertSettings
from voicebox.bot.messages import InboundMessage
from voicebox.settings import SettingsError
from voicebox.storage.alerts import queue_flag_reminders, reminder_job
from voicebox.storage.database import Database
from voicebox.storage.flags import review_flag
from voicebox.storage.models import OutboxMessage, SafeguardingFlag, Worker
from voicebox.storage.workers import add_group_contact

PUBLIC = "https://voice.example.org"
WORDS = "i want to kill myself"
CONTACT = "dsl@youth.example"
ADMIN = "admin@example.org"
_ids = itertools.count()


def _area(area_template, tmp_path, mail, webhook, **settings: str):
    path = tmp_path / "area.db"
    shutil.copyfile(area_template, path)
    database = Database(f"sqlite:///{path}")
    add_group_contact(database, "Youth club", CONTACT)
    env = {**mail.env(), "VOICEBOX_SAFEGUARDING_WEBHOOK_URL": webhook.url, **settings}
    return make_area(database, public_url=PUBLIC, env=env)


@pytest.fixture
def alerting(area_template, tmp_path, mail, webhook):
    """The area with email and webhook alerts, reminders after the default 4 hours."""
    made = _area(area_template, tmp_path, mail, webhook)
    yield made
    made.services.database.dispose()


def _flag(area, code: str = "YOUTH1") -> int:
    """A young person's call for help in a check-in; its first alerts sent. The flag's id."""
    address = f"sms:+4477009004{next(_ids):02d}"
    for text in (code, "1", WORDS):
        area.services.engine.handle(
            InboundMessage("sms", address, text, message_id=f"r{next(_ids)}")
        )
    area.dispatch()
    with area.services.database.reading() as conn:
        return conn.scalar(select(SafeguardingFlag.id).order_by(SafeguardingFlag.id.desc()))


def _pass(area, hours: float) -> None:
    """Move every flag, its reminders and its alerts this many hours into the past."""
    back = timedelta(hours=hours)
    with area.services.database.transaction() as conn:
        flags = conn.execute(
            select(SafeguardingFlag.id, SafeguardingFlag.created_at, SafeguardingFlag.reminded_at)
        ).all()
        for flag, created_at, reminded_at in flags:
            conn.execute(
                update(SafeguardingFlag)
                .where(SafeguardingFlag.id == flag)
                .values(
                    created_at=created_at - back, reminded_at=reminded_at and reminded_at - back
                )
            )
        alerts = conn.execute(
            select(OutboxMessage.id, OutboxMessage.created_at).where(
                OutboxMessage.flag_id.is_not(None)
            )
        ).all()
        for alert, created_at in alerts:
            conn.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == alert)
                .values(created_at=created_at - back)
            )


def _remind(area, hours_later: float) -> int:
    """Let this many more hours go by, then look for flags to remind."""
    _pass(area, hours_later)
    return queue_flag_reminders(area.services.database, area.services.store.alert_routes)


def _reminders(mail, webhook) -> list[str]:
    """The words of each reminder received since the last look, then forget them."""
    said = [m.text for m in mail.received] + [hook["text"] for hook in webhook.received]
    assert sorted(m.recipients[0] for m in mail.received) == [ADMIN, CONTACT]
    assert len(webhook.received) == 1
    mail.received.clear()
    webhook.received.clear()
    return said


def test_a_flag_no_one_has_seen_is_alerted_again_every_4_hours_to_contacts_and_admins(
    alerting, mail, webhook
):
    """4 hours on, still new: one reminder to the contact and the admin, and the webhook.
    It links to the flag and holds none of their words. 4 hours after that, another; once
    someone marks the flag as seen, no more."""
    flag = _flag(alerting)
    assert [m.recipients for m in mail.received] == [[CONTACT]]  # the first alert
    mail.received.clear()
    webhook.received.clear()
    assert _remind(alerting, 3.9) == 0
    assert _remind(alerting, 0.2) == 1
    assert _remind(alerting, 0) == 0  # a second look at the same time sends nothing
    assert alerting.dispatch() == 3
    for sent in _reminders(mail, webhook):
        assert sent.startswith("Reminder: a safeguarding flag in the check-in YOUTH1")
        assert "has waited 4 hours" in sent and "No one has marked it as seen yet." in sent
        assert f"{PUBLIC}/workers/flags/{flag}" in sent
        assert "kill" not in sent.lower() and "+44" not in sent
    assert _remind(alerting, 3.9) == 0  # 3.9 hours since the reminder
    assert _remind(alerting, 0.2) == 1
    assert alerting.dispatch() == 3
    assert all("has waited 8 hours" in sent for sent in _reminders(mail, webhook))
    with alerting.services.database.reading() as conn:
        lead = conn.scalar(select(Worker.id).where(Worker.email == ADMIN))
    review_flag(alerting.services.database, flag, None, lead, "seen", "")
    assert _remind(alerting, 30) == 0
    assert alerting.dispatch() == 0


def test_a_flag_marked_as_seen_gets_no_reminder(alerting, mail):
    """Someone is dealing with it: no reminder, however long it waits to be acted on."""
    seen, waiting = _flag(alerting), _flag(alerting)
    with alerting.services.database.reading() as conn:
        lead = conn.scalar(select(Worker.id).where(Worker.email == ADMIN))
    review_flag(alerting.services.database, seen, None, lead, "seen", "")
    assert _remind(alerting, 5) == 1
    with alerting.services.database.reading() as conn:
        reminded = conn.execute(
            select(SafeguardingFlag.id).where(SafeguardingFlag.reminded_at.is_not(None))
        ).scalars()
        assert list(reminded) == [waiting]


def test_the_flag_page_shows_the_reminder_and_why(alerting, mail):
    """The safeguarding lead sees who was reminded, and why it went."""
    flag = _flag(alerting)
    for _ in range(2):
        _remind(alerting, 5)
        alerting.dispatch()
    client = alerting.signed_in("youth@example.org")
    page = parse(client.get(f"/workers/flags/{flag}").get_data(as_text=True))
    told = page.by_id("alerts").text()
    assert told.count(f"Email to {CONTACT}: sent") == 1  # the first alert
    assert told.count(f"Reminder by email to {CONTACT}: sent") == 2
    assert told.count(f"Reminder by email to {ADMIN}: sent") == 2
    assert told.count("Reminder to the webhook: sent") == 2
    why = page.by_id("reminder-why").text()
    assert "no one has marked this flag as seen" in why and "until someone does" in why


def test_two_processes_looking_at_once_remind_once(alerting):
    """Each `voicebox serve` process looks for flags to remind: the first to mark a flag
    sends its reminder, and the others send nothing."""
    for _ in range(3):
        _flag(alerting)
    _pass(alerting, 5)
    results: list[int] = []
    start = threading.Barrier(4)
    routes = alerting.services.store.alert_routes

    def look() -> None:
        start.wait()
        results.append(queue_flag_reminders(alerting.services.database, routes))

    threads = [threading.Thread(target=look) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 3
    with alerting.services.database.reading() as conn:
        reminders = conn.execute(
            select(OutboxMessage.id).where(OutboxMessage.body["text"].as_string().like("Rem%"))
        ).all()
    assert len(reminders) == 3 * 3  # each flag: the contact, the admin and the webhook


def test_reminders_can_be_turned_off_or_set_in_minutes(area_template, tmp_path, mail, webhook):
    """0 turns reminders off; half an hour is 0.5."""
    off = _area(area_template, tmp_path, mail, webhook, VOICEBOX_FLAG_REMINDER_HOURS="0")
    _flag(off)
    assert _remind(off, 100) == 0
    assert reminder_job(off.services.database, off.services.store.alert_routes) is None
    off.services.database.dispose()
    half = AlertSettings.from_env({"VOICEBOX_FLAG_REMINDER_HOURS": "0.5"})
    assert half.remind_after == timedelta(minutes=30)


@pytest.mark.parametrize("wrong", ["soon", "-1", "169", "nan", "inf"])
def test_a_wrong_reminder_setting_says_what_to_set(wrong):
    """One clear line, naming the setting and an example."""
    with pytest.raises(SettingsError, match="VOICEBOX_FLAG_REMINDER_HOURS must be a number"):
        AlertSettings.from_env({"VOICEBOX_FLAG_REMINDER_HOURS": wrong})


def test_no_reminder_without_a_way_to_send_one(area):
    """With no mail server and no webhook, nothing is queued (the queue still shows it)."""
    _flag(area)
    assert _remind(area, 100) == 0
    assert reminder_job(area.services.database, area.services.store.alert_routes) is None
