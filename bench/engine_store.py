"""Benchmark: complete check-ins through the real Engine and SqlStore, in one process.

    python bench/engine_store.py                      # 500 check-ins on SQLite, best of 3
    python bench/engine_store.py --checkins 2000 --runs 1
    python bench/engine_store.py --postgres postgresql://user:pw@127.0.0.1:5432/bench
    python bench/engine_store.py --profile            # where the time goes (cProfile)

Each check-in is a new person on SMS (with a provider message id, so the duplicate check
runs): join DEMO, consent, a topic, a feeling, what is good, what is not good, what would
make it better, no other topic, and yes to hearing back. Every Engine.handle call is
timed with time.perf_counter; it is one database transaction. This is a script, not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import MetaData, func, select, text

from voicebox.bot.engine import Engine
from voicebox.bot.messages import InboundMessage, OutboundMessage
from voicebox.bot.ports import TurnContext
from voicebox.bot.state import ConsultationRef, Participant
from voicebox.flows import load_builtin_flows
from voicebox.storage.consultations import ensure_demo
from voicebox.storage.database import Database, DatabaseError
from voicebox.storage.models import Answer, Conversation
from voicebox.storage.store import SqlStore

SECRET = b"benchmark-secret-key-not-for-production-0123456789"
# What one person sends, in order, and the step each message should leave them on.
CHECK_IN = (
    ("DEMO", "consent"),
    ("yes", "topic"),
    ("1", "feeling"),  # school or college
    ("2", "good"),  # feeling: good
    ("The teachers explain things and listen to me", "not_good"),
    ("The bus is late most days", "better"),
    ("More time to eat lunch", "another"),
    ("2", "hear_back"),  # no other topic
    ("1", "goodbye"),  # yes, tell me what you do
)
ANSWERS_PER_CHECK_IN = 4  # feeling, good, not good, better


@dataclass
class Result:
    """One run's figures."""

    checkins: int
    messages: int
    seconds: float
    latencies: list[float]
    cpu_seconds: float = 0.0

    @property
    def per_second(self) -> float:
        """Messages handled per second of wall time."""
        return self.messages / self.seconds

    def percentile(self, fraction: float) -> float:
        """A latency percentile, in milliseconds (nearest rank)."""
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
        return ordered[index] * 1000

    def line(self, label: str) -> str:
        """The run as one line."""
        return (
            f"{label}: {self.checkins} check-ins, {self.messages} messages in "
            f"{self.seconds:.2f} s = {self.per_second:,.0f} messages/s; per message "
            f"p50 {self.percentile(0.50):.2f} ms, p99 {self.percentile(0.99):.2f} ms, "
            f"max {max(self.latencies) * 1000:.2f} ms; {self.cpu_seconds:.2f} s CPU"
        )


@contextmanager
def _sqlite_database() -> Iterator[Database]:
    with tempfile.TemporaryDirectory(prefix="voicebox-bench-") as folder:
        database = Database(f"sqlite:///{Path(folder) / 'bench.db'}")
        try:
            yield database
        finally:
            database.dispose()


@contextmanager
def _postgres_database(url: str) -> Iterator[Database]:
    database = Database(url)
    database.check()  # one human line when it does not answer
    metadata = MetaData()
    with database.engine.connect() as connection:
        metadata.reflect(connection)
    if metadata.tables:
        database.dispose()
        raise SystemExit(
            "the PostgreSQL database is not empty; give the benchmark an empty database "
            "of its own (it drops every table it made after each run)"
        )
    try:
        yield database
    finally:
        _drop_everything(database)
        database.dispose()


def _drop_everything(database: Database) -> None:
    metadata = MetaData()
    with database.engine.begin() as connection:
        metadata.reflect(connection)
        metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def run(database: Database, checkins: int, profile: cProfile.Profile | None = None) -> Result:
    """Push `checkins` complete check-ins through a new engine and store on `database`."""
    database.upgrade()
    flows = load_builtin_flows()
    ensure_demo(database, flows)
    engine = Engine(flows.values(), SqlStore(database, SECRET, outbox_channels=("telegram",)))
    run_id = uuid.uuid4().hex[:8]
    latencies: list[float] = []
    clock = time.perf_counter
    if profile is not None:
        profile.enable()
    cpu, started = time.process_time(), clock()
    for person in range(checkins):
        address = f"sms:+4477{person:08d}"
        for turn, (body, step) in enumerate(CHECK_IN):
            inbound = InboundMessage("sms", address, body, message_id=f"SM{run_id}{person}x{turn}")
            before = clock()
            result = engine.handle(inbound)
            latencies.append(clock() - before)
            _expect(result.replies, step, person, turn)
    seconds, cpu = clock() - started, time.process_time() - cpu
    if profile is not None:
        profile.disable()
    _check_stored(database, checkins)
    return Result(checkins, len(latencies), seconds, latencies, cpu)


