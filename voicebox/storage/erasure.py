"""Erasing one person on request: found by pseudonym, or by the phone number or Telegram
chat they give (hashed as on arrival, never kept or shown).

What goes: every transcript message, every typed answer, the address, closed safeguarding
flags and their reviews, messages to them in the outbox, replies kept for a repeated
delivery. What stays: their choice answers, so counts already shown do not change; the
person's row gets a random key and an "Erased-" name, so no phone number finds it again.
A person with an open flag is not erased: safeguarding comes first. Each erasure is
recorded with counts only (`erasures`)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Select, delete, func, insert, or_, select, update

from voicebox.bot.messages import utcnow
from voicebox.flows import Flow
from voicebox.storage.database import Database
from voicebox.storage.flags import OPEN
from voicebox.storage.models import (
    Answer,
    Conversation,
    Erasure,
    FlagReview,
    InboundMessageId,
    OutboxMessage,
    Participant,
    SafeguardingFlag,
    TranscriptMessage,
    Worker,
    table,
)
from voicebox.storage.pseudonyms import address_key
from voicebox.storage.typed_text import delete_typed_text

ERASED_PREFIX = "Erased-"
KINDS = ("pseudonym", "sms", "telegram")  # how the admin says who it is
WAITING = ("queued", "sending")

_participants = table(Participant)
_PSEUDONYM = re.compile(r"^\s*([A-Za-z]+)-(\d{4}|[0-9a-f]{12})\s*$")


@dataclass(frozen=True)
class Counts:
    """What an erasure takes away (or took)."""

    conversations: int = 0
    answers: int = 0  # typed answers
    messages: int = 0  # transcript messages
    flags: int = 0  # closed safeguarding flags
    waiting: int = 0  # messages to them in the outbox

    @property
    def nothing(self) -> bool:
        """True when there is nothing of theirs to erase."""
        return not (self.answers or self.messages or self.flags or self.waiting)


@dataclass(frozen=True)
class Person:
    """A person as the erase page shows them: never their address."""

    participant_id: int
    pseudonym: str
    channel: str
    erased: bool  # erased before: nothing of theirs is left
    open_flags: int  # flags still open (new or seen): they cannot be erased yet
    choices: int  # choice answers that stay, with no link to them
    counts: Counts  # what erasing them would take away


@dataclass(frozen=True)
class ErasureResult:
    """What happened: "erased", "nothing" (erased before) or "open_flag" (not erased)."""

    outcome: str
    counts: Counts = Counts()
    pseudonym: str = ""  # the name the row has now


@dataclass(frozen=True)
class ErasureRecord:
    """One erasure as recorded: who, when, and counts."""

    id: int
    worker_email: str  # "" when the worker's account is gone
    erased_at: datetime
    counts: Counts


def phone_addresses(typed: str) -> list[str]:
    """The SMS addresses a phone number may have arrived as (UK numbers as +44)."""
    number = re.sub(r"[\s().\-]", "", typed.strip().removeprefix("sms:"))
    if number.startswith("00"):
        number = "+" + number[2:]
    found = [number] if number else []
    digits = number.lstrip("+")
    if not digits.isdigit():
        return [f"sms:{n}" for n in found]
    if number.startswith("0"):
        found.append("+44" + number[1:])
    elif not number.startswith("+"):
        found.append("+" + number)
    return [f"sms:{n}" for n in dict.fromkeys(found)]


def telegram_addresses(typed: str) -> list[str]:
    """The Telegram address of a chat id as typed."""
    chat = re.sub(r"\s", "", typed.strip().removeprefix("telegram:"))
    return [f"telegram:{int(chat)}"] if re.fullmatch(r"-?\d{1,20}", chat) else []


def find_person(db: Database, secret: bytes, kind: str, typed: str) -> Person | None:
    """The person with this pseudonym, phone number or Telegram chat id, or None.

    A number is hashed as on arrival and only the hash is looked up."""
    with db.reading() as conn:
        if kind == "pseudonym":
            match = _PSEUDONYM.match(typed or "")
            if match is None:
                return None
            name = f"{match.group(1).capitalize()}-{match.group(2)}"
            where = _participants.c.pseudonym == name
        else:
            addresses = phone_addresses(typed) if kind == "sms" else telegram_addresses(typed)
            channel = "sms" if kind == "sms" else "telegram"
            keys = [address_key(secret, channel, address) for address in addresses]
            if not keys:
                return None
            where = _participants.c.key_hash.in_(keys)
        found = conn.execute(select(_participants.c.id).where(where)).scalars().first()
        return _describe(conn, found) if found is not None else None


def get_person(db: Database, participant_id: int) -> Person | None:
    """The person with this row id, or None."""
    with db.reading() as conn:
        return _describe(conn, participant_id)


def _conversation_ids(conn: Connection, participant_id: int) -> list[int]:
    query = select(Conversation.id).where(Conversation.participant_id == participant_id)
    return list(conn.execute(query).scalars())


def _flags(participant_id: int, conversations: list[int], statuses: tuple[str, ...]) -> Select:
    """Their flags with these statuses: raised on them, or in their conversations."""
    theirs = SafeguardingFlag.participant_id == participant_id
    if conversations:
        theirs = or_(theirs, SafeguardingFlag.conversation_id.in_(conversations))
    return select(SafeguardingFlag.id).where(theirs, SafeguardingFlag.status.in_(statuses))


def _describe(conn: Connection, participant_id: int) -> Person | None:
    row = conn.execute(
        select(_participants.c.pseudonym, _participants.c.channel).where(
            _participants.c.id == participant_id
        )
    ).first()
    if row is None:
        return None
    conversations = _conversation_ids(conn, participant_id)
    answers = choices = messages = 0
    if conversations:
        answers, choices = conn.execute(
            select(
                func.count().filter(Answer.answer_key == ""),
                func.count().filter(Answer.answer_key != ""),
            ).where(Answer.conversation_id.in_(conversations))
        ).one()
        messages = (
            conn.scalar(
                select(func.count()).where(TranscriptMessage.conversation_id.in_(conversations))
            )
            or 0
        )
    open_flags = conn.scalar(
        select(func.count()).select_from(_flags(participant_id, conversations, OPEN).subquery())
    )
    closed = conn.scalar(
        select(func.count()).select_from(
            _flags(participant_id, conversations, ("acted",)).subquery()
        )
    )
    waiting = conn.scalar(
        select(func.count()).where(OutboxMessage.participant_id == participant_id)
    )
    counts = Counts(len(conversations), int(answers or 0), messages or 0, closed or 0, waiting or 0)
    return Person(
        participant_id,
        row.pseudonym,
        row.channel,
        row.pseudonym.startswith(ERASED_PREFIX),
        open_flags or 0,
        int(choices or 0),
        counts,
    )


def erase_person(
    db: Database, participant_id: int, worker_id: int | None, flows: Mapping[str, Flow]
) -> ErasureResult:
    """Erase this person in one transaction, and record who did it with counts only (the
    flows by id say which topics in their answers are the flow's, not typed).

    "open_flag" and nothing erased while a flag of theirs is open; "nothing" when they were
    erased before. LookupError when there is no such person."""
    now = utcnow()
    with db.transaction() as conn:
        person = conn.execute(
            select(_participants.c.pseudonym, _participants.c.key_hash)
            .where(_participants.c.id == participant_id)
            .with_for_update()  # a message from them now waits, then makes a new person
        ).first()
        if person is None:
            raise LookupError(participant_id)
        if person.pseudonym.startswith(ERASED_PREFIX):
            return ErasureResult("nothing", pseudonym=person.pseudonym)
        conversations = _conversation_ids(conn, participant_id)
        if conn.execute(_flags(participant_id, conversations, OPEN)).first() is not None:
            return ErasureResult("open_flag", pseudonym=person.pseudonym)
        deleted = delete_typed_text(conn, conversations, now, flows)
        flag_ids = list(conn.execute(_flags(participant_id, conversations, ("acted",))).scalars())
        if flag_ids:
            conn.execute(delete(FlagReview).where(FlagReview.flag_id.in_(flag_ids)))
            conn.execute(delete(SafeguardingFlag).where(SafeguardingFlag.id.in_(flag_ids)))
        waiting = conn.execute(
            delete(OutboxMessage).where(OutboxMessage.participant_id == participant_id)
        ).rowcount
        ids = table(InboundMessageId)
        conn.execute(
            update(ids)
            .where(ids.c.reply.is_not(None), ids.c.sender_key == person.key_hash)
            .values(reply=None, sender_key=None)
        )
        pseudonym = ERASED_PREFIX + secrets.token_hex(6)
        conn.execute(
            update(_participants)
            .where(_participants.c.id == participant_id)
            .values(
                key_hash=secrets.token_hex(32),
                pseudonym=pseudonym,
                address="",
                opted_out=True,
                report_back=False,
                updated_at=now,
            )
        )
        counts = Counts(
            len(conversations), deleted.answers, deleted.messages, len(flag_ids), waiting or 0
        )
        conn.execute(
            insert(table(Erasure)).values(
                worker_id=worker_id,
                participant_id=participant_id,
                conversations=counts.conversations,
                answers=counts.answers,
                messages=counts.messages,
                flags=counts.flags,
                waiting=counts.waiting,
                erased_at=now,
            )
        )
        return ErasureResult("erased", counts, pseudonym)


def list_erasures(db: Database, limit: int = 50) -> list[ErasureRecord]:
    """The latest erasures, newest first."""
    query = (
        select(Erasure, Worker.email)
        .outerjoin(Worker, Worker.id == Erasure.worker_id)
        .order_by(Erasure.id.desc())
        .limit(limit)
    )
    with db.read_sessions() as session:
        return [
            ErasureRecord(
                e.id,
                email or "",
                e.erased_at,
                Counts(e.conversations, e.answers, e.messages, e.flags, e.waiting),
            )
            for e, email in session.execute(query)
        ]
