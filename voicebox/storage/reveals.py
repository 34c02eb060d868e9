"""Reveals: each time an admin sees what masking hides (phone numbers, emails, postcodes,
long numbers in what young people typed), who it was, what, and when.

`record_reveal` is the one way to write one, for an export or for one conversation; call it
before showing anything unmasked, in its own transaction, so a reveal is never shown
unrecorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from voicebox.storage.database import Database
from voicebox.storage.models import Reveal, Worker, table

KINDS = ("export", "conversation")


@dataclass(frozen=True)
class RevealRecord:
    """One reveal as recorded."""

    id: int
    worker_id: int
    consultation_code: str
    conversation_id: int | None
    kind: str
    created_at: datetime
    worker_email: str = ""  # "" when the worker's account is gone


def record_reveal(
    db: Database,
    worker_id: int,
    kind: str,
    consultation_code: str,
    conversation_id: int | None = None,
) -> int:
    """Record that this worker saw unmasked text: a check-in's export, or one conversation
    (kind "conversation" with its id); return the record's id."""
    if kind not in KINDS:
        raise ValueError(f"a reveal is one of {', '.join(KINDS)}, not {kind!r}")
    if (kind == "conversation") != (conversation_id is not None):
        raise ValueError("a conversation's reveal names the conversation, and only it does")
    values = {
        "worker_id": worker_id,
        "consultation_code": consultation_code.strip().upper(),
        "conversation_id": conversation_id,
        "kind": kind,
    }
    with db.transaction() as conn:
        statement = insert(table(Reveal)).values(**values).returning(table(Reveal).c.id)
        return int(conn.execute(statement).scalar_one())


def list_reveals(
    db: Database, consultation_code: str | None = None, conversation_id: int | None = None
) -> list[RevealRecord]:
    """Reveals, newest first; only one check-in's (or one conversation's) when given."""
    query = (
        select(Reveal, Worker.email)
        .outerjoin(Worker, Worker.id == Reveal.worker_id)
        .order_by(Reveal.id.desc())
    )
    if consultation_code is not None:
        query = query.where(Reveal.consultation_code == consultation_code.strip().upper())
    if conversation_id is not None:
        query = query.where(Reveal.conversation_id == conversation_id)
    with db.read_sessions() as session:
        return [
            RevealRecord(
                r.id,
                r.worker_id,
                r.consultation_code,
                r.conversation_id,
                r.kind,
                r.created_at,
                email or "",
            )
            for r, email in session.execute(query)
        ]
