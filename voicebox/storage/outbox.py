"""The outbox: messages kept until they are delivered. Enqueue, take (for channels that
deliver when the person next looks), cancel, and record what a provider reports later.
The Dispatcher (dispatcher.py) sends the rest through each channel's sender."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, insert, or_, select, update

from voicebox.bot.messages import ChoiceOption, OutboundMessage, utcnow
from voicebox.storage.database import Database
from voicebox.storage.models import OutboxMessage, Participant, table
from voicebox.storage.pseudonyms import address_key

_outbox = table(OutboxMessage)
_participants = table(Participant)
_INSERT = insert(_outbox)
MAX_SHOWN = 20  # a page shows at most this many of the latest delivered messages

# What a provider may report after sending; a status only moves up this ladder, and the
# last rung is final (delivered, undelivered, failed and canceled are all last).
DELIVERY_RANK = {
    "queued": 0,
    "sending": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "canceled": 3,
}


def message_to_json(message: OutboundMessage) -> dict[str, Any]:
    """An outbound message as plain JSON data."""
    return {
        "text": message.text,
        "step_id": message.step_id,
        "expects": message.expects,
        "purpose": message.purpose,
        "choices": [
            {
                "number": c.number,
                "key": c.key,
                "words": c.words,
                "emoji": c.emoji,
                "picture": c.picture,
                "payload": c.payload,
            }
            for c in message.choices
        ],
    }


def message_from_json(data: Mapping[str, Any]) -> OutboundMessage:
    """An outbound message from its JSON data."""
    return OutboundMessage(
        text=str(data.get("text", "")),
        choices=tuple(ChoiceOption(**choice) for choice in data.get("choices", [])),
        step_id=data.get("step_id"),
        expects=data.get("expects"),
        purpose=str(data.get("purpose", "flow")),
    )


def enqueue(
    conn: Connection,
    participant_id: int,
    channel: str,
    messages: Iterable[OutboundMessage],
    now: datetime | None = None,
    purpose: str = "reply",
) -> None:
    """Queue messages for a channel, inside the caller's transaction."""
    now = now or utcnow()
    rows = [
        {
            "channel": channel,
            "participant_id": participant_id,
            "body": message_to_json(m),
            "purpose": purpose,
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for m in messages
    ]
    if rows:
        conn.execute(_INSERT, rows)


def enqueue_to(
    conn: Connection, channel: str, address: str, message: OutboundMessage, now: datetime
) -> None:
    """Queue one message to an address that is no participant (a group chat's notice)."""
    conn.execute(
        _INSERT,
        {
            "channel": channel,
            "participant_id": None,
            "address": address,
            "body": message_to_json(message),
            "purpose": "notice",
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        },
    )


STOPPED = "the person sent STOP"


def cancel_queued(conn: Connection, participant_id: int, reason: str) -> int:
    """Cancel everything still queued for a person, on every channel; return how many."""
    result = conn.execute(
        update(_outbox)
        .where(_outbox.c.participant_id == participant_id, _outbox.c.status == "queued")
        .values(status="cancelled", last_error=reason[:500])
    )
    return result.rowcount or 0


def cancel(database: Database, participant_id: int, reason: str) -> int:
    """Cancel everything still queued for a person, in a transaction of its own."""
    with database.transaction() as conn:
        return cancel_queued(conn, participant_id, reason)


_NEWEST_SENT = (
    select(_outbox.c.provider_id)
    .where(
        _outbox.c.participant_id == bindparam("participant_id"),
        _outbox.c.channel == bindparam("channel"),
        _outbox.c.provider_id.is_not(None),
    )
    .order_by(_outbox.c.id.desc())
    .limit(1)
)

# The same, with what it said (the body is read only where it is needed: not on a press).
_NEWEST_SENT_MESSAGE = _NEWEST_SENT.add_columns(_outbox.c.body)


def newest_sent(conn: Connection, participant_id: int, channel: str) -> str | None:
    """The provider's id of the newest message sent to a person on a channel, if any."""
    found = conn.execute(_NEWEST_SENT, {"participant_id": participant_id, "channel": channel})
    return found.scalar()


def newest_sent_message(
    conn: Connection, participant_id: int, channel: str
) -> tuple[str, OutboundMessage] | None:
    """The newest message sent to a person on a channel, with the provider's id for it."""
    found = conn.execute(
        _NEWEST_SENT_MESSAGE, {"participant_id": participant_id, "channel": channel}
    ).first()
    return None if found is None else (found.provider_id, message_from_json(found.body))


def older_than(provider_id: str, newest: str | None) -> bool:
    """True when a message is older than the newest one sent to the person. Ids that are
    numbers (Telegram's count up in each chat) compare as numbers, so a message whose send
    is not written down yet is not taken for an old one."""
    if newest is None or provider_id == newest:
        return False
    if provider_id.isdecimal() and newest.isdecimal():
        return int(provider_id) < int(newest)
    return True


@dataclass(frozen=True)
class Delivered:
    """A message from the outbox, handed to the person by showing it."""

    id: int
    message: OutboundMessage
    created_at: datetime
    new: bool  # True when this visit delivered it


def _theirs(participant_id: int, channel: str, status: str) -> Any:
    return and_(
        _outbox.c.participant_id == participant_id,
        _outbox.c.channel == channel,
        _outbox.c.status == status,
    )


def _shown(participant_id: int, channel: str, status: str) -> Any:
    return select(_outbox.c.id, _outbox.c.body, _outbox.c.created_at).where(
        _theirs(participant_id, channel, status)
    )


def waiting(conn: Connection, participant_id: int, channel: str) -> bool:
    """True when messages wait for this person on a channel that delivers by showing."""
    row = conn.execute(
        select(_outbox.c.id).where(_theirs(participant_id, channel, "queued")).limit(1)
    ).first()
    return row is not None


def take(database: Database, participant_id: int, channel: str) -> list[Delivered]:
    """Mark a person's queued messages on a showing channel sent; return them, oldest first.

    Two pages loading at once deliver each message once (the rows are locked)."""
    now = utcnow()
    with database.transaction() as conn:
        rows = conn.execute(
            _shown(participant_id, channel, "queued")
            .order_by(_outbox.c.id)
            .with_for_update(skip_locked=True)
        ).all()
        if rows:
            conn.execute(
                update(_outbox)
                .where(_outbox.c.id.in_([r.id for r in rows]), _outbox.c.status == "queued")
                .values(status="sent", sent_at=now, attempts=_outbox.c.attempts + 1)
            )
    return [Delivered(r.id, message_from_json(r.body), r.created_at, True) for r in rows]


# Built once: a statement built per page costs more than running it.
_WAITING_FOR_KEY = (
    select(_outbox.c.participant_id)
    .join(_participants, _participants.c.id == _outbox.c.participant_id)
    .where(
        _participants.c.key_hash == bindparam("key"),
        _outbox.c.channel == bindparam("channel"),
        _outbox.c.status == "queued",
    )
    .limit(1)
)


def take_waiting(database: Database, secret: bytes, channel: str, address: str) -> list[Delivered]:
    """Deliver what waits for a person on a showing channel: a read, and a write only if any."""
    key = address_key(secret, channel, address)
    with database.reading() as conn:
        row = conn.execute(_WAITING_FOR_KEY, {"key": key, "channel": channel}).first()
    return take(database, row.participant_id, channel) if row is not None else []


def delivered(
    conn: Connection, participant_id: int, channel: str, limit: int = MAX_SHOWN
) -> list[Delivered]:
    """Messages already shown to this person on a showing channel, oldest first."""
    rows = conn.execute(
        _shown(participant_id, channel, "sent").order_by(_outbox.c.id.desc()).limit(limit)
    ).all()
    return [Delivered(r.id, message_from_json(r.body), r.created_at, False) for r in reversed(rows)]


@dataclass(frozen=True)
class DeliveryReport:
    """What a provider says later about one message it took from us."""

    provider_id: str
    status: str  # one of DELIVERY_RANK
    error: str | None = None  # the provider's error code
    opted_out: bool = False  # the provider says the person unsubscribed


def record_delivery(database: Database, channel: str, report: DeliveryReport) -> bool:
    """Keep a delivery status on the outbox row it is about, never moving it backwards."""
    rank = DELIVERY_RANK[report.status]
    lower = [name for name, rung in DELIVERY_RANK.items() if rung < rank]
    values: dict[str, Any] = {"delivery_status": report.status}
    if report.error:
        values["delivery_error"] = report.error[:16]
    about = and_(_outbox.c.channel == channel, _outbox.c.provider_id == report.provider_id)
    with database.transaction() as conn:
        changed = conn.execute(
            update(_outbox)
            .where(
                about,
                or_(_outbox.c.delivery_status.is_(None), _outbox.c.delivery_status.in_(lower)),
            )
            .values(**values)
        ).rowcount
        if report.opted_out:
            conn.execute(
                update(_participants)
                .where(_participants.c.id.in_(select(_outbox.c.participant_id).where(about)))
                .values(opted_out=True, updated_at=utcnow())
            )
    return bool(changed)
