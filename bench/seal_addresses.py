"""Benchmark: migration 0019 sealing old plain addresses, and one seal and one open.

    python bench/seal_addresses.py                    # 100,000 people on SQLite
    python bench/seal_addresses.py --people 20000 --postgres postgresql://u:pw@127.0.0.1/bench

A database at migration 0016 gets that many participants with plain phone numbers (written
in SQL, as an older Voicebox kept them); then `Database.upgrade()` runs with the key, as
`voicebox serve` does, and the time of the whole upgrade is printed (on SQLite it includes
emptying the write-ahead log). This is a script, not a test.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import timeit
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import insert, select

from voicebox.bot.messages import utcnow
from voicebox.storage.addresses import PREFIX, AddressSeal, unlock
from voicebox.storage.database import MIGRATIONS_DIR, Database
from voicebox.storage.models import Participant
from voicebox.storage.pseudonyms import address_key

SECRET = b"bench-secret-key-0123456789abcdef"


def _old_database(database: Database, people: int) -> None:
    """The schema of 0016 with `people` plain rows."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0016")
    now = utcnow()
    for start in range(0, people, 10_000):
        rows = [
            {
                "channel": "sms",
                "key_hash": address_key(SECRET, "sms", f"sms:+447{n:09d}"),
                "pseudonym": f"P-{n}",
                "address": f"sms:+447{n:09d}",
                "opted_out": False,
                "report_back": False,
                "created_at": now,
                "updated_at": now,
            }
            for n in range(start, min(people, start + 10_000))
        ]
        with database.transaction() as conn:
            conn.execute(insert(Participant.__table__), rows)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database")
    args = parser.parse_args(argv)
    seal = AddressSeal(SECRET)
    kept = seal.seal("sms:+447700900123", "k" * 64)
    number = 20_000
    sealing = min(timeit.repeat(lambda: seal.seal("sms:+447700900123", "k" * 64), number=number))
    opening = min(timeit.repeat(lambda: seal.open(kept, "k" * 64), number=number))
    print(f"one seal {sealing / number * 1e6:.1f} µs, one open {opening / number * 1e6:.1f} µs")
    with tempfile.TemporaryDirectory() as folder:
        url = args.postgres or f"sqlite:///{Path(folder) / 'voicebox.db'}"
        database = Database(url)
        try:
            _old_database(database, args.people)
            unlock(database, SECRET)
            began = time.perf_counter()
            database.upgrade()
            took = time.perf_counter() - began
            with database.reading() as conn:
                left = conn.execute(
                    select(Participant.id).where(~Participant.address.like(f"{PREFIX}%")).limit(1)
                ).first()
        finally:
            database.dispose()
    print(
        f"{database.dialect}: sealed {args.people:,} old addresses in {took:.2f} s "
        f"({args.people / took:,.0f} a second); plain left: {'some' if left else 'none'}"
    )
    return 0 if left is None else 1


if __name__ == "__main__":
    sys.exit(main())
