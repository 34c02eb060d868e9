"""Many answers at once for export tests: rows written straight into the tables with
SQLAlchemy Core (a real check-in through the engine costs about 1 ms a message)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select

from voicebox.storage.database import Database
from voicebox.storage.models import Answer, Consultation, Conversation, Participant, table

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
ROWS = (  # question id, kind, question, answer, answer key
    ("feeling", "feeling", "How do you feel about school or college?", "Good", "good"),
    ("good", "top", "What is good about school or college?", "My teacher listens", ""),
    ("not_good", "pants", "What is not good about school or college?", "=SUM(A1) noisy", ""),
    ("better", "better", "What would make school or college better?", "Text 07700 900123", ""),
)


def add_answers(database: Database, code: str, people: int, start: int = 0) -> int:
    """Add `people` finished check-ins to the consultation CODE, 4 answers each (one typed
    answer holds a phone number); return how many answers it now has."""
    with database.transaction() as conn:
        consultation_id = conn.scalar(select(Consultation.id).where(Consultation.code == code))
        assert consultation_id is not None, code
        conn.execute(
            insert(table(Participant)),
            [
                {
                    "channel": "sms",
                    "key_hash": hashlib.sha256(f"{code}-{n}".encode()).hexdigest(),
                    "pseudonym": f"Bulk{code}-{n}",
                    "address": f"sms:+4477{n:08d}",
                }
                for n in range(start, start + people)
            ],
        )
        ids = dict(
            conn.execute(
                select(Participant.pseudonym, Participant.id).where(
                    Participant.pseudonym.like(f"Bulk{code}-%")
                )
            ).all()
        )
        conn.execute(
            insert(table(Conversation)),
            [
                {
                    "participant_id": ids[f"Bulk{code}-{n}"],
                    "consultation_id": consultation_id,
                    "channel": "sms",
                    "step": "goodbye",
                    "consent": "given",
                    "state": {},
                }
                for n in range(start, start + people)
            ],
        )
        conversations = dict(
            conn.execute(
                select(Conversation.participant_id, Conversation.id).where(
                    Conversation.consultation_id == consultation_id
                )
            ).all()
        )
        conn.execute(
            insert(table(Answer)),
            [
                {
                    "conversation_id": conversations[ids[f"Bulk{code}-{n}"]],
                    "consultation_id": consultation_id,
                    "participant_id": ids[f"Bulk{code}-{n}"],
                    "seq": seq,
                    "channel": "sms",
                    "question_id": question_id,
                    "question": question,
                    "answer": answer,
                    "answer_key": key,
                    "kind": kind,
                    "topic": "school",
                    "answered_at": START + timedelta(seconds=n),
                }
                for n in range(start, start + people)
                for seq, (question_id, kind, question, answer, key) in enumerate(ROWS)
            ],
        )
        return int(
            conn.scalar(
                select(func.count(Answer.id)).where(Answer.consultation_id == consultation_id)
            )
        )
