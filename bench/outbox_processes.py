"""Benchmark: the outbox with two `voicebox serve` processes on one PostgreSQL database.

    python bench/outbox_processes.py                       # 10,000 texts, then the kill -9 run
    python bench/outbox_processes.py --texts 2000 --postgres postgresql://u:p@127.0.0.1/db

1. Duplicates: TEXTS texts are queued for 500 people; two serve processes send them to a
   fake Twilio on 127.0.0.1 that answers in 10 ms, and now and then fails after taking the
   text: every 50th answers after our 1 s timeout, every 97th answers 500. Prints the texts
   Twilio got twice (target 0), how many were looked up first, and the send rate.
2. kill -9: 2,000 texts and two processes; once 500 are sent, one process is killed with
   SIGKILL while a text is on the wire. Prints how many rows it held, the seconds until
   every text was sent, and the texts Twilio got twice.

Without --postgres, a throwaway PostgreSQL server is started (Debian's postgresql package).
This is a script, not a test: it prints its figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from served import Server, postgres_url  # noqa: E402
from sqlalchemy import text  # noqa: E402

from tests.channels.sms_harness import (  # noqa: E402
    SMS_ACCOUNT,
    SMS_OUR_NUMBER,
    SMS_TOKEN,
    FakeTwilio,
    fake_twilio_server,
)
from tests.faults.outbox_load import queue_texts, statuses  # noqa: E402
from voicebox.storage.database import Database  # noqa: E402


def _env(twilio: FakeTwilio) -> dict[str, str]:
    return {
        "VOICEBOX_TWILIO_ACCOUNT_SID": SMS_ACCOUNT,
        "VOICEBOX_TWILIO_AUTH_TOKEN": SMS_TOKEN,
        "VOICEBOX_TWILIO_FROM": SMS_OUR_NUMBER,
        "VOICEBOX_TWILIO_API_URL": twilio.url,
        "VOICEBOX_TWILIO_RATE": "100000",
        "VOICEBOX_TWILIO_TIMEOUT": "1",
    }


def _fresh(database: Database) -> None:
    with database.transaction() as conn:
        conn.execute(text("DELETE FROM outbox"))
        conn.execute(text("DELETE FROM participants"))
        conn.execute(text("DELETE FROM rate_limits"))


def _wait_sent(database: Database, count: int, show: bool = True) -> float:
    start = time.monotonic()
    shown = 0.0
    while statuses(database)["sent"] < count:
        if show and time.monotonic() - shown > 10:
            print(f"  ... {dict(statuses(database))}", file=sys.stderr)
            shown = time.monotonic()
        time.sleep(0.2)
    return time.monotonic() - start


def _twice(twilio: FakeTwilio) -> int:
    return sum(1 for n in Counter(twilio.sent_bodies()).values() if n > 1)


def duplicates(url: str, database: Database, count: int) -> None:
    """Run 1: two processes, a slow provider that sometimes fails."""
    _fresh(database)
    words = queue_texts(database, count, people=500)

    def plan(n: int) -> tuple[float, int | None]:
        if n % 97 == 0:
            return 0.0, 500
        if n % 50 == 0:
            return 1.5, None
        return 0.01, None

    with fake_twilio_server() as twilio:
        twilio.plan = plan
        servers = [Server(None, _env(twilio), database_url=url) for _ in range(2)]
        try:
            seconds = _wait_sent(database, len(words))
        finally:
            for server in servers:
                server.stop()
        got = Counter(twilio.sent_bodies())
        print(
            f"duplicates: {count:,} texts, 2 processes: {_twice(twilio)} sent twice, "
            f"{len(words) - len(got)} missing; {len(twilio.lookups)} were in doubt (a timeout "
            f"or a 500 after Twilio took them) and were looked up, not sent again; "
            f"{seconds:.1f} s ({count / seconds:.0f} texts/s)"
        )


def killed(url: str, database: Database, count: int = 2000) -> None:
    """Run 2: kill -9 one of two processes mid-send."""
    _fresh(database)
    words = queue_texts(database, count, people=200)
    with fake_twilio_server() as twilio:
        twilio.plan = lambda n: (5.0, None) if n == 500 else (0.005, None)
        first = Server(None, _env(twilio), database_url=url)
        second = None
        try:
            while len(twilio.calls) < 500:  # the 500th hangs on the wire
                time.sleep(0.01)
            os.kill(first.process.pid, signal.SIGKILL)
            first.process.wait()
            start = time.monotonic()
            with database.reading() as conn:
                held = list(conn.execute(text("SELECT id FROM outbox WHERE status = 'sending'")))
            second = Server(None, _env(twilio), database_url=url)
            up = time.monotonic() - start
            while True:
                with database.reading() as conn:
                    left = conn.execute(
                        text(
                            "SELECT count(*) FROM outbox"
                            " WHERE status = 'sending' AND id = ANY(:ids)"
                        ),
                        {"ids": [row.id for row in held]},
                    ).scalar_one()
                if not left:
                    break
                time.sleep(0.1)
            taken_back = time.monotonic() - start
            _wait_sent(database, len(words), show=False)
            seconds = time.monotonic() - start
        finally:
            first.stop()
            if second is not None:
                second.stop()
        print(
            f"kill -9: {count:,} texts; the sending process killed mid-send after 500: "
            f"it held {len(held)} row(s), sent {taken_back:.1f} s after the kill (a new process "
            f"was up after {up:.1f} s); all {count:,} sent after {seconds:.1f} s; "
            f"{_twice(twilio)} sent twice; "
            f"{len(words) - len(set(twilio.sent_bodies()))} missing"
        )


def main() -> None:
    """Run both and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=10_000)
    parser.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database")
    args = parser.parse_args()
    print(f"{platform.python_version()} on {os.cpu_count()} CPUs")
    with postgres_url(args.postgres) as url:
        database = Database(url)
        try:
            database.upgrade()
            duplicates(url, database, args.texts)
            killed(url, database)
        finally:
            database.dispose()


if __name__ == "__main__":
    main()
