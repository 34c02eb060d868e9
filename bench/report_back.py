"""Benchmark: a "You said, we did" report-back to 100,000 young people, queued and sent.

    python bench/report_back.py                     # 100,000 people, 20,000 messages sent
    python bench/report_back.py --people 20000 --messages 5000 --seconds 30
    python bench/report_back.py --quick             # a smoke run (tests/test_bench_report_back.py)
    python bench/report_back.py --queue-only --postgres   # queue on a throwaway PostgreSQL

1. Builds a SQLite database (a file in a temp folder, upgraded by Alembic, as `voicebox
   serve` uses it) with --people young people who took part in one check-in and said yes
   to hearing back: 80% by text, 12% on Telegram, 8% on the web; and beside them, 5% more
   who said no and 1% more who sent STOP (they must get nothing). Each gave three answers
   in their own words; a third have one or two answers tagged with one of 5 themes. The
   report answers the 5 themes. Rows go in by bulk inserts with ids given.
2. Times `send_report_back` (goal: under 10 s for 100,000 on SQLite), with Telegram's
   messages joined as the app joins them, and prints the outbox rows it made by channel;
   then a second press, which must find no one new.
3. No limit: the real `Dispatchers` with the real Twilio and Telegram senders, against
   the fake Twilio and the fake Bot API on 127.0.0.1 (tests/channels/), with every rate
   set very high, until --messages have reached the fakes or --seconds have passed.
   Prints messages a second for each provider and in all.
4. The configured limits: the same, with the rates `voicebox serve` would use
   (VOICEBOX_TWILIO_RATE, default 1 segment a second; VOICEBOX_TELEGRAM_RATE, default 25
   a second; 1 a second in one chat), for --limit-seconds. 10 Telegram chats also get 5
   more messages each, so the per-chat limit has something to hold back. Prints the most
   messages that reached each fake in any 1-second window, overall and in one chat.

This is a script, not a test: it prints its figures.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import math
import os
import platform
import pstats
import sys
import tempfile
import time
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from served import postgres_url  # noqa: E402 - beside this file
from sqlalchemy import func, insert, select  # noqa: E402

from tests.channels.sms_harness import (  # noqa: E402
    SMS_ACCOUNT,
    SMS_OUR_NUMBER,
    SMS_TOKEN,
    FakeTwilio,
    fake_twilio_server,
)
from tests.channels.telegram_harness import DEFAULT_TOKEN, FakeBotApi  # noqa: E402
from voicebox.bot.messages import OutboundMessage, utcnow  # noqa: E402
from voicebox.bot.report_back import ReportItem  # noqa: E402
from voicebox.channels.sms.sender import TwilioSender  # noqa: E402
from voicebox.channels.sms.settings import SmsSettings  # noqa: E402
from voicebox.channels.telegram.bot_api import BotApi  # noqa: E402
from voicebox.channels.telegram.render import MAX_TEXT  # noqa: E402
from voicebox.channels.telegram.sender import TelegramSender  # noqa: E402
from voicebox.channels.telegram.settings import PERSON_RATE, TelegramSettings  # noqa: E402
from voicebox.flows.loader import load_builtin_flows  # noqa: E402
from voicebox.storage import outbox  # noqa: E402
from voicebox.storage.addresses import unlock  # noqa: E402
from voicebox.storage.consultations import DEMO_FLOW_ID, create_consultation  # noqa: E402
from voicebox.storage.database import Database  # noqa: E402
from voicebox.storage.dispatcher import Dispatchers, Sender  # noqa: E402
from voicebox.storage.models import (  # noqa: E402
    Answer,
    AnswerTheme,
    Conversation,
    OutboxMessage,
    Participant,
    table,
)
from voicebox.storage.reports import save_report, send_report_back  # noqa: E402
from voicebox.storage.themes import create_theme  # noqa: E402

TITLE = "Our school check-in"
THEMES = [
    ("Buses", "Buses are late.", "We asked the bus company to add a bus.", "More buses in May."),
    (
        "Quiet room",
        "You want a quiet room.",
        "We opened a quiet room.",
        "",
    ),
    ("Lunch", "Lunch is too short.", "We made lunch longer.", "We will ask you again."),
    ("Friends", "Friends matter.", "We started a club.", "It meets on Fridays."),
    ("Teachers", "Teachers should listen.", "Teachers had training.", "More in the summer."),
]
STATUSES = ["planned", "done", "doing", "done", "planned"]
WORDS = [("top", "Friends and art"), ("pants", "The noise"), ("better", "A quiet room")]
FAST = 1e9  # "no limit": a rate no provider reaches
CHUNK = 10_000  # rows a bulk insert
EXTRA_CHATS = 10  # Telegram chats given more messages in the limits run
EXTRA_EACH = 5
SECRET = b"bench-report-back-secret-key-0123456789"  # seals the people's addresses


def channel_of(n: int) -> str:
    """80% text, 12% Telegram, 8% web."""
    return "sms" if n % 100 < 80 else "telegram" if n % 100 < 92 else "web"


def address_of(n: int, channel: str) -> str:
    """A made-up address on the channel (Ofcom's drama range for phones)."""
    if channel == "sms":
        return f"sms:+447700{n:06d}"
    if channel == "telegram":
        return f"telegram:{100_000_000 + n}"
    return f"web:bench-{n}"


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def build(database: Database, people: int) -> tuple[int, int]:
    """The check-in, its people, answers, themes and report; (its id, everyone in it)."""
    flow = load_builtin_flows()[DEMO_FLOW_ID]
    checkin = create_consultation(database, "BENCH", flow.id, flow.version, TITLE).id
    theme_ids = [create_theme(database, checkin, name) for name, *_ in THEMES]
    said_no, stopped = people // 20, people // 100
    everyone = people + said_no + stopped
    now = utcnow()
    seal = unlock(database, SECRET)  # as the store does: addresses are kept sealed

    def participants() -> Iterator[dict[str, Any]]:
        for n in range(everyone):
            channel = channel_of(n)
            yield {
                "id": n + 1,
                "channel": channel,
                "key_hash": f"{n:064x}",
                "pseudonym": f"Bench-{n:07d}",
                "address": seal.seal(address_of(n, channel), f"{n:064x}"),
                "opted_out": n >= people + said_no,
                "report_back": not (people <= n < people + said_no),
                "unreachable": False,
                "created_at": now,
                "updated_at": now,
            }

    def conversations() -> Iterator[dict[str, Any]]:
        for n in range(everyone):
            yield {
                "id": n + 1,
                "participant_id": n + 1,
                "consultation_id": checkin,
                "channel": channel_of(n),
                "step": "end",
                "consent": "given",
                "report_back": not (people <= n < people + said_no),  # their answer here
                "flagged": False,
                "state": {},
                "started_at": now,
                "updated_at": now,
                "ended_at": now,
            }

    def answers() -> Iterator[dict[str, Any]]:
        for n in range(everyone):
            for seq, (kind, words) in enumerate(WORDS, start=1):
                yield {
                    "id": n * len(WORDS) + seq,
                    "conversation_id": n + 1,
                    "consultation_id": checkin,
                    "participant_id": n + 1,
                    "seq": seq,
                    "channel": channel_of(n),
                    "question_id": kind,
                    "question": f"What is {kind}?",
                    "answer": words,
                    "answer_key": "",
                    "kind": kind,
                    "topic": "school",
                    "answered_at": now,
                }

    def tags() -> Iterator[dict[str, Any]]:
        for n in range(0, everyone, 3):  # a third spoke to a theme; half of those to two
            yield {"answer_id": n * len(WORDS) + 1, "theme_id": theme_ids[(n // 3) % 5]}
            if n % 2 == 0:
                yield {"answer_id": n * len(WORDS) + 2, "theme_id": theme_ids[(n // 3 + 2) % 5]}

    with database.transaction() as conn:
        for model, rows in (
            (Participant, participants()),
            (Conversation, conversations()),
            (Answer, answers()),
            (AnswerTheme, tags()),
        ):
            for batch in _chunks(rows):
                conn.execute(insert(table(model)), batch)
    items = [
        ReportItem(theme_id, name, said, did, after, status)
        for theme_id, (name, said, did, after), status in zip(
            theme_ids, THEMES, STATUSES, strict=True
        )
    ]
    save_report(database, checkin, items, public=False)
    return checkin, everyone


def outbox_by_channel(database: Database) -> Counter[str]:
    """Outbox rows by channel."""
    rows = table(OutboxMessage)
    with database.reading() as conn:
        found = conn.execute(select(rows.c.channel, func.count()).group_by(rows.c.channel))
        return Counter({channel: count for channel, count in found})


def queue_report(database: Database, checkin: int, people: int, profile: bool = False) -> None:
    """Time the press of Send, then a second press."""
    joined = {"telegram": MAX_TEXT}  # as the app joins Telegram's messages
    channels = ["sms", "telegram", "web"]  # as the page passes them (not the terminal)
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    sent = send_report_back(database, checkin, TITLE, joined, channels=channels)
    seconds = time.perf_counter() - start
    if profiler is not None:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    by_channel = outbox_by_channel(database)
    goal = "met" if seconds < 10 or people < 100_000 else "NOT met"
    print(
        f"queue: {sent.people:,} people in {seconds:.2f} s "
        f"(goal under 10 s for 100,000: {goal}); {sent.messages:,} outbox rows made "
        f"({', '.join(f'{c} {n:,}' for c, n in sorted(by_channel.items()))})"
    )
    if sent.people != people:
        raise SystemExit(f"sent to {sent.people} people, expected {people}")
    start = time.perf_counter()
    again = send_report_back(database, checkin, TITLE, joined, channels=channels)
    print(
        f"second press: {again.people} people, {again.messages} rows "
        f"in {time.perf_counter() - start:.2f} s"
    )
    if again.people or again.messages:
        raise SystemExit("a second press sent something")


def senders(twilio: FakeTwilio, api: BotApi, limited: bool) -> dict[str, Sender]:
    """The real senders, at the configured rates (VOICEBOX_* settings) or with none."""
    sms_rate = SmsSettings.from_env(os.environ).rate if limited else FAST
    telegram_rate = TelegramSettings.from_env(os.environ).rate if limited else FAST
    sms = TwilioSender(
        SMS_ACCOUNT, SMS_TOKEN, SMS_OUR_NUMBER, api_url=twilio.url, rate=sms_rate, timeout=5
    )
    telegram = TelegramSender(lambda: api, rate=telegram_rate, timeout=5)
    telegram.person_rate = PERSON_RATE if limited else FAST
    return {"sms": sms, "telegram": telegram}


def arrivals(twilio: FakeTwilio, bot: FakeBotApi) -> tuple[list[float], list[tuple[float, Any]]]:
    """When each text reached the fake Twilio; when each sendMessage reached the fake Bot
    API, and its chat."""
    with twilio.lock:
        texts = [c.at for c in twilio.calls if c.method == "POST"]
    chats = [(c.at, c.params.get("chat_id")) for c in bot.calls("sendMessage")]
    return texts, chats


def most_in_a_second(times: Sequence[float]) -> int:
    """The most arrivals in any window of 1 s, [t, t + 1), t being an arrival."""
    ordered = sorted(times)
    return max((bisect_left(ordered, t + 1.0) - i for i, t in enumerate(ordered)), default=0)


def run_dispatchers(
    database: Database,
    chosen: dict[str, Sender],
    twilio: FakeTwilio,
    bot: FakeBotApi,
    messages: int | None,
    seconds: float,
) -> float:
    """Run the dispatchers until `messages` reached the fakes (if given) or `seconds`
    passed; the seconds they ran."""
    texts0, chats0 = arrivals(twilio, bot)
    start = time.monotonic()
    running = Dispatchers(database, chosen, interval=0.2)
    try:
        while time.monotonic() - start < seconds:
            texts, chats = arrivals(twilio, bot)
            if (
                messages is not None
                and len(texts) + len(chats) - len(texts0) - len(chats0) >= messages
            ):
                break
            time.sleep(0.05)
    finally:
        running.stop(10)
    return time.monotonic() - start


def no_limit(
    database: Database,
    twilio: FakeTwilio,
    bot: FakeBotApi,
    api: BotApi,
    messages: int,
    seconds: float,
) -> None:
    """The send rate with every limit lifted."""
    took = run_dispatchers(database, senders(twilio, api, False), twilio, bot, messages, seconds)
    texts, chats = arrivals(twilio, bot)
    total = len(texts) + len(chats)
    print(
        f"no limit: {total:,} messages in {took:.1f} s: {total / took:,.0f} messages/s "
        f"(Twilio {len(texts):,}, {len(texts) / took:,.0f}/s; "
        f"Bot API {len(chats):,}, {len(chats) / took:,.0f}/s)"
    )


def with_limits(
    database: Database, twilio: FakeTwilio, bot: FakeBotApi, api: BotApi, seconds: float
) -> None:
    """The configured limits on what is left of the report-back, for `seconds`: the most
    that reached each provider in any second."""
    chosen = senders(twilio, api, True)
    texts0, chats0 = arrivals(twilio, bot)
    took = run_dispatchers(database, chosen, twilio, bot, None, seconds)
    texts, sent = arrivals(twilio, bot)
    texts, sent = texts[len(texts0) :], sent[len(chats0) :]
    sms_rate, tg_rate = chosen["sms"].rate, chosen["telegram"].rate  # type: ignore[attr-defined]
    print(
        f"limits: Twilio at {sms_rate:g} segments/s: {len(texts)} texts in {took:.1f} s "
        f"({len(texts) / took:.2f}/s), most in any 1 s: {most_in_a_second(texts)}; "
        f"shortest gap {min((b - a for a, b in pairwise(texts)), default=math.nan):.2f} s"
    )
    print(
        f"limits: Bot API at {tg_rate:g}/s: {len(sent)} messages in {took:.1f} s "
        f"({len(sent) / took:.2f}/s), most in any 1 s: {most_in_a_second([a for a, _ in sent])}"
    )


def one_chat(
    twilio: FakeTwilio, bot: FakeBotApi, api: BotApi, folder: Path, seconds: float
) -> None:
    """Telegram's limit in one chat, on a database of its own (behind a backlog, a message
    put off for its chat's limit goes to the back): EXTRA_CHATS chats, EXTRA_EACH
    messages each."""
    database = Database(f"sqlite:///{folder / 'chats.db'}")
    try:
        database.upgrade()
        now = utcnow()
        with database.transaction() as conn:
            for n in range(EXTRA_CHATS):
                person = conn.execute(
                    insert(table(Participant)).returning(table(Participant).c.id),
                    {
                        "channel": "telegram",
                        "key_hash": f"{n:064x}",
                        "pseudonym": f"Chat-{n:03d}",
                        "address": unlock(database, SECRET).seal(
                            address_of(n, "telegram"), f"{n:064x}"
                        ),
                        "opted_out": False,
                        "report_back": True,
                        "unreachable": False,
                        "created_at": now,
                        "updated_at": now,
                    },
                ).scalar_one()
                said = [OutboundMessage(f"Message {k} of {EXTRA_EACH}") for k in range(EXTRA_EACH)]
                outbox.enqueue(conn, person, "telegram", said, now, "report")
        chosen = {"telegram": senders(twilio, api, True)["telegram"]}
        chats0 = len(arrivals(twilio, bot)[1])
        took = run_dispatchers(database, chosen, twilio, bot, EXTRA_CHATS * EXTRA_EACH, seconds)
        per_chat: defaultdict[Any, list[float]] = defaultdict(list)
        for at, chat in arrivals(twilio, bot)[1][chats0:]:
            per_chat[chat].append(at)
        gaps = [b - a for t in per_chat.values() for a, b in pairwise(sorted(t))]
        print(
            f"limits: one Telegram chat at {PERSON_RATE:g}/s: {EXTRA_CHATS} chats, "
            f"{sum(map(len, per_chat.values()))} of {EXTRA_CHATS * EXTRA_EACH} messages in "
            f"{took:.1f} s, most in any 1 s in one chat: "
            f"{max(map(most_in_a_second, per_chat.values()), default=0)}; "
            f"shortest gap {min(gaps, default=math.nan):.2f} s"
        )
    finally:
        database.dispose()


@contextmanager
def fakes() -> Iterator[tuple[FakeTwilio, FakeBotApi, BotApi]]:
    """The fake Twilio and the fake Bot API on 127.0.0.1, and the Bot API client."""
    with fake_twilio_server() as twilio, FakeBotApi() as bot:
        api = BotApi(DEFAULT_TOKEN, bot.url, timeout=5)
        try:
            yield twilio, bot, api
        finally:
            api.close()


def main() -> None:
    """Build, queue, then send: print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=20_000, help="sent with no limit")
    parser.add_argument("--seconds", type=float, default=120.0, help="at most, with no limit")
    parser.add_argument("--limit-seconds", type=float, default=10.0)
    parser.add_argument("--chat-seconds", type=float, default=10.0, help="at most, one chat")
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument("--queue-only", action="store_true", help="stop after queueing")
    parser.add_argument("--profile", action="store_true", help="cProfile the first press")
    parser.add_argument(
        "--postgres",
        nargs="?",
        const="",
        metavar="URL",
        help="on PostgreSQL: an empty database, or a throwaway server when no URL is given",
    )
    args = parser.parse_args()
    if args.quick:
        args.people, args.messages, args.seconds, args.limit_seconds = 2_000, 1_000, 2.0, 2.0
        args.chat_seconds = 3.0
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    print(f"{platform.python_version()} on {os.cpu_count()} CPUs, {args.people:,} people")
    with ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="voicebox-bench-"))
        url = f"sqlite:///{Path(folder) / 'voicebox.db'}"
        if args.postgres is not None:
            url = stack.enter_context(postgres_url(args.postgres))
        database = Database(url)
        try:
            database.upgrade()
            start = time.perf_counter()
            checkin, everyone = build(database, args.people)
            print(f"built: {everyone:,} people in {time.perf_counter() - start:.1f} s")
            queue_report(database, checkin, args.people, args.profile)
            if args.queue_only:
                return
            with fakes() as (twilio, bot, api):
                no_limit(database, twilio, bot, api, args.messages, args.seconds)
                with_limits(database, twilio, bot, api, args.limit_seconds)
                one_chat(twilio, bot, api, Path(folder), args.chat_seconds)
        finally:
            database.dispose()


if __name__ == "__main__":
    main()
