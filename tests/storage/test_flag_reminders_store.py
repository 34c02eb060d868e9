"""Flag reminders on SQLite and PostgreSQL: one each time the set hours pass with the flag
still new, none once someone marks it as seen, and each one shown as a reminder."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, insert, select, update

from voicebox.bot.messages import utcnow
from voicebox.storage.alerts import AlertRoutes, alerts_for_flag, queue_flag_reminders
from voicebox.storage.models import OutboxMessage, Participant, SafeguardingFlag
from voicebox.storage.workers import create_worker

ROUTES = AlertRoutes(email=True, remind_after=timedelta(hours=4))


def _flag(database, raised) -> int:
    """A flag raised at `raised`, with its first alert queued beside it, as the store does."""
    with database.transaction() as conn:
        person = conn.scalar(
            insert(Participant)
            .values(
                channel="sms",
                key_hash="r" * 64,
                pseudonym="Otter-4242",
                address="v1:sealed",
                created_at=raised,
                updated_at=raised,
            )
            .returning(Participant.id)
        )
        flag = conn.scalar(
            insert(SafeguardingFlag)
            .values(participant_id=person, category="harm", phrase="x", created_at=raised)
            .returning(SafeguardingFlag.id)
        )
        conn.execute(
            insert(OutboxMessage).values(
                channel="email",
                address="admin@example.org",
                flag_id=flag,
                body={"text": "first alert", "purpose": "alert"},
                purpose="alert",
                status="sent",
                attempts=1,
                next_attempt_at=raised,
                created_at=raised,
            )
        )
    return flag


def test_a_reminder_each_time_the_hours_pass_until_someone_marks_it_seen(database):
    """3.9 h: nothing; 4.1 h: one; 8.0 h: nothing (3.9 h since it); 8.2 h: another."""
    create_worker(database, "admin@example.org", "a long enough password", "admin")
    raised = utcnow() - timedelta(days=1)
    flag = _flag(database, raised)
    for hours, expected in [(3.9, 0), (4.1, 1), (4.1, 0), (8.0, 0), (8.2, 1), (12.3, 1)]:
        assert queue_flag_reminders(database, ROUTES, raised + timedelta(hours=hours)) == (
            expected
        ), hours
    told = alerts_for_flag(database, flag)
    assert [alert.reminder for alert in told] == [False, True, True, True]
    with database.transaction() as conn:
        conn.execute(update(SafeguardingFlag).values(status="seen"))
    assert queue_flag_reminders(database, ROUTES, raised + timedelta(hours=48)) == 0
    with database.reading() as conn:
        assert conn.scalar(select(func.count()).select_from(OutboxMessage)) == 4
