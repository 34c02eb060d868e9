"""Benchmark: the hourly look for people who wrote but never joined, among 100,000 who did.

    python bench/never_joined.py                        # 100,000 people, 1,000 strangers
    python bench/never_joined.py --people 20000 --strangers 200

The people who took part are built as `bench/erase_one.py` builds them (straight into a
migrated SQLite file). The strangers each sent "hello" two days ago and got one reply,
sent. Timed: the run that forgets the strangers, then the run an hour later that finds
nothing (what every `voicebox serve` pays each hour).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta

from erase_one import built, person_row, sent_reply
from sqlalchemy import func, insert, select

from voicebox.bot.messages import utcnow
from voicebox.storage.database import Database
from voicebox.storage.models import OutboxMessage, Participant, table
from voicebox.storage.never_joined import forget_never_joined


def add_strangers(database: Database, first: int, count: int) -> None:
    """People who wrote two days ago with no code, each with the reply that went."""
    at = utcnow() - timedelta(days=2)
    numbers = range(first, first + count)
    with database.transaction() as conn:
        conn.execute(
            insert(table(Participant)),
            [person_row(n, f"sms:+4479{n:08d}", f"Stranger-{n:07d}", False, at) for n in numbers],
        )
        conn.execute(
            insert(table(OutboxMessage)),
            [sent_reply(n, "Hi, this is Voicebox.", at) for n in numbers],
        )


def main() -> int:
    """Build, forget, look again; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--strangers", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database, seconds = built(folder, args.people)
        began = time.perf_counter()
        add_strangers(database, args.people + 1, args.strangers)
        seconds += time.perf_counter() - began
        print(f"built {args.people:,} people and {args.strangers:,} strangers in {seconds:.1f} s")
        began = time.perf_counter()
        forgotten = forget_never_joined(database)
        took = time.perf_counter() - began
        print(f"forgot {forgotten:,} strangers in {took * 1000:.0f} ms")
        began = time.perf_counter()
        again = forget_never_joined(database)
        idle = time.perf_counter() - began
        print(f"the next look, with no one to forget: {idle * 1000:.0f} ms ({again} forgotten)")
        with database.reading() as conn:
            left = conn.scalar(select(func.count()).select_from(table(Participant)))
        database.dispose()
        print(f"people kept: {left:,} (expected {args.people:,})")
        return 0 if forgotten == args.strangers and left == args.people else 1


if __name__ == "__main__":
    sys.exit(main())
