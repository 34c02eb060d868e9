"""Safeguarding flags as workers see them: the queue, one flag, and its reviews."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, case, func, select

from voicebox.bot.messages import utcnow
from voicebox.storage.database import Database
from voicebox.storage.models import (
    Consultation,
    Conversation,
    FlagReview,
    Participant,
    SafeguardingFlag,
    Worker,
)
from voicebox.storage.visibility import in_groups

STATUSES = ("new", "seen", "acted")
OPEN = ("new", "seen")  # a flag is open until someone says what was done
MAX_NOTE = 2000
ACTED_SHOWN = 50  # acted flags listed under the open ones, newest first


class FlagError(ValueError):
    """A review that cannot be saved; the message is one line for the worker."""


@dataclass(frozen=True)
class FlagInfo:
    """A flag as the queue shows it: never a phone number, only the pseudonym."""

    id: int
    status: str
    category: str
    phrase: str
    step: str | None
    created_at: datetime
    channel: str
    pseudonym: str
    code: str | None  # None when the conversation was not kept
    title: str | None
    consent: str | None  # "given" when the conversation can be read


@dataclass(frozen=True)
class Review:
    """One change of status."""

    status: str
    worker: str  # the worker's email, or "a worker no longer here"
    note: str
    created_at: datetime


def _visible(query: Select, group_ids: frozenset[int] | None) -> Select:
    """Only flags of these groups' check-ins (None: every flag, for an admin)."""
    return in_groups(query, Conversation.consultation_id, group_ids)


def _flags_query() -> Select:
    return (
        select(
            SafeguardingFlag.id,
            SafeguardingFlag.status,
            SafeguardingFlag.category,
            SafeguardingFlag.phrase,
            SafeguardingFlag.step,
            SafeguardingFlag.created_at,
            Participant.channel,
            Participant.pseudonym,
            Consultation.code,
            Consultation.title,
            Conversation.consent,
        )
        .join(Participant, Participant.id == SafeguardingFlag.participant_id)
        .outerjoin(Conversation, Conversation.id == SafeguardingFlag.conversation_id)
        .outerjoin(Consultation, Consultation.id == Conversation.consultation_id)
    )


def count_new_flags(db: Database, group_ids: frozenset[int] | None = None) -> int:
    """How many flags no one has read yet: all of them, or those of these groups'
    check-ins (a flag with no check-in, or one not in a group, goes to admins only)."""
    query = (
        select(func.count(SafeguardingFlag.id))
        .outerjoin(Conversation, Conversation.id == SafeguardingFlag.conversation_id)
        .where(SafeguardingFlag.status == "new")
    )
    with db.reading() as conn:
        return int(conn.scalar(_visible(query, group_ids)) or 0)


def flag_queue(
    db: Database, group_ids: frozenset[int] | None = None
) -> tuple[list[FlagInfo], list[FlagInfo]]:
    """Every open flag (new first, oldest first: none is ever left out), and the latest
    acted ones."""
    order_open = case((SafeguardingFlag.status == "new", 0), else_=1)
    open_query = (
        _visible(_flags_query(), group_ids)
        .where(SafeguardingFlag.status.in_(OPEN))
        .order_by(order_open, SafeguardingFlag.created_at, SafeguardingFlag.id)
    )
    acted_query = (
        _visible(_flags_query(), group_ids)
        .where(SafeguardingFlag.status == "acted")
        .order_by(SafeguardingFlag.created_at.desc(), SafeguardingFlag.id.desc())
        .limit(ACTED_SHOWN)
    )
    with db.reading() as conn:
        return (
            [FlagInfo(*row) for row in conn.execute(open_query)],
            [FlagInfo(*row) for row in conn.execute(acted_query)],
        )


def get_flag(db: Database, flag_id: int, group_ids: frozenset[int] | None) -> FlagInfo | None:
    """The flag with this id if this worker may see it, else None (shown as not found)."""
    query = _visible(_flags_query(), group_ids).where(SafeguardingFlag.id == flag_id)
    with db.reading() as conn:
        row = conn.execute(query).first()
    return FlagInfo(*row) if row is not None else None


def flag_reviews(db: Database, flag_id: int) -> list[Review]:
    """Every change of the flag's status, oldest first."""
    query = (
        select(FlagReview.status, Worker.email, FlagReview.note, FlagReview.created_at)
        .outerjoin(Worker, Worker.id == FlagReview.worker_id)
        .where(FlagReview.flag_id == flag_id)
        .order_by(FlagReview.created_at, FlagReview.id)
    )
    with db.reading() as conn:
        return [
            Review(status, email or "a worker no longer here", note, at)
            for status, email, note, at in conn.execute(query)
        ]


def review_flag(
    db: Database,
    flag_id: int,
    group_ids: frozenset[int] | None,
    worker_id: int,
    status: str,
    note: str,
) -> str:
    """Record a review of a flag, with who, when and the note; return the flag's status.

    The status only moves forward (new, seen, acted): two workers saving at once both have
    their review kept, and "seen" said after "acted" leaves it acted. FlagError when the
    review is not complete."""
    note = (note or "").strip()
    if status not in STATUSES[1:]:
        raise FlagError("Choose what has happened: seen or acted on")
    if status == "acted" and not note:
        raise FlagError("Say what was done and who was told")
    if len(note) > MAX_NOTE:
        raise FlagError(f"The note can be at most {MAX_NOTE} characters")
    if get_flag(db, flag_id, group_ids) is None:
        raise LookupError(flag_id)
    now = utcnow()
    with db.sessions.begin() as session:
        # Locked, so a second worker saving now waits and then sees the first one's status.
        flag = session.get_one(SafeguardingFlag, flag_id, with_for_update=True)
        if STATUSES.index(status) >= STATUSES.index(flag.status):
            flag.status = status
        flag.reviewed_at, flag.reviewed_by = now, worker_id
        session.add(
            FlagReview(
                flag_id=flag_id, worker_id=worker_id, status=status, note=note, created_at=now
            )
        )
        return flag.status