def run_engine_only(checkins: int) -> Result:
    """The same check-ins through Engine.resume and Engine.result with no store."""
    flows = load_builtin_flows()
    engine = Engine(flows.values())
    demo = ConsultationRef("DEMO", "tops_and_pants", flows["tops_and_pants"].version)
    latencies: list[float] = []
    clock = time.perf_counter
    cpu, started = time.process_time(), clock()
    for person in range(checkins):
        address = f"sms:+4477{person:08d}"
        context = TurnContext(Participant(f"Otter-{person}"), None, lambda code: demo)
        for turn, (body, step) in enumerate(CHECK_IN):
            inbound = InboundMessage("sms", address, body, message_id=f"SM{person}x{turn}")
            before = clock()
            outcome = engine.resume(context, inbound)
            engine.result(context, outcome)
            latencies.append(clock() - before)
            context.conversation = outcome.conversation or context.conversation
            _expect(outcome.replies, step, person, turn)
    seconds, cpu = clock() - started, time.process_time() - cpu
    return Result(checkins, len(latencies), seconds, latencies, cpu)


def _expect(replies: Sequence[OutboundMessage], step: str, person: int, turn: int) -> None:
    if not replies or replies[-1].step_id != step:
        raise SystemExit(
            f"check-in {person}, message {turn + 1} ({CHECK_IN[turn][0]!r}) went wrong: "
            f"{[r.as_text() for r in replies]}"
        )


def _check_stored(database: Database, checkins: int) -> None:
    """The figures only count if every check-in really ended and kept its answers."""
    with database.engine.connect() as connection:
        ended = connection.scalar(
            select(func.count(Conversation.id)).where(Conversation.ended_at.is_not(None))
        )
        answers = connection.scalar(select(func.count(Answer.id)))
    if ended != checkins or answers != checkins * ANSWERS_PER_CHECK_IN:
        raise SystemExit(
            f"expected {checkins} ended check-ins and {checkins * ANSWERS_PER_CHECK_IN} "
            f"answers, found {ended} and {answers}"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print messages/s and latency per message."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkins", type=int, default=500, help="check-ins per run (500)")
    parser.add_argument("--runs", type=int, default=3, help="runs on a fresh database (3)")
    parser.add_argument("--postgres", metavar="URL", help="use this PostgreSQL database")
    parser.add_argument("--profile", action="store_true", help="print where the time goes")
    parser.add_argument(
        "--engine-only", action="store_true", help="no store: time Engine.resume alone"
    )
    args = parser.parse_args(argv)
    if args.checkins < 1 or args.runs < 1:
        parser.error("--checkins and --runs must be at least 1")
    where = "PostgreSQL" if args.postgres else "SQLite (WAL, file in a temp folder)"
    if args.engine_only:
        where = "engine only, no store"
    print(
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} cores; {where}; {len(CHECK_IN)} messages per check-in"
    )
    results: list[Result] = []
    profile = cProfile.Profile() if args.profile else None
    for number in range(1, args.runs + 1):
        if args.engine_only:
            results.append(run_engine_only(args.checkins))
            print(results[-1].line(f"run {number}"), flush=True)
            continue
        fresh = _postgres_database(args.postgres) if args.postgres else _sqlite_database()
        try:
            with fresh as database:
                result = run(database, args.checkins, profile)
        except DatabaseError as error:
            raise SystemExit(f"engine_store: {error}") from None
        results.append(result)
        print(result.line(f"run {number}"), flush=True)
    best = max(results, key=lambda r: r.per_second)
    print(best.line(f"best of {len(results)}"))
    if profile is not None:
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).strip_dirs().sort_stats("tottime")
        stats.print_stats(25)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
