"""Deleting what people typed in some conversations, keeping the choices they made.

Erasing a person (`erasure.py`) and retention (`retention.py`) both do this: every
transcript message and every typed answer goes; choice answers stay, so counts do not
change. A topic the person typed ("something else": my rabbit) is in their choice answers
too, and in the question each one was asked: it becomes `TYPED_TOPIC_KEY`, and the question
is said again about "this part of your life". The conversation's saved state (which holds
earlier answers for BACK) is emptied."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, select, update

from voicebox.bot.engine import TYPED_TOPIC, render_text
from voicebox.flows import Flow
from voicebox.storage.models import (
    Answer,
    Consultation,
    Conversation,
    TranscriptMessage,
    table,
)

TYPED_TOPIC_KEY = "something_else"  # where answers about a typed topic are counted after
BATCH = 500  # conversation ids in one IN (...)

_answers = table(Answer)
_conversations = table(Conversation)
_transcripts = table(TranscriptMessage)

_RETOPIC = (
    update(_answers)
    .where(_answers.c.id == bindparam("answer_id"))
    .values(topic=bindparam("new_topic"), question=bindparam("new_question"))
)


@dataclass(frozen=True)
class Deleted:
    """How much went."""

    answers: int = 0  # typed answers
    messages: int = 0  # transcript messages
    topics: int = 0  # choice answers whose typed topic was replaced

    def __add__(self, other: Deleted) -> Deleted:
        return Deleted(
            self.answers + other.answers,
            self.messages + other.messages,
            self.topics + other.topics,
        )


def flow_topics(flow: Flow | None) -> frozenset[str]:
    """The topics a flow itself names (as answers store them); any other one was typed."""
    if flow is None:
        return frozenset()
    named = {step.topic for step in flow.steps.values() if step.topic}
    for step in flow.steps.values():
        named.update(choice.key for choice in step.choices if choice.topic)
    return frozenset(named)


def _question(flow: Flow | None, question_id: str) -> str:
    """A question's words about a typed topic, without the topic's words."""
    step = flow.steps.get(question_id) if flow is not None else None
    return render_text(step.text, TYPED_TOPIC) if step is not None else question_id


def delete_typed_text(
    conn: Connection, conversation_ids: Sequence[int], now: datetime, flows: Mapping[str, Flow]
) -> Deleted:
    """Delete the transcripts and typed answers of these conversations, in the caller's
    transaction; keep their choice answers, without any topic the person typed (the flows,
    by id, say which topics are theirs)."""
    total = Deleted()
    ids = list(conversation_ids)
    topics = {flow_id: flow_topics(flow) for flow_id, flow in flows.items()}
    for start in range(0, len(ids), BATCH):
        total += _delete_batch(conn, ids[start : start + BATCH], now, flows, topics)
    return total


def _delete_batch(
    conn: Connection,
    ids: list[int],
    now: datetime,
    flows: Mapping[str, Flow],
    topics: dict[str, frozenset[str]],
) -> Deleted:
    messages = conn.execute(
        delete(_transcripts).where(_transcripts.c.conversation_id.in_(ids))
    ).rowcount
    answers = conn.execute(
        delete(_answers).where(_answers.c.conversation_id.in_(ids), _answers.c.answer_key == "")
    ).rowcount
    kept = conn.execute(
        select(_answers.c.id, _answers.c.topic, _answers.c.question_id, Consultation.flow_id)
        .join(Consultation, Consultation.id == _answers.c.consultation_id)
        .where(_answers.c.conversation_id.in_(ids), _answers.c.topic != "")
    ).all()
    typed = [
        {
            "answer_id": row.id,
            "new_topic": TYPED_TOPIC_KEY,
            "new_question": _question(flows.get(row.flow_id), row.question_id),
        }
        for row in kept
        if row.topic not in topics.get(row.flow_id, ()) and row.topic != TYPED_TOPIC_KEY
    ]
    if typed:
        conn.execute(_RETOPIC, typed)
    # updated_at moves on, so the results count again and show none of the words.
    conn.execute(
        update(_conversations)
        .where(_conversations.c.id.in_(ids))
        .values(state={}, text_deleted_at=now, updated_at=now)
    )
    return Deleted(answers or 0, messages or 0, len(typed))
