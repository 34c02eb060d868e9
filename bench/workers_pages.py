"""Benchmark: a check-in's results page, live view, live results and conversations list.

    python bench/workers_pages.py                          # 100,000 check-ins in one, SQLite
    python bench/workers_pages.py --checkins 10000         # quicker to fill
    python bench/workers_pages.py --checkins-per 1000      # 100 check-ins of 1,000 each
    python bench/workers_pages.py --postgres postgresql://user:pw@127.0.0.1:5432/bench

It fills an empty database with check-ins (10 answers each, about 1,000,000 answers for
100,000), straight into the tables: the engine would take hours. Then it signs in as an
admin with Flask's test client and asks for the pages. "First" is the first page after
an answer changed: the results are counted in SQL (unless counting took more than SLOW,
when the results kept serve for PATIENCE times as long). "Again" is every page after it
while nothing changes: the results kept are checked with two small queries. This is a
script, not a test.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, text

from voicebox.app import build_services, create_app
from voicebox.bot.messages import InboundMessage
from voicebox.channels.registry import build_channels
from voicebox.settings import Settings
from voicebox.storage.database import Database
from voicebox.storage.models import Answer, Consultation, Conversation, Participant, table
from voicebox.storage.results import SLOW, read_results
from voicebox.storage.workers import create_worker

SECRET = "benchmark-secret-key-not-for-production-0123456789"
PASSWORD = "a long benchmark password"
TOPICS = ["school", "home", "health", "getting_around", "clubs_and_fun", "people_who_help"]
FEELINGS = ["very_good", "good", "ok", "not_good", "bad"]
CHANNELS = ["sms", "web", "web", "sms"]
WORDS = {
    "top": ["The teachers listen to me", "My friends", "Quiet time at lunch"],
    "pants": ["The bus is late most days", "Too noisy", "No one explains things"],
    "better": ["More time to eat lunch", "A quiet room", "Tell me what happens next"],
}
PAGES = (
    "results",
    "live",
    "live/latest",
    "conversations",  # the newest 50
    "conversations?page=1000",  # far back in the list
    "conversations?topic=school&kind=pants",  # filtered by what the answers are
    "conversations?words=bus",  # words typed in any answer
)
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def fill(database: Database, checkins: int, per: int, start: datetime) -> list[str]:
    """Check-ins of `per` people each: two topics a person, a feeling and three typed
    answers a topic, then two answers without a topic (10 answers). Returns the codes."""
    rnd = random.Random(7)
    codes = []
    batch = 5_000
    people = 0
    with database.transaction() as conn:
        for number in range(max(1, -(-checkins // per))):
            code = f"BENCH{number}"
            conn.execute(
                insert(table(Consultation)).values(
                    code=code, title=f"Bench {number}", flow_id="tops_and_pants", flow_version=2
                )
            )
            codes.append(code)
        ids = dict(conn.execute(select(Consultation.code, Consultation.id)).all())
    while people < checkins:
        participants, conversations, answers = [], [], []
        for n in range(people, min(checkins, people + batch)):
            channel = CHANNELS[n % len(CHANNELS)]
            when = start + timedelta(seconds=n * 30)
            consultation = ids[codes[n // per]]
            participants.append(
                {
                    "id": n + 1,
                    "channel": channel,
                    "key_hash": f"bench-{n}",
                    "pseudonym": f"Bench-{n}",
                    "address": f"{channel}:bench-{n}",
                    "created_at": when,
                    "updated_at": when,
                }
            )
            conversations.append(
                {
                    "id": n + 1,
                    "participant_id": n + 1,
                    "consultation_id": consultation,
                    "channel": channel,
                    "step": "goodbye",
                    "consent": "given",
                    "flagged": False,
                    "state": {},
                    "started_at": when,
                    "updated_at": when,
                    "ended_at": when,
                }
            )
            rows = []
            for topic in rnd.sample(TOPICS, 2):
                feeling = rnd.choice(FEELINGS)
                rows.append(("feeling", feeling, feeling.replace("_", " "), topic))
                rows += [(kind, "", rnd.choice(WORDS[kind]), topic) for kind in WORDS]
            rows += [("choice", "yes", "Yes", ""), ("text", "", "Thank you", "")]
            answers += [
                {
                    "conversation_id": n + 1,
                    "consultation_id": consultation,
                    "participant_id": n + 1,
                    "seq": seq,
                    "channel": channel,
                    "question_id": kind,
                    "question": "A question?",
                    "answer": words,
                    "answer_key": key,
                    "kind": kind,
                    "topic": topic,
                    "answered_at": when,
                }
                for seq, (kind, key, words, topic) in enumerate(rows)
            ]
        with database.transaction() as conn:
            conn.execute(insert(table(Participant)), participants)
            conn.execute(insert(table(Conversation)), conversations)
            conn.execute(insert(table(Answer)), answers)
        people += len(participants)
        print(f"  {people:,} check-ins", end="\r", flush=True)
    if database.dialect == "postgresql":
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("SELECT setval('participants_id_seq', :n)"), {"n": checkins})
            conn.execute(text("SELECT setval('conversations_id_seq', :n)"), {"n": checkins})
            conn.execute(text("VACUUM ANALYZE"))
    print()
    return codes


def percentile(values: list[float], fraction: float) -> float:
    """A percentile in milliseconds (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkins", type=int, default=100_000, help="people (100,000)")
    parser.add_argument(
        "--checkins-per", type=int, help="people in each check-in (default: all in one)"
    )
    parser.add_argument("--requests", type=int, default=200, help="pages asked for, each kind")
    parser.add_argument("--counts", type=int, default=3, help="times to count in SQL alone")
    parser.add_argument("--postgres", metavar="URL", help="use this empty PostgreSQL database")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="voicebox-bench-results-"))
    url = args.postgres or f"sqlite:///{folder / 'voicebox.db'}"
    settings = Settings(database_url=url, secret_key=SECRET)
    channels = build_channels({})
    services = build_services(settings, channels)
    database = services.database
    database.upgrade()
    print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs")
    print(f"{database.dialect}: filling {args.checkins:,} check-ins...")
    began = time.perf_counter()
    codes = fill(
        database,
        args.checkins,
        args.checkins_per or args.checkins,
        datetime(2026, 1, 5, tzinfo=UTC),
    )
    print(f"filled in {time.perf_counter() - began:.0f} s")
    create_worker(database, "bench@example.org", PASSWORD, "admin")
    code = codes[-1]
    with database.reading() as conn:
        answers = conn.scalar(text("SELECT count(*) FROM answers")) or 0
    print(f"{answers:,} answers; the page is for {code}")

    app = create_app({"TESTING": False}, settings=settings, services=services, channels=channels)
    client = app.test_client()
    token = _TOKEN.search(client.get("/workers/login").get_data(as_text=True))
    assert token, "no sign-in form"
    data = {"email": "bench@example.org", "password": PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/workers/login", data=data).status_code == 302

    def ask(page: str) -> float:
        started = time.perf_counter()
        response = client.get(f"/workers/checkins/{code}/{page}")
        took = time.perf_counter() - started
        assert response.status_code == 200, response.status_code
        response.close()
        return took

    flow = services.engine.flows["tops_and_pants"]
    counting = []
    for _ in range(args.counts):
        started = time.perf_counter()
        read_results(database, code, None, flow)
        counting.append(time.perf_counter() - started)
    print(f"\ncounting the results in SQL: {', '.join(f'{t * 1000:.0f} ms' for t in counting)}")
    first = ask("results")
    print(f"first page (counts them):    {first * 1000:.0f} ms")
    services.engine.handle(InboundMessage("web", "web:bench-new", "", consultation=code))
    services.engine.handle(InboundMessage("web", "web:bench-new", "yes", consultation=code))
    after = ask("results")
    kept = "kept, as counting took more than SLOW" if min(counting) > SLOW else "counted again"
    print(f"page after an answer:        {after * 1000:.0f} ms ({kept})")
    print(f"{'page':<40}{'again: p50':>12}{'p95':>10}{'max':>10}   ({args.requests} each)")
    for page in PAGES:
        times = [ask(page) for _ in range(args.requests)]
        print(
            f"{page:<40}{percentile(times, 0.5):>9.1f} ms{percentile(times, 0.95):>7.1f} ms"
            f"{max(times) * 1000:>7.1f} ms"
        )
    database.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
