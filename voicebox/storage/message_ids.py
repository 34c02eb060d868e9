"""Provider message ids: a second delivery changes nothing, and for a day it is answered
with the replies the first delivery got (Twilio delivers again when our answer was lost).

The row is written first in the message's transaction, so a repeat that comes while the
first is still being handled waits on the unique index (PostgreSQL) or the writer lock
(SQLite) until the first commits, then reads the reply it kept."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, null, select, update

from voicebox.bot.messages import OutboundMessage
from voicebox.storage.database import insert_ignoring
from voicebox.storage.models import InboundMessageId, table
from voicebox.storage.outbox import message_from_json, message_to_json

KEEP_REPLIES = timedelta(hours=24)  # how long a reply is kept for a repeated delivery
PRUNE_EVERY = 600.0  # seconds between clearings of day-old replies, per process

_ids = table(InboundMessageId)
_EARLIER = select(_ids.c.sender_key, _ids.c.reply, _ids.c.received_at).where(
    _ids.c.channel == bindparam("channel"), _ids.c.message_id == bindparam("message_id")
)
_KEEP = update(_ids).where(_ids.c.id == bindparam("row_id"))
_CLEAR = (
    update(_ids)
    .where(_ids.c.reply.is_not(None), _ids.c.received_at < bindparam("before"))
    .values(reply=null(), sender_key=null())
)


def insert_statement(dialect: str) -> Any:
    """INSERT of a message id that does nothing for one already kept; RETURNING tells which
    (rowcount does not, on every database)."""
    return insert_ignoring(_ids, dialect).returning(_ids.c.id)


def record(
    conn: Connection, statement: Any, channel: str, message_id: str, at: datetime
) -> int | None:
    """Keep a message id: the new row's id, or None when it came before (a duplicate)."""
    values = {"channel": channel, "message_id": message_id[:128], "received_at": at}
    return conn.execute(statement, values).scalar_one_or_none()


def keep_replies(
    conn: Connection, row_id: int, sender_key: str, replies: Sequence[OutboundMessage]
) -> None:
    """Keep what this message was answered, with a keyed hash of who sent it."""
    reply = {"replies": [message_to_json(message) for message in replies]}
    conn.execute(_KEEP, {"row_id": row_id, "sender_key": sender_key, "reply": reply})


def earlier_replies(
    conn: Connection, channel: str, message_id: str, sender_key: str, now: datetime
) -> tuple[OutboundMessage, ...]:
    """What the first delivery of this message id was answered, when it came from the same
    sender less than a day ago; nothing otherwise (another sender never hears it)."""
    values = {"channel": channel, "message_id": message_id[:128]}
    row = conn.execute(_EARLIER, values).first()
    if row is None or row.reply is None or row.sender_key != sender_key:
        return ()
    if row.received_at < now - KEEP_REPLIES:
        return ()
    replies = row.reply.get("replies") if isinstance(row.reply, dict) else None
    if not isinstance(replies, list):
        return ()
    return tuple(message_from_json(item) for item in replies if isinstance(item, dict))


def clear_old_replies(conn: Connection, now: datetime) -> int:
    """Forget replies kept longer than a day (the ids stay, for duplicates): how many."""
    return conn.execute(_CLEAR, {"before": now - KEEP_REPLIES}).rowcount or 0
