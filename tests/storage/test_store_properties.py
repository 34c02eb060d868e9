"""Properties through the real engine and SQLite store: any input, any order, stays sound."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from voicebox.bot.engine import MAX_ANSWER_CHARS, Engine
from voicebox.bot.messages import InboundMessage
from voicebox.flows import ANSWER_KINDS, load_builtin_flows
from voicebox.storage.consultations import create_consultation, ensure_demo
from voicebox.storage.database import Database
from voicebox.storage.models import Answer, Consultation, Conversation, TranscriptMessage
from voicebox.storage.models import Participant as ParticipantRow
from voicebox.storage.pseudonyms import address_key
from voicebox.storage.store import SqlStore

FLOWS = load_builtin_flows()
CODES = {"DEMO": "tops_and_pants", "CORNER": "four_cornerstones"}
_people = itertools.count()
SECRET = b"property-secret"

texts = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["", "1", "2", "3", "yes", "no", "skip", "SKIP", "back", "help", "STOP", "START"]
        + ["DEMO", "corner", "🙂", "✅", "مرحبا", "I feel sad", "someone hurts me"]
    ),
    st.builds(
        lambda part, n: (part * n)[:10_000], st.text(min_size=1, max_size=3), st.integers(1, 10_000)
    ),
)


@pytest.fixture(scope="module")
def sqlite_engine(tmp_path_factory):
    """One SQLite database for every example; each example is a new person."""
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('properties') / 'voicebox.db'}")
    db.upgrade()
    ensure_demo(db, FLOWS)
    create_consultation(
        db, "CORNER", "four_cornerstones", FLOWS["four_cornerstones"].version, "Corner"
    )
    yield Engine(FLOWS.values(), SqlStore(db, SECRET))
    db.dispose()


def _person(db: Database, address: str):
    """The person's row, found as the store finds it: by the keyed hash (the address is sealed)."""
    with db.engine.connect() as conn:
        return conn.execute(
            select(ParticipantRow.id, ParticipantRow.opted_out).where(
                ParticipantRow.key_hash == address_key(SECRET, "sms", address)
            )
        ).first()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(code=st.sampled_from(sorted(CODES)), inputs=st.lists(texts, max_size=14))
def test_any_conversation_through_the_store(sqlite_engine, code, inputs):
    """Every message gets a reply unless the person sent STOP; what is kept stays sound."""
    engine = sqlite_engine
    db = engine.store.database
    address = f"sms:+4477009{next(_people):05d}"
    for number, text in enumerate([code, *inputs]):
        before = _person(db, address)
        replies = engine.handle(
            InboundMessage("sms", address, text, message_id=f"{address}/{number}")
        ).replies
        if not replies:
            assert before is not None and before.opted_out, f"no reply to {text[:40]!r}"
            assert _person(db, address).opted_out
    person = _person(db, address)
    if person is None:  # they said no: nothing of theirs is kept at all
        return
    with db.engine.connect() as conn:
        conversations = conn.execute(
            select(
                Conversation.id,
                Conversation.step,
                Conversation.consent,
                Conversation.flagged,
                Consultation.flow_id,
            )
            .join(Consultation, Consultation.id == Conversation.consultation_id)
            .where(Conversation.participant_id == person.id)
        ).all()
        for conversation in conversations:
            flow = FLOWS[conversation.flow_id]
            assert conversation.step in flow.steps
            answers = conn.execute(
                select(Answer.question_id, Answer.kind, Answer.answer).where(
                    Answer.conversation_id == conversation.id
                )
            ).all()
            transcript = conn.scalar(
                select(func.count(TranscriptMessage.id)).where(
                    TranscriptMessage.conversation_id == conversation.id
                )
            )
            if conversation.consent != "given":  # nothing kept without consent...
                assert answers == []
                assert transcript == 0 or conversation.flagged  # ...but a call for help
            for answer in answers:
                assert answer.question_id in flow.steps
                assert answer.kind in ANSWER_KINDS
                assert len(answer.answer) <= MAX_ANSWER_CHARS
