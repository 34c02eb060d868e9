"""The conversation store: one inbound message, one transaction, on SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from voicebox.bot.messages import InboundMessage, OutboundMessage
from voicebox.bot.state import ConsultationRef, ConversationState, Outcome, Participant
from voicebox.bot.store import TurnContext
from voicebox.storage.database import Database
from voicebox.storage.models import (
    Answer,
    Consultation,
    Conversation,
    InboundMessageId,
    OutboxMessage,
    SafeguardingFlag,
    TranscriptMessage,
    utcnow,
)
from voicebox.storage.models import Participant as ParticipantRow
from voicebox.storage.pseudonyms import address_key, pseudonym_for
from voicebox.storage.serial import message_to_json

_participants = ParticipantRow.__table__
_consultations = Consultation.__table__
_conversations = Conversation.__table__
_answers = Answer.__table__
_transcript = TranscriptMessage.__table__
_flags = SafeguardingFlag.__table__
_inbound_ids = InboundMessageId.__table__
_outbox = OutboxMessage.__table__

_SELECT_CONVERSATION = (
    select(
        _conversations.c.id,
        _conversations.c.step,
        _conversations.c.consent,
        _conversations.c.ended_at,
        _conversations.c.state,
        _consultations.c.id.label("consultation_id"),
        _consultations.c.code,
        _consultations.c.flow_id,
        _consultations.c.flow_version,
        _consultations.c.title,
        _consultations.c.status,
    )
    .join(_consultations, _consultations.c.id == _conversations.c.consultation_id)
    .order_by(_conversations.c.id.desc())
    .limit(1)
)
_SELECT_CONSULTATION = select(
    _consultations.c.id,
    _consultations.c.code,
    _consultations.c.flow_id,
    _consultations.c.flow_version,
    _consultations.c.title,
    _consultations.c.status,
)
# Statements are built once: building them per message costs more than running them.
_BY_PARTICIPANT = _SELECT_CONVERSATION.where(
    _conversations.c.participant_id == bindparam("participant_id")
)
# The code as a subquery and the latest id as max(): SQLite then walks the person's few
# conversations (by the participant index), not every conversation of the consultation.
_code_of = _consultations.alias("code_of")
_CONSULTATION_ID = (
    select(_code_of.c.id)
    .where(_code_of.c.code == bindparam("code"))
    .correlate(None)
    .scalar_subquery()
)
_theirs = _conversations.alias("theirs")


def _latest_id(participant_id: Any, for_code: bool) -> Any:
    """The id of a person's latest conversation (in the consultation :code, when for_code)."""
    latest = select(func.max(_theirs.c.id)).where(_theirs.c.participant_id == participant_id)
    if for_code:
        latest = latest.where(_theirs.c.consultation_id == _CONSULTATION_ID)
    return latest.correlate_except(_theirs).scalar_subquery()


# A person's latest conversation in one consultation.
_LATEST_FOR_CODE = _SELECT_CONVERSATION.where(
    _conversations.c.id == _latest_id(bindparam("participant_id"), for_code=True)
)
_CONSULTATION_BY_CODE = _SELECT_CONSULTATION.where(_consultations.c.code == bindparam("code"))
_PARTICIPANT_BY_KEY = (
    select(_participants.c.id, _participants.c.pseudonym, _participants.c.opted_out)
    .where(_participants.c.key_hash == bindparam("key"))
    .with_for_update()
)


def _person_and_latest(for_code: bool) -> Any:
    """A person and their latest conversation (in the consultation :code, when for_code)."""
    latest = _latest_id(_participants.c.id, for_code)
    return (
        select(
            _participants.c.id.label("participant_id"),
            _participants.c.pseudonym,
            _participants.c.opted_out,
            *_SELECT_CONVERSATION.selected_columns,
        )
        .select_from(
            _participants.outerjoin(_conversations, _conversations.c.id == latest).outerjoin(
                _consultations, _consultations.c.id == _conversations.c.consultation_id
            )
        )
        .where(_participants.c.key_hash == bindparam("key"))
    )


# A message on SQLite reads both at once: BEGIN IMMEDIATE already keeps every other writer
# out. A message on PostgreSQL must lock the person first and read the conversation after
# the lock. Reads that change nothing (the web chat's page) use them on either database.
_PERSON_AND_LATEST = _person_and_latest(for_code=False)
PERSON_AND_LATEST_FOR_CODE = _person_and_latest(for_code=True)
_UPDATE_PARTICIPANT = update(_participants).where(_participants.c.id == bindparam("row_id"))
_UPDATE_CONVERSATION = update(_conversations).where(_conversations.c.id == bindparam("row_id"))
_INSERT_CONVERSATION = insert(_conversations).returning(_conversations.c.id)
_INSERT_ANSWERS = insert(_answers)
_INSERT_FLAGS = insert(_flags)
_INSERT_TRANSCRIPT = insert(_transcript)
_INSERT_OUTBOX = insert(_outbox)
MAX_STORED_TEXT = 10_000  # a transcript line keeps at most this many characters


