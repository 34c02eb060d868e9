"""Safeguarding alerts: when a flag is raised, tell people at once, through the outbox.

An alert goes by email to the contacts of the group that runs the check-in, or to every
admin when there is no such contact, and to one webhook if one is set. It says that a flag
needs reading and links to it; it never holds what the young person wrote.

A flag no one has marked as seen after `remind_after` is alerted again (a reminder), to
the group's contacts and every admin as well: someone must read it the same day. The
reminders go on, one each `remind_after`, until someone marks it as seen."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from voicebox.bot.messages import OutboundMessage, utcnow
from voicebox.storage.database import Database
from voicebox.storage.jobs import RepeatingJob
from voicebox.storage.models import (
    Consultation,
    ConsultationGroup,
    Conversation,
    GroupContact,
    OutboxMessage,
    SafeguardingFlag,
    Worker,
    table,
)
from voicebox.storage.outbox import message_to_json

log = logging.getLogger(__name__)

EMAIL = "email"
WEBHOOK = "webhook"
ALERT = "alert"  # the outbox purpose of every alert
SUBJECT = "Voicebox: a safeguarding flag to read today"

_outbox = table(OutboxMessage)
_contacts = table(GroupContact)
_conversations = table(Conversation)
_consultations = table(Consultation)
_consultation_groups = table(ConsultationGroup)
_workers = table(Worker)
_flags = table(SafeguardingFlag)
REMINDER_BATCH = 100  # flags reminded in one transaction

_CHECKIN_OF_CONVERSATION = (
    select(_consultations.c.code, _consultation_groups.c.group_id)
    .select_from(_conversations)
    .join(_consultations, _consultations.c.id == _conversations.c.consultation_id)
    .outerjoin(_consultation_groups, _consultation_groups.c.consultation_id == _consultations.c.id)
)


@dataclass(frozen=True)
class AlertRoutes:
    """Which ways of alerting are set up, and the address workers open the area at."""

    email: bool = False
    webhook: bool = False
    public_url: str | None = None
    remind_after: timedelta | None = None  # a flag still new after this is alerted again

    @property
    def any(self) -> bool:
        """True when an alert can go out some way."""
        return self.email or self.webhook


def flag_link(public_url: str | None, flag_id: int) -> str:
    """The flag's page in the workers' area (a path alone when the public address is unset)."""
    return f"{(public_url or '').rstrip('/')}/workers/flags/{flag_id}"


def alert_text(link: str, code: str | None) -> str:
    """The words of an alert: what happened, what to do, and the link. No message text."""
    where = f"in the check-in {code}" if code else "before they joined a check-in"
    return (
        f"A young person's message {where} has been flagged for safeguarding.\n"
        "Please read it today and record what you did.\n"
        f"Read the flag: {link}\n"
        "This alert does not hold their words. Sign in to read them."
    )


def reminder_text(link: str, code: str | None, waited: timedelta) -> str:
    """The words of a reminder: how long the flag has waited unseen, and the link."""
    where = f"in the check-in {code}" if code else "before they joined a check-in"
    return (
        f"Reminder: a safeguarding flag {where} has waited {duration(waited)}.\n"
        "No one has marked it as seen yet. Please read it today.\n"
        f"Read the flag: {link}\n"
        "This alert does not hold their words. Sign in to read them."
    )


def duration(waited: timedelta) -> str:
    """A length of time as people say it: 4 hours, 30 minutes."""
    minutes = max(1, round(waited.total_seconds() / 60))
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60)
    return f"{hours} hour{'s' if hours != 1 else ''}"


def _email_recipients(conn: Connection, group_id: int | None, admins_too: bool) -> list[str]:
    """The group's contacts; every active admin as well for a reminder, or when the group
    has no contact (someone must be told)."""
    contacts: list[str] = []
    if group_id is not None:
        contacts = list(
            conn.scalars(
                select(_contacts.c.email).where(_contacts.c.group_id == group_id).order_by("email")
            ).all()
        )
    if contacts and not admins_too:
        return contacts
    admins = select(_workers.c.email).where(_workers.c.role == "admin", _workers.c.active)
    found = conn.scalars(admins.order_by(_workers.c.email)).all()
    return contacts + [email for email in found if email not in contacts]


def _checkin_of(conn: Connection, conversation_id: int | None) -> tuple[str | None, int | None]:
    """The code and group of the check-in a conversation is in, when there is one."""
    if conversation_id is None:
        return None, None
    found = conn.execute(
        _CHECKIN_OF_CONVERSATION.where(_conversations.c.id == conversation_id)
    ).first()
    return (None, None) if found is None else (found.code, found.group_id)


def queue_flag_alert(
    conn: Connection,
    routes: AlertRoutes,
    flag_id: int,
    conversation_id: int | None,
    now: datetime,
) -> int:
    """Queue the alerts for a new flag, in the caller's transaction; return how many."""
    if not routes.any:
        return 0
    code, group_id = _checkin_of(conn, conversation_id)
    text = alert_text(flag_link(routes.public_url, flag_id), code)
    return _queue(conn, routes, flag_id, text, _email_recipients(conn, group_id, False), now)


