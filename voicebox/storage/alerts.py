"""Safeguarding alerts: when a flag is raised, tell people at once, through the outbox.

An alert goes by email to the contacts of the group that runs the check-in, or to every
admin when there is no such contact, and to one webhook if one is set. It says that a flag
needs reading and links to it; it never holds what the young person wrote."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from voicebox.bot.messages import OutboundMessage
from voicebox.storage.database import Database
from voicebox.storage.models import (
    Consultation,
    ConsultationGroup,
    Conversation,
    GroupContact,
    OutboxMessage,
    Worker,
    table,
)
from voicebox.storage.outbox import message_to_json

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


def _email_recipients(conn: Connection, group_id: int | None) -> list[str]:
    """The group's contacts; when it has none, every active admin (someone must be told)."""
    if group_id is not None:
        contacts = conn.scalars(
            select(_contacts.c.email).where(_contacts.c.group_id == group_id).order_by("email")
        ).all()
        if contacts:
            return list(contacts)
    admins = select(_workers.c.email).where(_workers.c.role == "admin", _workers.c.active)
    return list(conn.scalars(admins.order_by(_workers.c.email)).all())


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
    code: str | None = None
    group_id: int | None = None
    if conversation_id is not None:
        found = conn.execute(
            _CHECKIN_OF_CONVERSATION.where(_conversations.c.id == conversation_id)
        ).first()
        if found is not None:
            code, group_id = found.code, found.group_id
    body = message_to_json(
        OutboundMessage(text=alert_text(flag_link(routes.public_url, flag_id), code), purpose=ALERT)
    )
    targets: list[tuple[str, str | None]] = []
    if routes.email:
        targets += [(EMAIL, address) for address in _email_recipients(conn, group_id)]
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


@dataclass(frozen=True)
class AlertSent:
    """One alert about a flag, as the flag's page shows it."""

    channel: str
    address: str | None
    status: str  # queued, sending, sent, failed
    attempts: int
    sent_at: datetime | None
    last_error: str | None


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
            )
            .where(_outbox.c.flag_id == flag_id, _outbox.c.purpose == ALERT)
            .order_by(_outbox.c.id)
        ).all()
    return [AlertSent(*row) for row in rows]
