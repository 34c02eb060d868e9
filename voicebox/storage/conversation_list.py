"""Conversations as workers list them: who (a pseudonym), by which channel, when, whether
finished, and how many flags; only conversations whose young person said yes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select

from voicebox.storage.database import Database
from voicebox.storage.models import (
    Consultation,
    Conversation,
    Participant,
    SafeguardingFlag,
)
from voicebox.storage.visibility import in_groups

PER_PAGE = 50


@dataclass(frozen=True)
class ConversationSummary:
    """One conversation in a list: never an address, only the pseudonym."""

    id: int
    pseudonym: str
    channel: str
    started_at: datetime
    finished: bool
    flags: int
    code: str
    flow_id: str


def _query(group_ids: frozenset[int] | None) -> Select:
    flags = (
        select(func.count(SafeguardingFlag.id))
        .where(SafeguardingFlag.conversation_id == Conversation.id)
        .scalar_subquery()
    )
    query = (
        select(
            Conversation.id,
            Participant.pseudonym,
            Conversation.channel,
            Conversation.started_at,
            Conversation.ended_at.is_not(None),
            flags,
            Consultation.code,
            Consultation.flow_id,
        )
        .join(Participant, Participant.id == Conversation.participant_id)
        .join(Consultation, Consultation.id == Conversation.consultation_id)
        .where(Conversation.consent == "given")
    )
    return in_groups(query, Consultation.id, group_ids)


def list_conversations(
    db: Database, code: str, group_ids: frozenset[int] | None, page: int = 1
) -> tuple[list[ConversationSummary], int]:
    """A page of a check-in's conversations, newest first, and how many there are."""
    query = _query(group_ids).where(Consultation.code == code.strip().upper())
    page = max(page, 1)
    with db.reading() as conn:
        total = int(conn.scalar(select(func.count()).select_from(query.subquery())) or 0)
        rows = conn.execute(
            query.order_by(Conversation.started_at.desc(), Conversation.id.desc())
            .limit(PER_PAGE)
            .offset((page - 1) * PER_PAGE)
        ).all()
    return [ConversationSummary(*row) for row in rows], total


def get_conversation(
    db: Database, conversation_id: int, group_ids: frozenset[int] | None
) -> ConversationSummary | None:
    """The conversation if these groups may read it (and the young person said yes)."""
    with db.reading() as conn:
        row = conn.execute(_query(group_ids).where(Conversation.id == conversation_id)).first()
    return ConversationSummary(*row) if row is not None else None