def _queue(
    conn: Connection,
    routes: AlertRoutes,
    flag_id: int,
    text: str,
    emails: list[str],
    now: datetime,
) -> int:
    """Queue one alert about a flag to each email address and the webhook; how many."""
    body = message_to_json(OutboundMessage(text=text, purpose=ALERT))
    targets: list[tuple[str, str | None]] = []
    if routes.email:
        targets += [(EMAIL, address) for address in emails]
    if routes.webhook:
        targets.append((WEBHOOK, None))  # the sender knows its one address
    rows: list[dict[str, Any]] = [
        {
            "channel": channel,
            "participant_id": None,
            "address": address,
            "flag_id": flag_id,
            "body": body,
            "purpose": ALERT,
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for channel, address in targets
    ]
    if rows:
        conn.execute(insert(_outbox), rows)
    return len(rows)


# When someone was last told of the flag: its last reminder, or its first alert.
_last_told = func.coalesce(_flags.c.reminded_at, _flags.c.created_at)
_DUE_FOR_REMINDER = (
    select(_flags.c.id, _flags.c.conversation_id, _flags.c.created_at)
    .where(_flags.c.status == "new")
    .order_by(_last_told)
    .limit(REMINDER_BATCH)
)


def queue_flag_reminders(db: Database, routes: AlertRoutes, now: datetime | None = None) -> int:
    """Alert again about every flag still new `routes.remind_after` since anyone was last
    told of it, to the group's contacts and every admin; return how many flags were
    reminded. Safe to run in several processes at once: the first to mark a flag takes it."""
    if not routes.any or routes.remind_after is None:
        return 0
    now = now or utcnow()
    due_before = now - routes.remind_after
    reminded = 0
    while True:
        with db.transaction() as conn:
            due = conn.execute(_DUE_FOR_REMINDER.where(_last_told <= due_before)).all()
            for flag in due:
                taken = conn.execute(
                    update(_flags)
                    .where(_flags.c.id == flag.id, _last_told <= due_before)
                    .values(reminded_at=now)
                )
                if not taken.rowcount:
                    continue  # another process reminded it
                code, group_id = _checkin_of(conn, flag.conversation_id)
                link = flag_link(routes.public_url, flag.id)
                text = reminder_text(link, code, now - flag.created_at)
                emails = _email_recipients(conn, group_id, True)
                _queue(conn, routes, flag.id, text, emails, now)
                reminded += 1
        if len(due) < REMINDER_BATCH:
            return reminded


@dataclass(frozen=True)
class AlertSent:
    """One alert about a flag, as the flag's page shows it."""

    channel: str
    address: str | None
    status: str  # queued, sending, sent, failed
    attempts: int
    sent_at: datetime | None
    last_error: str | None
    reminder: bool = False  # sent again because no one had marked the flag as seen


def alerts_for_flag(db: Database, flag_id: int) -> list[AlertSent]:
    """The alerts sent about one flag, in the order they were queued."""
    with db.reading() as conn:
        rows = conn.execute(
            select(
                _outbox.c.channel,
                _outbox.c.address,
                _outbox.c.status,
                _outbox.c.attempts,
                _outbox.c.sent_at,
                _outbox.c.last_error,
                # The first alerts are queued with the flag, at its time; reminders later.
                (_outbox.c.created_at > _flags.c.created_at).label("reminder"),
            )
            .join(_flags, _flags.c.id == _outbox.c.flag_id)
            .where(_outbox.c.flag_id == flag_id, _outbox.c.purpose == ALERT)
            .order_by(_outbox.c.id)
        ).all()
    return [
        AlertSent(
            row.channel,
            row.address,
            row.status,
            row.attempts,
            row.sent_at,
            row.last_error,
            reminder=bool(row.reminder),
        )
        for row in rows
    ]


REMINDER_LOOK_EVERY = 300.0  # seconds between looks for flags waiting too long, at most


def reminder_job(db: Database, routes: AlertRoutes) -> RepeatingJob | None:
    """Reminders in a thread of their own, looking often enough to be on time; None when
    reminders are off or no alert can go out."""
    after = routes.remind_after
    if not routes.any or after is None:
        return None

    def work() -> None:
        reminded = queue_flag_reminders(db, routes)
        if reminded:
            log.info("reminded about %s flag(s) no one had marked as seen", reminded)

    every = min(REMINDER_LOOK_EVERY, max(1.0, after.total_seconds() / 4))
    return RepeatingJob("flag reminders", work, every)
