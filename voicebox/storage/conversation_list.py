"""Conversations as workers list them: who (a pseudonym), by which channel, when, whether
finished, and how many flags; only conversations whose young person said yes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select

from voicebox.storage.database import Database
from voicebox.storage.models import (
    Answer,
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


KINDS = ("top", "pants", "better", "feeling", "choice", "text")
MAX_WORDS = 100  # the longest search


@dataclass(frozen=True)
class ConversationFilter:
    """What a worker narrows the list to; empty values do not narrow it."""

    words: str = ""  # typed or chosen in any answer (any case)
    topic: str = ""
    kind: str = ""  # one of KINDS
    channel: str = ""
    flagged: bool = False
    started_from: datetime | None = None
    started_before: datetime | None = None

    @property
    def active(self) -> bool:
        """True when any filter narrows the list."""
        return self != ConversationFilter()


def _filtered(query: Select, filters: ConversationFilter) -> Select:
    """The list narrowed by each filter that is set (answers are matched with EXISTS)."""
    answer_terms = []
    if filters.words.strip():
        words = filters.words.strip()[:MAX_WORDS].lower()
        answer_terms.append(func.lower(Answer.answer).contains(words, autoescape=True))
    if filters.topic:
        answer_terms.append(Answer.topic == filters.topic)
    if filters.kind:
        answer_terms.append(Answer.kind == filters.kind)
    if answer_terms:
        query = query.where(
            select(Answer.id)
            .where(Answer.conversation_id == Conversation.id, *answer_terms)
            .exists()
        )
    if filters.channel:
        query = query.where(Conversation.channel == filters.channel)
    if filters.flagged:
        query = query.where(Conversation.flagged.is_(True))
    if filters.started_from is not None:
        query = query.where(Conversation.started_at >= filters.started_from)
    if filters.started_before is not None:
        query = query.where(Conversation.started_at < filters.started_before)
    return query


def list_conversations(
    db: Database,
    code: str,
    group_ids: frozenset[int] | None,
    page: int = 1,
    filters: ConversationFilter | None = None,
) -> tuple[list[ConversationSummary], int]:
    """A page of a check-in's conversations, newest first, and how many there are."""
    filters = filters or ConversationFilter()
    page = max(page, 1)
    # The page's ids and the count come from conversations alone (an index holds the
    # check-in, consent and start time); only the page's 50 rows are joined to people
    # and flags. Joining first cost 100 ms to count, and more to skip to a late page.
    # The check-in's id as a value, not a join, so the database walks the newest-first
    # index (ix_conversations_newest) and stops after a page instead of sorting them all.
    checkin = select(Consultation.id).where(Consultation.code == code.strip().upper())
    theirs = _filtered(
        in_groups(
            select(Conversation.id).where(
                Conversation.consent == "given",
                Conversation.consultation_id == checkin.scalar_subquery(),
            ),
            Conversation.consultation_id,
            group_ids,
        ),
        filters,
    )
    newest_first = (Conversation.started_at.desc(), Conversation.id.desc())
    page_ids = theirs.order_by(*newest_first).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    counted = select(func.count()).select_from(theirs.subquery())
    with db.reading() as conn:
        total = int(conn.scalar(counted) or 0)
        ids = list(conn.scalars(page_ids))
        rows = (
            conn.execute(
                _query(group_ids).where(Conversation.id.in_(ids)).order_by(*newest_first)
            ).all()
            if ids
            else []
        )
    return [ConversationSummary(*row) for row in rows], total


def get_conversation(
    db: Database, conversation_id: int, group_ids: frozenset[int] | None
) -> ConversationSummary | None:
    """The conversation if these groups may read it (and the young person said yes)."""
    with db.reading() as conn:
        row = conn.execute(_query(group_ids).where(Conversation.id == conversation_id)).first()
    return ConversationSummary(*row) if row is not None else None
