"""Whether messages can reach a person: the provider says they blocked us (unreachable)
until they write again. Found by the keyed hash of their address, never the address."""

from __future__ import annotations

from sqlalchemy import bindparam, select, update

from voicebox.bot.messages import OutboundMessage, utcnow
from voicebox.storage import message_ids, outbox
from voicebox.storage.database import Database
from voicebox.storage.dispatcher import UNREACHABLE
from voicebox.storage.models import Conversation, Participant, table
from voicebox.storage.pseudonyms import address_key

_participants = table(Participant)
_conversations = table(Conversation)
_PERSON_BY_KEY = select(_participants.c.id).where(_participants.c.key_hash == bindparam("key"))


def mark_unreachable(database: Database, secret: bytes, channel: str, address: str) -> bool:
    """Send this person nothing more until they write again, and cancel what waits for
    them; False when no such person is kept."""
    key = address_key(secret, channel, address)
    with database.transaction() as conn:
        found = conn.execute(_PERSON_BY_KEY, {"key": key}).scalar()
        if found is None:
            return False
        conn.execute(
            update(_participants)
            .where(_participants.c.id == found)
            .values(unreachable=True, updated_at=utcnow())
        )
        outbox.cancel_queued(conn, found, UNREACHABLE)
    return True


def newest_sent_to(
    database: Database, secret: bytes, channel: str, address: str
) -> tuple[str, OutboundMessage] | None:
    """The newest message sent to this person, with the provider's id, if any (a read)."""
    key = address_key(secret, channel, address)
    with database.reading() as conn:
        found = conn.execute(_PERSON_BY_KEY, {"key": key}).scalar()
        return None if found is None else outbox.newest_sent_message(conn, found, channel)


def tell_if_waiting(
    database: Database,
    secret: bytes,
    channel: str,
    address: str,
    message_id: str,
    message: OutboundMessage,
) -> bool:
    """Queue one short line to a person part-way through a check-in (not stopped, not
    blocked) about something they sent that is not read (an edited message). The message
    id is kept, so a second delivery says nothing; True when the line was queued."""
    key = address_key(secret, channel, address)
    now = utcnow()
    with database.transaction() as conn:
        statement = message_ids.insert_statement(database.dialect)
        if message_ids.record(conn, statement, channel, message_id, now) is None:
            return False
        waiting = conn.execute(
            select(_participants.c.id)
            .join(_conversations, _conversations.c.participant_id == _participants.c.id)
            .where(
                _participants.c.key_hash == key,
                ~_participants.c.opted_out,
                ~_participants.c.unreachable,
                _conversations.c.ended_at.is_(None),
            )
            .limit(1)
        ).scalar()
        if waiting is None:
            return False
        outbox.enqueue(conn, waiting, channel, [message], now)
    return True
