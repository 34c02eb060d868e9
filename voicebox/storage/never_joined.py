"""People who wrote but never joined a check-in: kept only long enough to answer them.

Someone who sends "hello" with no code gets a reply through the outbox, so a participant
row (their address, sealed) is made. They never agreed to take part, so after a day the
row goes, with the messages sent to them. Kept: anyone who sent STOP (so STOP holds),
anyone with a conversation or a safeguarding flag, a report-back, or a message still
waiting to go."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, exists, select

from voicebox.bot.messages import utcnow
from voicebox.storage.database import Database
from voicebox.storage.models import (
    Conversation,
    OutboxMessage,
    Participant,
    ReportDelivery,
    SafeguardingFlag,
)

KEEP_FOR = timedelta(days=1)  # long enough for a reply, and for a repeated delivery
BATCH = 500


def _never_joined(cutoff: datetime) -> ColumnElement[bool]:
    """A participant row that nothing needs: see the module's words."""
    pid = Participant.id
    return and_(
        ~Participant.opted_out,
        Participant.created_at < cutoff,
        ~exists().where(Conversation.participant_id == pid),
        ~exists().where(SafeguardingFlag.participant_id == pid),
        ~exists().where(ReportDelivery.participant_id == pid),
        ~exists().where(
            OutboxMessage.participant_id == pid,
            OutboxMessage.status.in_(("queued", "sending")),
        ),
    )


def forget_never_joined(db: Database, now: datetime | None = None) -> int:
    """Delete the rows of people who wrote over a day ago and never joined; how many."""
    cutoff = (now or utcnow()) - KEEP_FOR
    forgotten = 0
    while True:
        with db.reading() as conn:
            ids = list(
                conn.scalars(select(Participant.id).where(_never_joined(cutoff)).limit(BATCH))
            )
        gone = 0
        for participant_id in ids:
            with db.transaction() as conn:
                # Hold their row as a message from them would (PostgreSQL), then look again:
                # a code they sent a moment ago has made a conversation, and the row stays.
                conn.execute(
                    select(Participant.id).where(Participant.id == participant_id).with_for_update()
                )
                deleted = conn.execute(
                    delete(Participant).where(
                        Participant.id == participant_id, _never_joined(cutoff)
                    )
                )
                if deleted.rowcount:
                    # The messages sent to them (their cascade, where the database has none).
                    conn.execute(
                        delete(OutboxMessage).where(OutboxMessage.participant_id == participant_id)
                    )
                    gone += 1
        forgotten += gone
        if len(ids) < BATCH or not gone:
            return forgotten
