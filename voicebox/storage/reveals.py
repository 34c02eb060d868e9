"""Reveals: each time an admin sees what masking hides (phone numbers, emails, postcodes,
long numbers in what young people typed), who it was, what, and when.

`record_reveal` is the one way to write one, for an export or for one conversation; call it
before showing anything unmasked, in its own transaction, so a reveal is never shown
unrecorded. A reveal is an entry of the audit log (storage/audit.py): one table, one truth."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from voicebox.storage.audit import EXPORTED_REVEALED, REVEALED_CONVERSATION, record
from voicebox.storage.database import Database
from voicebox.storage.models import AuditEntry

KINDS = ("export", "conversation")
_ACTIONS = {"export": EXPORTED_REVEALED, "conversation": REVEALED_CONVERSATION}
FORMATS = ("csv", "xlsx", "json")


@dataclass(frozen=True)
class RevealRecord:
    """One reveal as recorded."""

    id: int
    worker_id: int | None  # None when the worker's account is gone
    consultation_code: str
    conversation_id: int | None
    kind: str
    created_at: datetime
    worker_email: str = ""


def record_reveal(
    db: Database,
    worker_id: int,
    kind: str,
    consultation_code: str,
    conversation_id: int | None = None,
    fmt: str | None = None,
) -> int:
    """Record that this worker saw unmasked text: a check-in's export (in the format `fmt`),
    or one conversation (kind "conversation" with its id); return the record's id."""
    if kind not in KINDS:
        raise ValueError(f"a reveal is one of {', '.join(KINDS)}, not {kind!r}")
    if (kind == "conversation") != (conversation_id is not None):
        raise ValueError("a conversation's reveal names the conversation, and only it does")
    if fmt is not None and (kind != "export" or fmt not in FORMATS):
        raise ValueError(f"an export's format is one of {', '.join(FORMATS)}, not {fmt!r}")
    target = str(conversation_id) if conversation_id is not None else fmt
    return record(db, worker_id, _ACTIONS[kind], consultation_code, target)


def list_reveals(
    db: Database, consultation_code: str | None = None, conversation_id: int | None = None
) -> list[RevealRecord]:
    """Reveals, newest first; only one check-in's (or one conversation's) when given."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.action.in_(_ACTIONS.values()))
        .order_by(AuditEntry.id.desc())
    )
    if consultation_code is not None:
        query = query.where(AuditEntry.consultation_code == consultation_code.strip().upper())
    if conversation_id is not None:
        query = query.where(
            AuditEntry.action == REVEALED_CONVERSATION,
            AuditEntry.target == str(conversation_id),
        )
    with db.read_sessions() as session:
        return [
            RevealRecord(
                e.id,
                e.worker_id,
                e.consultation_code or "",
                int(e.target) if e.action == REVEALED_CONVERSATION and e.target else None,
                "conversation" if e.action == REVEALED_CONVERSATION else "export",
                e.created_at,
                e.worker_email,
            )
            for e in session.scalars(query)
        ]
