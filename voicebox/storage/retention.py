"""Retention: what people typed in a check-in is deleted a set number of days after it
closes (`consultations.retain_days`; empty keeps it). Choice answers stay, so counts do
not change. A conversation with an open safeguarding flag (new or seen) is never touched.

`run_retention` does it once (`voicebox retention run`, for cron); `retention_job` runs it in
`voicebox serve` at start and then every hour. Each conversation is done once
(`conversations.text_deleted_at`). The job and the command also forget people who wrote but
never joined a check-in (storage/never_joined.py)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Exists, and_, delete, exists, func, select

from voicebox.bot.messages import utcnow
from voicebox.flows import Flow
from voicebox.storage.database import Database
from voicebox.storage.flags import OPEN
from voicebox.storage.jobs import RepeatingJob
from voicebox.storage.models import (
    Consultation,
    ConsultationGroup,
    Conversation,
    OutboxMessage,
    SafeguardingFlag,
)
from voicebox.storage.never_joined import forget_never_joined
from voicebox.storage.reports import WEB_VISITOR_KEPT, give_up_on_web
from voicebox.storage.schedule import CLOSED
from voicebox.storage.typed_text import delete_typed_text

log = logging.getLogger(__name__)

MAX_DAYS = 3650  # ten years: longer is the same as keeping
EVERY = 3600.0  # seconds between runs inside `voicebox serve`
BATCH = 500  # conversations done in one transaction

_WAITING = ("queued", "sending")
# A turn's replies are queued a moment after its conversation's time is set.
SLACK = timedelta(minutes=1)


class RetentionError(ValueError):
    """A retention period that cannot be kept; the message is one line for the worker."""


@dataclass(frozen=True)
class RetentionCounts:
    """What one run deleted, and what it left for safeguarding."""

    checkins: int = 0  # check-ins past their time
    conversations: int = 0  # conversations whose typed words went
    answers: int = 0  # typed answers
    messages: int = 0  # transcript messages
    sent: int = 0  # messages sent to them (the outbox's copies)
    kept_for_flags: int = 0  # conversations left alone: a flag is open

    def summary(self) -> str:
        """One line of counts, as the command prints it."""
        return (
            f"Deleted {_n(self.answers, 'typed answer')} and "
            f"{_n(self.messages, 'transcript message')} from "
            f"{_n(self.conversations, 'conversation')} in {_n(self.checkins, 'check-in')}, "
            f"and {_n(self.sent, 'sent message')}. Kept "
            f"{_n(self.kept_for_flags, 'conversation')} with an open safeguarding flag."
        )


def _n(count: int, noun: str) -> str:
    """A count and its noun: 1 check-in, 2 check-ins."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def set_retention(
    db: Database, code: str, group_ids: frozenset[int] | None, days: int | None
) -> bool:
    """Keep what people typed in this check-in `days` days after it closes (None: keep it);
    False when these groups may not change it."""
    if days is not None and not 0 <= days <= MAX_DAYS:
        raise RetentionError(f"Choose a number of days from 0 to {MAX_DAYS}")
    query = select(Consultation).where(Consultation.code == (code or "").strip().upper())
    if group_ids is not None:
        query = query.join(
            ConsultationGroup, ConsultationGroup.consultation_id == Consultation.id
        ).where(ConsultationGroup.group_id.in_(sorted(group_ids)))
    with db.sessions.begin() as session:
        row = session.scalar(query.with_for_update(of=Consultation))
        if row is None:
            return False
        row.retain_days = days
        return True


def closed_at(status: str, closed: datetime | None, ends: datetime | None) -> datetime | None:
    """When a check-in closed (by hand, or at its end date, whichever came first), or None
    while it is open."""
    moments = [moment for moment in (ends,) if moment is not None and moment <= utcnow()]
    if status == CLOSED and closed is not None:
        moments.append(closed)
    return min(moments) if moments else None