def _ref(row: Any) -> ConsultationRef:
    return ConsultationRef(
        code=row.code,
        flow_id=row.flow_id,
        flow_version=row.flow_version,
        title=row.title,
        open=row.status == "open",
    )


class SqlTurn:
    """The store's side of one message: what it read, and how to keep the outcome."""

    def __init__(
        self,
        store: SqlStore,
        connection: Connection,
        inbound: InboundMessage,
        participant_id: int,
        participant: Participant,
        conversation_id: int | None,
        consultation_id: int | None,
        conversation: ConversationState | None,
    ) -> None:
        self._store = store
        self._connection = connection
        self._inbound = inbound
        self.participant_id = participant_id
        self.conversation_id = conversation_id
        self._consultation_ids: dict[str, int] = {}
        if conversation is not None and consultation_id is not None:
            self._consultation_ids[conversation.consultation.code] = consultation_id
        self.context = TurnContext(participant, conversation, self._find_consultation)

    def _find_consultation(self, code: str) -> ConsultationRef | None:
        row = self._connection.execute(
            _CONSULTATION_BY_CODE, {"code": code.strip().upper()}
        ).first()
        if row is None:
            return None
        self._consultation_ids[row.code] = row.id
        return _ref(row)

    def save(self, outcome: Outcome) -> None:
        """Keep the outcome in this message's transaction."""
        conn = self._connection
        now = utcnow()
        inbound = self._inbound
        changes: dict[str, Any] = {}
        if outcome.opted_out is not None:
            changes["opted_out"] = outcome.opted_out
        if outcome.report_back is not None:
            changes["report_back"] = outcome.report_back
        if changes:
            changes["updated_at"] = now
            conn.execute(_UPDATE_PARTICIPANT, {**changes, "row_id": self.participant_id})
        state = outcome.conversation
        if state is not None:
            values = {
                "step": state.step,
                "consent": state.consent,
                "state": state.vars(),
                "updated_at": now,
                "ended_at": now if state.ended else None,
            }
            if outcome.started:
                consultation_id = self._consultation_ids[state.consultation.code]
                self.conversation_id = conn.execute(
                    _INSERT_CONVERSATION,
                    {
                        **values,
                        "participant_id": self.participant_id,
                        "consultation_id": consultation_id,
                        "channel": inbound.channel,
                        "flagged": bool(outcome.flags),
                        "started_at": now,
                    },
                ).scalar_one()
                self._consultation_id = consultation_id
            else:
                if outcome.flags:
                    values["flagged"] = True
                conn.execute(_UPDATE_CONVERSATION, {**values, "row_id": self.conversation_id})
        elif outcome.flags and self.conversation_id is not None:
            conn.execute(_UPDATE_CONVERSATION, {"flagged": True, "row_id": self.conversation_id})
        if outcome.retracted and self.conversation_id is not None:
            conn.execute(
                delete(_answers).where(
                    _answers.c.conversation_id == self.conversation_id,
                    _answers.c.seq.in_(outcome.retracted),
                )
            )
        if outcome.answers and state is not None:
            consultation_id = self._consultation_ids[state.consultation.code]
            conn.execute(
                _INSERT_ANSWERS,
                [
                    {
                        "conversation_id": self.conversation_id,
                        "consultation_id": consultation_id,
                        "participant_id": self.participant_id,
                        "seq": a.seq,
                        "channel": inbound.channel,
                        "question_id": a.question_id,
                        "question": a.question,
                        "answer": a.answer,
                        "answer_key": a.answer_key,
                        "kind": a.kind,
                        "topic": a.topic,
                        "answered_at": now,
                    }
                    for a in outcome.answers
                ],
            )
        if outcome.flags:
            conn.execute(
                _INSERT_FLAGS,
                [
                    {
                        "conversation_id": self.conversation_id,
                        "participant_id": self.participant_id,
                        "category": f.category,
                        "phrase": f.phrase[:100],
                        "step": f.step_id,
                        "created_at": now,
                    }
                    for f in outcome.flags
                ],
            )
        if self._keeps_transcript(outcome):
            rows = [self._transcript_row("in", self._inbound_text(), None, now)]
            rows += [
                self._transcript_row("out", m.as_text(), m.step_id, now) for m in outcome.replies
            ]
            conn.execute(_INSERT_TRANSCRIPT, rows)
        if outcome.replies and inbound.channel in self._store.outbox_channels:
            self._store.enqueue(conn, self.participant_id, inbound.channel, outcome.replies, now)

    def _keeps_transcript(self, outcome: Outcome) -> bool:
        if self.conversation_id is None:
            return False
        if self.context.participant.opted_out and outcome.opted_out is not False:
            return False
        state = outcome.conversation or self.context.conversation
        return state is not None and state.consent == "given"

    def _inbound_text(self) -> str:
        inbound = self._inbound
        if inbound.text:
            return inbound.text[:MAX_STORED_TEXT]
        if inbound.payload:
            return f"[button {inbound.payload}]"
        return "[picture or sound]" if inbound.has_media else ""

    def _transcript_row(self, direction: str, text: str, step: str | None, now: Any) -> dict:
        return {
            "conversation_id": self.conversation_id,
            "direction": direction,
            "text": text,
            "step": step,
            "created_at": now,
        }


