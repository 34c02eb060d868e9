"""The web chat's side of the outbox: the page is the sender for channel "web".

Messages queued for a web participant (a "You said, we did" message) are delivered by
showing them on the page. Taking them marks them sent, once, even when two pages load at
the same moment; after that they stay readable on the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select, update

from voicebox.bot.messages import OutboundMessage
from voicebox.storage.database import Database
from voicebox.storage.models import OutboxMessage, utcnow
from voicebox.storage.serial import message_from_json

_outbox = OutboxMessage.__table__

WEB = "web"
MAX_NOTES = 20  # the page shows at most this many of the latest messages


@dataclass(frozen=True)
class Note:
    """A message from the outbox meant for this person."""

    id: int
    message: OutboundMessage
    created_at: datetime
    new: bool  # True when this page load delivered it


def _mine(participant_id: int, status: str) -> Any:
    """This person's web messages with this status."""
    return and_(
        _outbox.c.participant_id == participant_id,
        _outbox.c.channel == WEB,
        _outbox.c.status == status,
    )


def _notes(participant_id: int, status: str) -> Any:
    return select(_outbox.c.id, _outbox.c.body, _outbox.c.created_at).where(
        _mine(participant_id, status)
    )


class WebOutbox:
    """Delivers queued web messages by handing them to the page."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def take(self, participant_id: int) -> list[Note]:
        """Mark this person's queued web messages sent and return them, oldest first."""
        now = utcnow()
        with self.database.transaction() as conn:
            rows = conn.execute(
                _notes(participant_id, "queued")
                .order_by(_outbox.c.id)
                .with_for_update(skip_locked=True)
            ).all()
            if rows:
                conn.execute(
                    update(_outbox)
                    .where(_outbox.c.id.in_([r.id for r in rows]), _outbox.c.status == "queued")
                    .values(status="sent", sent_at=now, attempts=_outbox.c.attempts + 1)
                )
        return [Note(r.id, message_from_json(r.body), r.created_at, True) for r in rows]

    def cancel(self, participant_id: int) -> int:
        """Cancel queued web messages for someone who said STOP; return how many."""
        with self.database.transaction() as conn:
            result = conn.execute(
                update(_outbox)
                .where(_mine(participant_id, "queued"))
                .values(status="cancelled", last_error="the person sent STOP")
            )
        return result.rowcount or 0

    def delivered(self, participant_id: int, limit: int = MAX_NOTES) -> list[Note]:
        """Web messages already shown to this person, oldest first."""
        with self.database.reading() as conn:
            rows = conn.execute(
                _notes(participant_id, "sent").order_by(_outbox.c.id.desc()).limit(limit)
            ).all()
        return [Note(r.id, message_from_json(r.body), r.created_at, False) for r in reversed(rows)]
