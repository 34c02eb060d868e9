"""The conversation store: one inbound message, one transaction, on SQLite or PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from voicebox.bot.messages import InboundMessage, OutboundMessage, joined, utcnow
from voicebox.bot.ports import TurnContext
from voicebox.bot.state import ConsultationRef, ConversationState, Outcome, Participant
from voicebox.storage import alerts, message_ids, outbox, transcripts
from voicebox.storage.addresses import unlock
from voicebox.storage.conversations import (
    BY_PARTICIPANT,
    LATEST_FOR_CODE,
    PERSON_AND_LATEST,
    PERSON_AND_LATEST_FOR_CODE,
    consultation_ref,
    conversation_state,
)
from voicebox.storage.database import Database, insert_ignoring
from voicebox.storage.models import (
    Answer,
    Consultation,
    Conversation,
    SafeguardingFlag,
    table,
)
from voicebox.storage.models import Participant as ParticipantRow
from voicebox.storage.pseudonyms import address_key, pseudonym_for
from voicebox.storage.reports import heard_back_about

_participants = table(ParticipantRow)
_consultations = table(Consultation)
_conversations = table(Conversation)
_answers = table(Answer)
_flags = table(SafeguardingFlag)

_CONSULTATION_BY_CODE = select(
    _consultations.c.id,
    _consultations.c.code,
    _consultations.c.flow_id,
    _consultations.c.flow_version,
    _consultations.c.title,
    _consultations.c.status,
    _consultations.c.starts_at,
    _consultations.c.ends_at,
    _consultations.c.intro,
).where(_consultations.c.code == bindparam("code"))
_PARTICIPANT_BY_KEY = (
    select(_participants.c.id, _participants.c.pseudonym, _participants.c.opted_out)
    .where(_participants.c.key_hash == bindparam("key"))
    .with_for_update()
)
_UPDATE_PARTICIPANT = update(_participants).where(_participants.c.id == bindparam("row_id"))
_UPDATE_CONVERSATION = update(_conversations).where(_conversations.c.id == bindparam("row_id"))
_INSERT_CONVERSATION = insert(_conversations).returning(_conversations.c.id)
_CONVERSATION_FLAGGED = select(_conversations.c.flagged).where(
    _conversations.c.id == bindparam("row_id")
)
_DELETE_CONVERSATION = delete(_conversations).where(_conversations.c.id == bindparam("row_id"))
_ANY_CONVERSATION = (
    select(_conversations.c.id)
    .where(_conversations.c.participant_id == bindparam("participant_id"))
    .limit(1)
)
_ANY_FLAG = (
    select(_flags.c.id).where(_flags.c.participant_id == bindparam("participant_id")).limit(1)
)
_REACHABLE_AGAIN = (
    update(_participants)
    .where(_participants.c.id == bindparam("row_id"), _participants.c.unreachable)
    .values(unreachable=False)
)
_DELETE_PARTICIPANT = delete(_participants).where(_participants.c.id == bindparam("participant_id"))
_INSERT_ANSWERS = insert(_answers)
_INSERT_FLAGS = insert(_flags).returning(_flags.c.id)


class SqlTurn:
    """The store's side of one message: what it read, and how to keep the outcome."""

    def __init__(
        self,
        connection: Connection,
        inbound: InboundMessage,
        participant_id: int | None,
        participant: Participant,
        state: ConversationState | None,
        conversation_id: int | None,
        named: ConsultationRef | None,
        duplicate: bool,
        consultation_ids: dict[str, int],
        outbox_channels: frozenset[str],
        alert_routes: alerts.AlertRoutes,
        message: tuple[int, str] | None = None,
        earlier_replies: tuple[OutboundMessage, ...] = (),
        button_passed: bool = False,
        join_limit: int | None = None,
        heard_back: bool = False,
    ) -> None:
        self._connection = connection
        self._join_limit = join_limit  # replies are queued joined, up to this length
        self._inbound = inbound
        self._message = message  # the new message id's row, and the sender's keyed hash
        self._outbox_channels = outbox_channels
        self._alerts = alert_routes
        self.participant_id = participant_id
        self.conversation_id = conversation_id
        self._consultation_ids = consultation_ids
        self.context = TurnContext(
            participant,
            state,
            self._find_consultation,
            named,
            duplicate,
            earlier_replies,
            button_passed,
            heard_back,
        )

    def _find_consultation(self, code: str) -> ConsultationRef | None:
        row = self._connection.execute(
            _CONSULTATION_BY_CODE, {"code": code.strip().upper()}
        ).first()
        if row is None:
            return None
        self._consultation_ids[row.code] = row.id
        return consultation_ref(row)

    def save(self, outcome: Outcome) -> None:
        """Keep the outcome in this message's transaction."""
        if self.participant_id is None or self.context.duplicate:
            return  # a duplicate, or a check-in that is not open: nothing is kept
        conn = self._connection
        now = utcnow()
        if self._message is not None and outcome.replies:  # for a repeat of this message
            message_ids.keep_replies(conn, *self._message, outcome.replies)
        self._save_participant(conn, outcome, now)
        state = outcome.conversation
        if state is not None:
            self._save_conversation(conn, outcome, now)
        elif self.conversation_id is None and not outcome.flags:
            if self._drop_person(conn, outcome):
                return  # a message that started nothing (no code): nobody is kept
        elif outcome.flags and self.conversation_id is not None:
            conn.execute(_UPDATE_CONVERSATION, {"flagged": True, "row_id": self.conversation_id})
        if outcome.forget and not outcome.flags and self._forget(conn, outcome):
            channel = self._inbound.channel
            if outcome.replies and channel in self._outbox_channels:
                self._queue(conn, outcome.replies, now)
            return
        if outcome.retracted and self.conversation_id is not None:
            conn.execute(
                delete(_answers).where(
                    _answers.c.conversation_id == self.conversation_id,
                    _answers.c.seq.in_(outcome.retracted),
                )
            )
        if outcome.answers and state is not None:
            self._save_answers(conn, outcome, now)
        if outcome.flags:
            flag_ids = conn.scalars(
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
            ).all()
            for flag_id in flag_ids:  # the engine raises one flag per message
                alerts.queue_flag_alert(conn, self._alerts, flag_id, self.conversation_id, now)
        if self._keeps_transcript(outcome):
            assert self.conversation_id is not None
            inbound = self._inbound
            key = outcome.chosen.key if outcome.chosen is not None else None
            if outcome.chosen_cards:
                key = ",".join(card.key for card in outcome.chosen_cards)
            rows = [
                transcripts.inbound_row(
                    self.conversation_id,
                    inbound.text,
                    inbound.has_media,
                    outcome.in_reply_to,
                    key,
                    now,
                ),
                *transcripts.outbound_rows(self.conversation_id, outcome.replies, now),
            ]
            conn.execute(transcripts.INSERT_LINES, rows)
        if outcome.replies and self._inbound.channel in self._outbox_channels:
            self._queue(conn, outcome.replies, now)

    def _queue(self, conn: Connection, replies: list[OutboundMessage], now: Any) -> None:
        """Put the replies in the outbox (joined, for a channel that joins them)."""
        assert self.participant_id is not None
        queued = replies if self._join_limit is None else joined(replies, self._join_limit)
        outbox.enqueue(conn, self.participant_id, self._inbound.channel, queued, now)

    def _save_participant(self, conn: Connection, outcome: Outcome, now: Any) -> None:
        changes: dict[str, Any] = {}
        if outcome.opted_out is not None:
            changes["opted_out"] = outcome.opted_out
        if outcome.report_back is not None:
            changes["report_back"] = outcome.report_back
        if changes:
            changes["updated_at"] = now
            conn.execute(_UPDATE_PARTICIPANT, {**changes, "row_id": self.participant_id})
        if self._inbound.channel in self._outbox_channels:  # they wrote: they can be reached
            conn.execute(_REACHABLE_AGAIN, {"row_id": self.participant_id})
        if outcome.opted_out:  # after STOP nothing more goes out, on any channel
            assert self.participant_id is not None
            outbox.cancel_queued(conn, self.participant_id, outbox.STOPPED)

    def _save_conversation(self, conn: Connection, outcome: Outcome, now: Any) -> None:
        state = outcome.conversation
        assert state is not None
        values = {
            "step": state.step,
            "consent": state.consent,
            "state": state.vars(),
            "updated_at": now,
            "ended_at": now if state.ended else None,
        }
        if outcome.started:
            self.conversation_id = conn.execute(
                _INSERT_CONVERSATION,
                {
                    **values,
                    "participant_id": self.participant_id,
                    "consultation_id": self._consultation_ids[state.consultation.code],
                    "channel": self._inbound.channel,
                    "flagged": bool(outcome.flags),
                    "started_at": now,
                },
            ).scalar_one()
            return
        if outcome.flags:
            values["flagged"] = True
        if outcome.report_back is not None:  # for this check-in's report-back only
            values["report_back"] = outcome.report_back
        conn.execute(_UPDATE_CONVERSATION, {**values, "row_id": self.conversation_id})

    def _save_answers(self, conn: Connection, outcome: Outcome, now: Any) -> None:
        state = outcome.conversation
        assert state is not None
        consultation_id = self._consultation_ids[state.consultation.code]
        conn.execute(
            _INSERT_ANSWERS,
            [
                {
                    "conversation_id": self.conversation_id,
                    "consultation_id": consultation_id,
                    "participant_id": self.participant_id,
                    "seq": a.seq,
                    "channel": self._inbound.channel,
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

    def _forget(self, conn: Connection, outcome: Outcome) -> bool:
        """After "No thanks": delete this check-in, and the person if nothing else is kept.

        A flagged check-in is kept: a person must read every call for help. The person's
        row stays when it holds an opt-out, another check-in or a flag, or when their
        channel still has to send the goodbye from the outbox (it needs the address).
        """
        if self.conversation_id is None or self.participant_id is None:
            return False
        flagged = conn.execute(_CONVERSATION_FLAGGED, {"row_id": self.conversation_id})
        if flagged.scalar_one_or_none():
            return False
        conn.execute(_DELETE_CONVERSATION, {"row_id": self.conversation_id})
        self.conversation_id = None
        self._drop_person(conn, outcome)
        return True

    def _drop_person(self, conn: Connection, outcome: Outcome) -> bool:
        """Delete the person's row unless it holds something: True when it went."""
        person = {"participant_id": self.participant_id}
        opted_out = outcome.opted_out
        if opted_out is None:
            opted_out = self.context.participant.opted_out
        keep = (
            opted_out
            or self._inbound.channel in self._outbox_channels
            or conn.execute(_ANY_CONVERSATION, person).first() is not None
            or conn.execute(_ANY_FLAG, person).first() is not None
        )
        if not keep:
            conn.execute(_DELETE_PARTICIPANT, person)
        return not keep

    def _keeps_transcript(self, outcome: Outcome) -> bool:
        if self.conversation_id is None:
            return False
        if outcome.flags:  # a call for help is kept for a person to read, whatever else
            return True
        if self.context.participant.opted_out and outcome.opted_out is not False:
            return False
        state = outcome.conversation or self.context.conversation
        return state is not None and state.consent == "given"


class SqlStore:
    """ConversationStore on SQLAlchemy Core: the hot path reads and writes few rows."""

    def __init__(
        self,
        database: Database,
        secret: bytes,
        outbox_channels: Iterable[str] = (),
        alert_routes: alerts.AlertRoutes | None = None,
        repeat_channels: Iterable[str] = (),
        joined_channels: Mapping[str, int] | None = None,
    ) -> None:
        self.database = database
        self.secret = secret
        # Addresses are kept sealed under a key derived from the secret; the database keeps
        # the seal too, for its other readers (the dispatcher opens them to send).
        self.addresses = unlock(database, secret)
        self.outbox_channels = frozenset(outbox_channels)  # channels that reply later
        # Channels whose provider delivers a message again when our answer was lost: the
        # answer is kept a day for the repeat (Channel.redelivers).
        self.repeat_channels = frozenset(repeat_channels)
        # Channels whose replies to one message are queued joined, and their length limit
        # (Channel.joins_replies).
        self.joined_channels = dict(joined_channels or {})
        self.alert_routes = alert_routes or alerts.AlertRoutes()  # how flags reach a person
        self._insert_message_id = message_ids.insert_statement(database.dialect)
        self._insert_participant = insert_ignoring(_participants, database.dialect)
        self._next_clearing = 0.0  # when day-old replies are next cleared (monotonic)

    @contextmanager
    def begin(self, inbound: InboundMessage) -> Iterator[SqlTurn]:
        """One transaction for one message, and what the engine needs to read in it."""
        with self.database.transaction() as conn:
            key = address_key(self.secret, inbound.channel, inbound.address)
            repeatable = inbound.channel in self.repeat_channels
            duplicate, message = False, None
            earlier: tuple[OutboundMessage, ...] = ()
            if inbound.message_id:
                row_id = message_ids.record(
                    conn,
                    self._insert_message_id,
                    inbound.channel,
                    inbound.message_id,
                    inbound.received_at,
                )
                duplicate = row_id is None
                if row_id is not None and repeatable:
                    message = (row_id, key)
                elif duplicate and repeatable:
                    earlier = message_ids.earlier_replies(
                        conn, inbound.channel, inbound.message_id, key, utcnow()
                    )
            named: ConsultationRef | None = None
            ids: dict[str, int] = {}
            code = inbound.consultation.strip().upper() if inbound.consultation else None
            if code:
                found = conn.execute(_CONSULTATION_BY_CODE, {"code": code}).first()
                if found is not None:
                    named = consultation_ref(found)
                    ids[found.code] = found.id
            if duplicate or (code and not (named and named.open)):
                # Read only: a duplicate changes nothing, and a check-in that is not open
                # must not make a person's row.
                read = self._peek(conn, key, code)
                yield self._turn(conn, inbound, named, ids, duplicate, read, None, earlier)
                return
            self._clear_old_replies(conn)
            read = self._read(conn, inbound, key, code)
            yield self._turn(conn, inbound, named, ids, False, read, message)

    def _clear_old_replies(self, conn: Connection) -> None:
        """Now and then (every PRUNE_EVERY seconds in each process), forget day-old replies."""
        now = time.monotonic()
        if now < self._next_clearing:
            return
        self._next_clearing = now + message_ids.PRUNE_EVERY
        message_ids.clear_old_replies(conn, utcnow())

    def _turn(
        self,
        conn: Connection,
        inbound: InboundMessage,
        named: ConsultationRef | None,
        ids: dict[str, int],
        duplicate: bool,
        read: tuple[int | None, Participant, Any],
        message: tuple[int, str] | None = None,
        earlier: tuple[OutboundMessage, ...] = (),
    ) -> SqlTurn:
        participant_id, participant, row = read
        state = None
        if row is not None:
            state = conversation_state(row)
            ids[row.code] = row.consultation_id
        passed = False
        if inbound.pressed_on and participant_id is not None:
            newest = outbox.newest_sent(conn, participant_id, inbound.channel)
            passed = outbox.older_than(inbound.pressed_on, newest)
        heard_back = False
        if state is not None and state.ended and participant_id is not None:  # rare: read then
            heard_back = heard_back_about(conn, participant_id, row.consultation_id)
        return SqlTurn(
            conn,
            inbound,
            participant_id,
            participant,
            state,
            row.id if row is not None else None,
            named,
            duplicate,
            ids,
            self.outbox_channels,
            self.alert_routes,
            message,
            earlier,
            passed,
            self.joined_channels.get(inbound.channel),
            heard_back,
        )

    def _peek(
        self, conn: Connection, key: str, code: str | None
    ) -> tuple[int | None, Participant, Any]:
        """The person and their latest conversation, if they exist; nothing is made or locked."""
        statement = PERSON_AND_LATEST_FOR_CODE if code else PERSON_AND_LATEST
        row = conn.execute(statement, {"key": key, "code": code}).first()
        if row is None:
            return None, Participant(pseudonym=""), None
        person = Participant(pseudonym=row.pseudonym, opted_out=bool(row.opted_out))
        return row.participant_id, person, row if row.id is not None else None

    def _read(
        self, conn: Connection, inbound: InboundMessage, key: str, code: str | None
    ) -> tuple[int | None, Participant, Any]:
        """The participant (made on their first message) and their latest conversation."""
        if self.database.is_sqlite:
            found = self._peek(conn, key, code)
            if found[0] is not None:
                return found
        participant_id, participant = self._lock_participant(conn, inbound, key)
        if code:
            row = conn.execute(LATEST_FOR_CODE, {"participant_id": participant_id, "code": code})
        else:
            row = conn.execute(BY_PARTICIPANT, {"participant_id": participant_id})
        return participant_id, participant, row.first()

    def _lock_participant(
        self, conn: Connection, inbound: InboundMessage, key: str
    ) -> tuple[int, Participant]:
        """Find or create the participant, holding a row lock until commit (PostgreSQL)."""
        row = conn.execute(_PARTICIPANT_BY_KEY, {"key": key}).first()
        attempt = 0
        sealed = self.addresses.seal(inbound.address, key) if row is None else ""
        while row is None:
            now = utcnow()
            conn.execute(
                self._insert_participant,
                {
                    "channel": inbound.channel,
                    "key_hash": key,
                    "pseudonym": pseudonym_for(key, attempt),
                    "address": sealed,  # never the address itself
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