class SqlStore:
    """ConversationStore on SQLAlchemy Core: the hot path reads and writes few rows."""

    def __init__(
        self, database: Database, secret: bytes, outbox_channels: Iterable[str] = ()
    ) -> None:
        self.database = database
        self.secret = secret
        self.outbox_channels = frozenset(outbox_channels)
        insert_ignore = pg_insert if database.dialect == "postgresql" else sqlite_insert
        # RETURNING tells a new id from a duplicate on every database (rowcount does not).
        self._insert_message_id = (
            insert_ignore(_inbound_ids).on_conflict_do_nothing().returning(_inbound_ids.c.id)
        )
        self._insert_participant = insert_ignore(_participants).on_conflict_do_nothing()

    @contextmanager
    def begin(self, inbound: InboundMessage) -> Iterator[SqlTurn | None]:
        """One transaction for one message; None when the message id was seen before."""
        with self.database.transaction() as conn:
            if inbound.message_id:
                seen = conn.execute(
                    self._insert_message_id,
                    {
                        "channel": inbound.channel,
                        "message_id": inbound.message_id[:128],
                        "received_at": inbound.received_at,
                    },
                )
                if seen.first() is None:
                    yield None
                    return
            participant_id, participant, row = self._read(conn, inbound)
            state = None
            if row is not None:
                state = ConversationState.restore(
                    consultation=_ref(row),
                    step=row.step,
                    consent=row.consent,
                    ended=row.ended_at is not None,
                    data=row.state,
                )
            yield SqlTurn(
                self,
                conn,
                inbound,
                participant_id,
                participant,
                row.id if row is not None else None,
                row.consultation_id if row is not None else None,
                state,
            )

    def _read(self, conn: Connection, inbound: InboundMessage) -> tuple[int, Participant, Any]:
        """The participant (created on their first message) and their latest conversation."""
        key = address_key(self.secret, inbound.channel, inbound.address)
        code = inbound.consultation.strip().upper() if inbound.consultation else None
        if self.database.is_sqlite:
            statement = PERSON_AND_LATEST_FOR_CODE if code else _PERSON_AND_LATEST
            row = conn.execute(statement, {"key": key, "code": code}).first()
            if row is not None:
                person = Participant(pseudonym=row.pseudonym, opted_out=row.opted_out)
                return row.participant_id, person, row if row.id is not None else None
        participant_id, participant = self._lock_participant(conn, inbound, key)
        if code:
            latest = _LATEST_FOR_CODE
            row = conn.execute(latest, {"participant_id": participant_id, "code": code}).first()
        else:
            row = conn.execute(_BY_PARTICIPANT, {"participant_id": participant_id}).first()
        return participant_id, participant, row

    def _lock_participant(
        self, conn: Connection, inbound: InboundMessage, key: str
    ) -> tuple[int, Participant]:
        """Find or create the participant, holding a row lock until commit (PostgreSQL)."""
        row = conn.execute(_PARTICIPANT_BY_KEY, {"key": key}).first()
        attempt = 0
        while row is None:
            now = utcnow()
            conn.execute(
                self._insert_participant,
                {
                    "channel": inbound.channel,
                    "key_hash": key,
                    "pseudonym": pseudonym_for(key, attempt),
                    "address": inbound.address,
                    "opted_out": False,
                    "report_back": False,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            row = conn.execute(_PARTICIPANT_BY_KEY, {"key": key}).first()
            attempt += 1  # the name was taken by someone else: try the next one
            if attempt > 50:
                raise RuntimeError("could not find a free pseudonym")
        return row.id, Participant(pseudonym=row.pseudonym, opted_out=row.opted_out)

    def enqueue(
        self,
        conn: Connection,
        participant_id: int,
        channel: str,
        messages: Iterable[OutboundMessage],
        now: Any = None,
        purpose: str = "reply",
    ) -> None:
        """Queue messages for a channel's sender, inside the caller's transaction."""
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
            conn.execute(_INSERT_OUTBOX, rows)

    def participant_id(self, channel: str, address: str) -> int | None:
        """The participant id for a channel address, if they have written before."""
        key = address_key(self.secret, channel, address)
        with self.database.reading() as conn:
            return conn.execute(
                select(_participants.c.id).where(_participants.c.key_hash == key)
            ).scalar_one_or_none()
