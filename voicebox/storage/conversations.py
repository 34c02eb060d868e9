"""A person's place: who they are and their latest check-in, read by the statements the
hot path uses. Channel-neutral: a channel is only a value in a column here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from voicebox.bot.state import ConsultationRef, ConversationState, Participant
from voicebox.storage.models import Consultation, Conversation, table
from voicebox.storage.models import Participant as ParticipantRow
from voicebox.storage.pseudonyms import address_key
from voicebox.storage.schedule import NOT_YET, OPEN, day_words, effective_status, first_day

_participants = table(ParticipantRow)
_consultations = table(Consultation)
_conversations = table(Conversation)

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
        _consultations.c.starts_at,
        _consultations.c.ends_at,
        _consultations.c.intro,
    )
    .join(_consultations, _consultations.c.id == _conversations.c.consultation_id)
    .order_by(_conversations.c.id.desc())
    .limit(1)
)
# Statements are built once: building them per message costs more than running them.
BY_PARTICIPANT = _SELECT_CONVERSATION.where(
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
LATEST_FOR_CODE = _SELECT_CONVERSATION.where(
    _conversations.c.id == _latest_id(bindparam("participant_id"), for_code=True)
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


# Both at once need no lock on SQLite (BEGIN IMMEDIATE keeps every other writer out) and
# none when nothing is changed; a message on PostgreSQL locks the person first instead.
PERSON_AND_LATEST = _person_and_latest(for_code=False)
PERSON_AND_LATEST_FOR_CODE = _person_and_latest(for_code=True)


def consultation_ref(row: Any) -> ConsultationRef:
    """The engine's view of a consultation row (code, flow, title, open, its own words)."""
    status = effective_status(row.status, row.starts_at, row.ends_at)
    return ConsultationRef(
        code=row.code,
        flow_id=row.flow_id,
        flow_version=row.flow_version,
        title=row.title,
        open=status == OPEN,
        intro=row.intro or "",
        opens_on=day_words(first_day(row.starts_at)) if status == NOT_YET else "",
    )


def conversation_state(row: Any) -> ConversationState:
    """The engine's state from a row of the statements above."""
    return ConversationState.restore(
        consultation=consultation_ref(row),
        step=row.step,
        consent=row.consent,
        ended=row.ended_at is not None,
        data=row.state if isinstance(row.state, dict) else None,
    )


@dataclass(frozen=True)
class Place:
    """Where one person is in one check-in (no participant and no state for someone new)."""

    participant_id: int | None = None
    participant: Participant | None = None
    conversation_id: int | None = None
    state: ConversationState | None = None

    @property
    def opted_out(self) -> bool:
        """True after STOP, until START."""
        return self.participant is not None and self.participant.opted_out


def read_place(
    conn: Connection, secret: bytes, channel: str, address: str, code: str | None = None
) -> Place:
    """A person and their latest conversation (in check-in `code` when given), changing nothing."""
    key = address_key(secret, channel, address)
    statement = PERSON_AND_LATEST_FOR_CODE if code else PERSON_AND_LATEST
    row = conn.execute(statement, {"key": key, "code": (code or "").strip().upper()}).first()
    return place_from_row(row)


def place_from_row(row: Any) -> Place:
    """A Place from a row of PERSON_AND_LATEST(_FOR_CODE); an empty Place for None."""
    if row is None:
        return Place()
    person = Participant(pseudonym=row.pseudonym, opted_out=bool(row.opted_out))
    if row.id is None:
        return Place(row.participant_id, person)
    return Place(row.participant_id, person, row.id, conversation_state(row))
