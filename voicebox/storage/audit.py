"""The audit log: who signed in or out, read a conversation, saw what masking hides,
downloaded a check-in's answers, or sent a report-back, and when. Admins read it.

An entry names the worker, the action, the check-in and a target (a conversation's id, an
export's format, a report's id): never what a young person or a worker wrote, a phone
number or a chat id. Each entry is written in its own transaction before the thing is
shown or handed over, so nothing is seen unrecorded. Reveals (storage/reveals.py) are
entries here too: one table, one truth."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, insert, literal, select

from voicebox.bot.messages import utcnow
from voicebox.storage.database import Database
from voicebox.storage.models import AuditEntry, Worker, table

SIGNED_IN = "signed_in"
# Only for an email that is a worker's account, and by that account's id: what was typed
# in the email field is never kept (it may be a password typed in the wrong box).
SIGN_IN_FAILED = "sign_in_failed"
SIGNED_OUT = "signed_out"
VIEWED_CONVERSATION = "viewed_conversation"  # target: the conversation's id
REVEALED_CONVERSATION = "revealed_conversation"  # target: the conversation's id
EXPORTED = "exported"  # target: the format (csv, xlsx, json)
EXPORTED_REVEALED = "exported_revealed"  # target: the format; nothing hidden
# For the report-back sending (record_report_back); target: the report's id.
REPORT_BACK_SENT = "report_back_sent"
ACTIONS = (
    SIGNED_IN,
    SIGN_IN_FAILED,
    SIGNED_OUT,
    VIEWED_CONVERSATION,
    REVEALED_CONVERSATION,
    EXPORTED,
    EXPORTED_REVEALED,
    REPORT_BACK_SENT,
)
PER_PAGE = 50


@dataclass(frozen=True)
class AuditRecord:
    """One entry of the audit log as an admin reads it."""

    id: int
    worker_id: int | None  # None when the account is gone
    worker_email: str
    action: str
    consultation_code: str | None
    target: str | None
    created_at: datetime


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to list: all of them when every field is empty."""

    action: str = ""
    worker_id: int | None = None
    since: datetime | None = None  # at or after
    before: datetime | None = None  # strictly before


def record(
    db: Database,
    worker_id: int,
    action: str,
    consultation_code: str | None = None,
    target: str | None = None,
) -> int:
    """Record that this worker did this (one of ACTIONS), in its own transaction; return
    the entry's id. Call it before showing or handing over what the action names."""
    if action not in ACTIONS:
        raise ValueError(f"an audit entry is one of {', '.join(ACTIONS)}, not {action!r}")
    audit = table(AuditEntry)
    email = select(Worker.email).where(Worker.id == worker_id).scalar_subquery()
    statement = (
        insert(audit)
        .values(
            worker_id=worker_id,
            worker_email=email,
            action=action,
            consultation_code=consultation_code.strip().upper() if consultation_code else None,
            target=target,
            created_at=utcnow(),
        )
        .returning(audit.c.id)
    )
    with db.transaction() as conn:
        return int(conn.execute(statement).scalar_one())


def record_failed_sign_in(db: Database, email: str) -> None:
    """Record a failed sign-in to the account with this email, if there is one, by its id.

    The same one statement runs whether or not the account exists (it then adds nothing),
    so the work is much the same either way; the typed words are never stored."""
    audit = table(AuditEntry)
    found = select(
        Worker.id,
        Worker.email,
        literal(SIGN_IN_FAILED),
        literal(utcnow(), type_=AuditEntry.created_at.type),
    ).where(Worker.email == (email or "").strip().lower())
    statement = insert(audit).from_select(
        ["worker_id", "worker_email", "action", "created_at"], found
    )
    with db.transaction() as conn:
        conn.execute(statement)


def record_report_back(db: Database, worker_id: int, code: str, report_id: int) -> int:
    """Record that this worker sent the report-back `report_id` of check-in `code`; call it
    before the messages are queued. Returns the entry's id."""
    return record(db, worker_id, REPORT_BACK_SENT, code, str(report_id))


def _conditions(filters: AuditFilter) -> list[ColumnElement[bool]]:
    conditions = []
    if filters.action:
        conditions.append(AuditEntry.action == filters.action)
    if filters.worker_id is not None:
        conditions.append(AuditEntry.worker_id == filters.worker_id)
    if filters.since is not None:
        conditions.append(AuditEntry.created_at >= filters.since)
    if filters.before is not None:
        conditions.append(AuditEntry.created_at < filters.before)
    return conditions


def list_audit(
    db: Database, filters: AuditFilter | None = None, page: int = 1, per_page: int = PER_PAGE
) -> tuple[list[AuditRecord], int]:
    """One page of entries, newest first, and how many match in all."""
    filters = filters or AuditFilter()
    query = (
        select(AuditEntry)
        .where(*_conditions(filters))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    )
    counted = select(func.count()).select_from(AuditEntry).where(*_conditions(filters))
    with db.read_sessions() as session:
        total = int(session.scalar(counted) or 0)
        rows = [
            AuditRecord(
                e.id,
                e.worker_id,
                e.worker_email,
                e.action,
                e.consultation_code,
                e.target,
                e.created_at,
            )
            for e in session.scalars(query)
        ]
    return rows, total