def due_checkins(db: Database, now: datetime | None = None) -> list[int]:
    """The ids of check-ins closed longer ago than their retention period."""
    now = now or utcnow()
    query = select(
        Consultation.id,
        Consultation.status,
        Consultation.closed_at,
        Consultation.ends_at,
        Consultation.retain_days,
    ).where(Consultation.retain_days.is_not(None))
    with db.reading() as conn:
        rows = conn.execute(query).all()
    due = []
    for row in rows:
        closed = closed_at(row.status, row.closed_at, row.ends_at)
        if closed is not None and closed + timedelta(days=row.retain_days) <= now:
            due.append(row.id)
    return due


def _open_flag(conversation_id: Any) -> Exists:
    """Whether this conversation has an open safeguarding flag."""
    return exists().where(
        SafeguardingFlag.conversation_id == conversation_id, SafeguardingFlag.status.in_(OPEN)
    )


def run_retention(
    db: Database, flows: Mapping[str, Flow], now: datetime | None = None
) -> RetentionCounts:
    """Delete the typed words of every check-in past its retention period, now (the flows
    by id say which topics are theirs, not typed)."""
    now = now or utcnow()
    due = due_checkins(db, now)
    if not due:
        return RetentionCounts()
    todo = (
        select(
            Conversation.id,
            Conversation.participant_id,
            Conversation.started_at,
            Conversation.updated_at,
        )
        .where(
            Conversation.consultation_id.in_(due),
            Conversation.text_deleted_at.is_(None),
            ~_open_flag(Conversation.id),
        )
        .order_by(Conversation.id)
        .limit(BATCH)
    )
    conversations = answers = messages = sent = 0
    while True:
        with db.transaction() as conn:
            rows = conn.execute(todo).all()
            if not rows:
                break
            for row in rows:
                # What was sent to them while this conversation ran: its words may hold
                # theirs ("Your answer was: ...").
                sent += (
                    conn.execute(
                        delete(OutboxMessage).where(
                            OutboxMessage.participant_id == row.participant_id,
                            OutboxMessage.status.not_in(_WAITING),
                            and_(
                                OutboxMessage.created_at >= row.started_at - SLACK,
                                OutboxMessage.created_at <= row.updated_at + SLACK,
                            ),
                        )
                    ).rowcount
                    or 0
                )
            deleted = delete_typed_text(conn, [row.id for row in rows], now, flows)
        conversations += len(rows)
        answers += deleted.answers
        messages += deleted.messages
    with db.reading() as conn:
        kept = conn.scalar(
            select(func.count()).where(
                Conversation.consultation_id.in_(due),
                Conversation.text_deleted_at.is_(None),
                _open_flag(Conversation.id),
            )
        )
    return RetentionCounts(len(due), conversations, answers, messages, sent, kept or 0)


@dataclass(frozen=True)
class Tidied:
    """What one retention run did: typed words deleted, people who never joined
    forgotten, and web report-backs no one came back for marked not shown."""

    counts: RetentionCounts
    forgotten: int
    not_back: int

    def lines(self, quiet: bool) -> list[str]:
        """One line each, as the command prints them; quiet (for the log): only what
        changed something."""
        lines = []
        if not quiet or self.counts.conversations or self.counts.sent:
            lines.append(self.counts.summary())
        if not quiet or self.forgotten:
            people = "1 person" if self.forgotten == 1 else f"{self.forgotten} people"
            lines.append(f"Forgot {people} who wrote over a day ago but never joined a check-in.")
        if self.not_back:
            lines.append(
                f"Marked {_n(self.not_back, 'report-back message')} as not shown: "
                f"the web chat visitor did not come back within {WEB_VISITOR_KEPT.days} days."
            )
        return lines


def tidy(db: Database, flows: Mapping[str, Flow]) -> Tidied:
    """Everything retention does, now: `voicebox retention run` and the hourly job."""
    return Tidied(run_retention(db, flows), forget_never_joined(db), give_up_on_web(db))


def retention_job(db: Database, flows: Mapping[str, Flow], every: float = EVERY) -> RepeatingJob:
    """Retention in a thread of its own: at start, then every `every` seconds."""

    def work() -> None:
        for line in tidy(db, flows).lines(quiet=True):
            log.info("retention: %s", line)

    return RepeatingJob("retention", work, every)
