"""Benchmark: erasing one person among 100,000 on SQLite (issue 13: under 1 s).

    python bench/erase_one.py                     # 100,000 people, 5 erasures timed
    python bench/erase_one.py --people 20000 --repeat 3

Each person texted once: one conversation in one check-in, 6 answers (topic, feeling, three
typed answers, hearing back), 14 transcript messages, one delivered outbox message, and one
in 500 a closed safeguarding flag with a review. Rows go straight into a migrated SQLite
file in a temporary folder with executemany (the engine would take far longer). Then
`erase_person` runs on people spread through the table, each timed from the call to its
commit, and the query plans of the statements it runs are checked: none may read a whole
table or index (SQLite's SCAN), but the partial index of a day's kept replies.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from voicebox.flows import load_builtin_flows
from voicebox.storage.database import Database
from voicebox.storage.erasure import erase_person, find_person
from voicebox.storage.models import (
    Answer,
    Consultation,
    Conversation,
    FlagReview,
    OutboxMessage,
    Participant,
    SafeguardingFlag,
    TranscriptMessage,
    Worker,
    table,
)
from voicebox.storage.pseudonyms import address_key

SECRET = b"bench-secret-0123456789abcdef"
FLOWS = load_builtin_flows()  # as `voicebox serve` has them from the start
START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
BATCH = 5_000
ANSWERS = [
    ("feeling", "How do you feel about school or college?", "Good", "good", "feeling"),
    ("good", "What is good about school or college?", "My teacher helps me", "", "top"),
    ("not_good", "What is not good about school or college?", "The noise at lunch", "", "pants"),
    ("better", "What would make school or college better?", "A quiet room", "", "better"),
    ("hear_back", "Do you want to hear what we do with your answers?", "Yes", "yes", "choice"),
]


def _address(n: int) -> str:
    return f"sms:+4477{n:08d}"


def sent_reply(participant_id: int, text: str, at: datetime) -> dict:
    """An outbox row for a text message that went to this person."""
    return {
        "channel": "sms",
        "participant_id": participant_id,
        "body": {"text": text},
        "purpose": "reply",
        "status": "sent",
        "attempts": 1,
        "next_attempt_at": at,
        "created_at": at,
    }


def person_row(n: int, address: str, pseudonym: str, report_back: bool, at: datetime) -> dict:
    """A participant row for a text message sender, with id `n`."""
    return {
        "id": n,
        "channel": "sms",
        "key_hash": address_key(SECRET, "sms", address),
        "pseudonym": pseudonym,
        "address": address,
        "opted_out": False,
        "report_back": report_back,
        "created_at": at,
        "updated_at": at,
    }


def build(database: Database, people: int) -> None:
    """People, conversations, answers, transcript rows, outbox rows and a few flags."""
    with database.transaction() as conn:
        consultation = conn.execute(
            insert(table(Consultation))
            .values(
                code="BENCH",
                title="Bench",
                flow_id="tops_and_pants",
                flow_version=2,
                status="open",
                intro="",
                created_at=START,
            )
            .returning(table(Consultation).c.id)
        ).scalar_one()
        worker = conn.execute(
            insert(table(Worker))
            .values(email="lead@example.org", password_hash="x", role="admin", active=True)
            .returning(table(Worker).c.id)
        ).scalar_one()
    for first in range(1, people + 1, BATCH):
        numbers = range(first, min(first + BATCH, people + 1))
        at = START
        with database.transaction() as conn:
            conn.execute(
                insert(table(Participant)),
                [person_row(n, _address(n), f"Bench-{n:07d}", True, at) for n in numbers],
            )
            conn.execute(
                insert(table(Conversation)),
                [
                    {
                        "id": n,
                        "participant_id": n,
                        "consultation_id": consultation,
                        "channel": "sms",
                        "step": "goodbye",
                        "consent": "given",
                        "flagged": n % 500 == 0,
                        "state": {"given": {"good|school": {"text": "My teacher helps me"}}},
                        "started_at": at,
                        "updated_at": at,
                    }
                    for n in numbers
                ],
            )
            conn.execute(
                insert(table(Answer)),
                [
                    {
                        "conversation_id": n,
                        "consultation_id": consultation,
                        "participant_id": n,
                        "seq": seq,
                        "channel": "sms",
                        "question_id": qid,
                        "question": question,
                        "answer": answer,
                        "answer_key": key,
                        "kind": kind,
                        "topic": "school_or_college",
                        "answered_at": at,
                    }
                    for n in numbers
                    for seq, (qid, question, answer, key, kind) in enumerate(ANSWERS)
                ],
            )
            conn.execute(
                insert(table(TranscriptMessage)),
                [
                    {
                        "conversation_id": n,
                        "direction": "in" if i % 2 else "out",
                        "text": f"message {i} of person {n}",
                        "step": "good",
                        "created_at": at,
                    }
                    for n in numbers
                    for i in range(14)
                ],
            )
            conn.execute(
                insert(table(OutboxMessage)), [sent_reply(n, "Thank you", at) for n in numbers]
            )
            flagged = [n for n in numbers if n % 500 == 0]
            if flagged:
                conn.execute(
                    insert(table(SafeguardingFlag)),
                    [
                        {
                            "id": n,
                            "conversation_id": n,
                            "participant_id": n,
                            "category": "harm",
                            "phrase": "want to die",
                            "status": "acted",
                            "created_at": at,
                        }
                        for n in flagged
                    ],
                )
                conn.execute(
                    insert(table(FlagReview)),
                    [
                        {
                            "flag_id": n,
                            "worker_id": worker,
                            "status": "acted",
                            "note": "Rang the lead",
                            "created_at": at + timedelta(hours=1),
                        }
                        for n in flagged
                    ],
                )


SCANS = [
    "SELECT id FROM conversations WHERE participant_id = 1",
    "DELETE FROM transcript_messages WHERE conversation_id IN (1)",
    "DELETE FROM answers WHERE conversation_id IN (1) AND answer_key = ''",
    "SELECT id FROM safeguarding_flags WHERE (participant_id = 1 OR conversation_id IN (1))"
    " AND status IN ('new', 'seen')",
    "DELETE FROM outbox WHERE participant_id = 1",
    "SELECT id FROM participants WHERE key_hash = 'x'",
    "SELECT id FROM participants WHERE pseudonym = 'x'",
    "UPDATE inbound_message_ids SET reply = NULL WHERE reply IS NOT NULL AND sender_key = 'x'",
]
# The one scan allowed: the partial index of replies kept for a day (a day's rows at most).
DAY_OF_REPLIES = "ix_inbound_message_ids_replies"


def plans(database: Database) -> list[str]:
    """Statements whose SQLite plan reads a whole table or a whole index (SCAN)."""
    bad = []
    with database.reading() as conn:
        for statement in SCANS:
            for row in conn.execute(text(f"EXPLAIN QUERY PLAN {statement}")):
                detail = row[-1]
                if detail.startswith("SCAN") and DAY_OF_REPLIES not in detail:
                    bad.append(f"{statement}: {detail}")
    return bad


def built(folder: str, people: int) -> tuple[Database, float]:
    """A migrated SQLite file in `folder` with `people` built as above; seconds to build."""
    database = Database(f"sqlite:///{Path(folder) / 'bench.db'}")
    database.upgrade()
    began = time.perf_counter()
    build(database, people)
    return database, time.perf_counter() - began


def main() -> int:
    """Build, erase some people, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database, seconds = built(folder, args.people)
        print(f"built {args.people:,} people in {seconds:.1f} s")
        scans = plans(database)
        for line in scans:
            print(f"FULL SCAN: {line}")
        times = []
        targets = [1 + i * (args.people - 1) // max(args.repeat - 1, 1) for i in range(args.repeat)]
        targets = [500 if t % 500 else t for t in targets[:1]] + targets[1:]  # one with a flag
        for n in targets:
            person = find_person(database, SECRET, "sms", _address(n)[4:])
            assert person is not None, n
            began = time.perf_counter()
            result = erase_person(database, person.participant_id, None, FLOWS)
            times.append(time.perf_counter() - began)
            assert result.outcome == "erased", result
            print(
                f"erased person {n:,}: {times[-1] * 1000:.1f} ms "
                f"({result.counts.answers} typed answers, {result.counts.messages} messages, "
                f"{result.counts.flags} flags, {result.counts.waiting} outbox rows)"
            )
        median, worst = statistics.median(times) * 1000, max(times) * 1000
        print(
            f"erasing one person among {args.people:,}: median {median:.1f} ms, "
            f"worst {worst:.1f} ms (goal: under 1,000 ms)"
        )
        database.dispose()
        return 1 if scans or max(times) >= 1.0 else 0


if __name__ == "__main__":
    sys.exit(main())
