"""Notices said at most once in a while to an address that is not a person in a check-in
(a group chat told to talk privately). Only a keyed hash of the address is kept."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from voicebox.bot.messages import OutboundMessage, utcnow
from voicebox.storage import outbox
from voicebox.storage.database import Database, insert_ignoring
from voicebox.storage.models import Notice, table
from voicebox.storage.pseudonyms import address_key

_notices = table(Notice)
DAY = timedelta(days=1)


def say_once(
    database: Database,
    secret: bytes,
    channel: str,
    address: str,
    message: OutboundMessage,
    every: timedelta = DAY,
) -> bool:
    """Queue the message to the address unless a notice went there within `every`;
    True when it was queued. Two processes at once queue it once."""
    key = address_key(secret, f"notice:{channel}", address)
    now = utcnow()
    with database.transaction() as conn:
        # RETURNING says whether the row was made (rowcount does not, on every database).
        made = (
            conn.execute(
                insert_ignoring(_notices, database.dialect)
                .values(key_hash=key, said_at=now)
                .returning(_notices.c.key_hash)
            ).first()
            is not None
        )
        if not made:
            made = bool(
                conn.execute(
                    update(_notices)
                    .where(_notices.c.key_hash == key, _notices.c.said_at < now - every)
                    .values(said_at=now)
                ).rowcount
            )
        if made:
            outbox.enqueue_to(conn, channel, address, message, now)
    return made
