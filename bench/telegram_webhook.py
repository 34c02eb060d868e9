"""Benchmark: the real POST /telegram/webhook route over HTTP, replies to a fake Bot API.

    python bench/telegram_webhook.py                 # max rate beside SMS, then latency
    python bench/telegram_webhook.py --quick         # a smoke run of a few seconds
    python bench/telegram_webhook.py --only max      # max rate beside SMS only
    python bench/telegram_webhook.py --only latency --rate 50 --bot-rate 60
    python bench/telegram_webhook.py --fake-process  # the fake Bot API in its own process

Each run starts `voicebox serve` (waitress, one process) on 127.0.0.1 with a fresh SQLite
database in a temp folder and VOICEBOX_TELEGRAM_TOKEN, _SECRET and _API_URL set, the last
pointing at tests/channels/telegram_harness.py's FakeBotApi. Simulated people (one private
chat each) join DEMO by `/start DEMO`, press "Yes" to consent, then go round the same topic
loop as bench/sms_webhook.py for ever: press a topic, press a feeling, type what is good,
what is not good and what would make it better, press "Yes" for another topic. A press
uses the callback_data of the button the fake received in that chat's newest sendMessage.
Every update is built by tests/channels/telegram_updates.py and POSTed with the secret
header. The outbox sends every reply; the server answers each update with an empty 200.

1. Max rate, in the same run as bench/sms_webhook.py's: one SMS run, then one Telegram
   run, in turn, best of --runs each. Every person waits for their reply, then --think
   seconds (about 1 s: Telegram takes about one message a second to a chat, and the outbox
   keeps to that), then sends the next update. Updates/s, SMS messages/s and the ratio.
   The first --settle seconds of load are not counted (the first wave of replies).
2. Latency at a steady --rate updates/s (open loop): each person sends every --gap seconds
   (at least 1.5 s). Latency is from when an update was due (its POST starts then, unless
   the clients fall behind: "sent late") to the matching sendMessage reaching the fake
   (its monotonic arrival time; the n-th reply in a chat after the n-th update); p50, p95,
   p99 and max.

This is a script, not a test. It prints one line per run.
"""

from __future__ import annotations

import argparse
import heapq
import http.client
import json
import math
import multiprocessing as mp
import os
import platform
import queue
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sms_webhook  # noqa: E402 - beside this file
from served import Server  # noqa: E402 - beside this file

from tests.channels import telegram_updates as updates  # noqa: E402
from tests.channels.telegram_harness import FakeBotApi  # noqa: E402

SECRET = "bench-telegram-webhook-secret_0123456789"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
FIRST_CHAT = 800_000_001
TEXTS = (  # the same words as bench/sms_webhook.py's loop
    "The teachers explain things and listen to me",
    "The bus is late most days",
    "More time to eat lunch",
)
PREFERRED = ("school", "good", "yes")  # topic, feeling, consent and "another topic"
PASSED = "That button was for an earlier question"
MADE = ("sendMessage", "editMessageText", "editMessageReplyMarkup")

Event = tuple[str, int, int, str, Any, float]  # method, chat, message id, text, markup, at


class RecordingFake(FakeBotApi):
    """The fake Bot API, telling `sink` of each message it made or edited, with the
    monotonic time its handler had the whole request (FakeBotApi.handle's `arrived`)."""

    def __init__(self, sink: Callable[[Event], None]) -> None:
        super().__init__()
        self.sink = sink

    def handle(self, path: str, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
        """Answer as the fake does; pass on what a person would now see."""
        arrived = time.monotonic()
        status, answer = super().handle(path, content_type, body)
        method = path.rsplit("/", 1)[-1].split("?", 1)[0]
        result = answer.get("result")
        if status == 200 and method in MADE and isinstance(result, dict):
            self.sink(
                (
                    method,
                    result["chat"]["id"],
                    result["message_id"],
                    result["text"],
                    result.get("reply_markup"),
                    arrived,
                )
            )
        return status, answer


def _fake_entry(events: Any, url: Any, stop: Any) -> None:
    fake = RecordingFake(events.put).start()
    url.send(fake.url)
    stop.wait()
    fake.stop()


class Chats:
    """Every chat as its person sees it, fed by the fake (in this process or its own)."""

    def __init__(self, own_process: bool) -> None:
        self.lock = threading.Lock()
        self.shown: dict[int, dict[int, tuple[str, Any]]] = defaultdict(dict)
        self.newest: dict[int, int] = {}
        self.sent_at: dict[int, list[float]] = defaultdict(list)
        self.sends = 0
        self.watchers: dict[int, Callable[[float], None]] = {}
        self.expected: dict[int, int] = {}
        self._process: Any = None
        if own_process:
            context = mp.get_context("spawn")
            self._events: Any = context.Queue()
            self._stop = context.Event()
            here, there = context.Pipe()
            self._process = context.Process(
                target=_fake_entry, args=(self._events, there, self._stop), daemon=True
            )
            self._process.start()
            self.url = here.recv()
            self._drainer = threading.Thread(target=self._drain, daemon=True)
            self._drainer.start()
            self.fake: FakeBotApi | None = None
        else:
            self.fake = RecordingFake(self.made).start()
            self.url = self.fake.url

    def _drain(self) -> None:
        while True:
            try:
                event = self._events.get()
            except (EOFError, OSError):  # the fake's process has gone
                return
            if event is None:
                return
            self.made(event)

    def made(self, event: Event) -> None:
        """A message was sent or edited: keep it; wake its person if they wait for it."""
        method, chat, message_id, text, markup, at = event
        wake = None
        with self.lock:
            self.shown[chat][message_id] = (text, markup)
            if method == "sendMessage":
                self.sends += 1
                self.newest[chat] = message_id
                self.sent_at[chat].append(at)
                if len(self.sent_at[chat]) >= self.expected.get(chat, math.inf):
                    del self.expected[chat]
                    wake = self.watchers.get(chat)
        if wake is not None:
            wake(at)

    def expect_reply(self, chat: int) -> int:
        """Note that `chat` now waits for one more sendMessage; its number in the chat."""
        with self.lock:
            wanted = len(self.sent_at[chat]) + 1
            self.expected[chat] = wanted
            return wanted

    def seen(self, chat: int) -> tuple[int, str, Any] | None:
        """The newest message in a chat: its id, text and buttons."""
        with self.lock:
            newest = self.newest.get(chat)
            if newest is None:
                return None
            text, markup = self.shown[chat][newest]
            return newest, text, markup

    def stop(self) -> None:
        """Stop the fake (its process by its id, when it has one)."""
        if self.fake is not None:
            self.fake.stop()
        if self._process is not None:
            self._stop.set()
            self._process.join(timeout=10)
            if self._process.is_alive() and self._process.pid is not None:
                os.kill(self._process.pid, 9)
                self._process.join()
            self._events.put(None)  # after the fake's last event: the drainer ends
            self._drainer.join(timeout=5)


class TelegramServer(Server):
    """`voicebox serve` with the Telegram channel on, pointed at the fake Bot API."""

    def __init__(self, api_url: str, bot_rate: float | None, threads: int | None) -> None:
        env = {
            "VOICEBOX_TELEGRAM_TOKEN": "123456:TEST-token",
            "VOICEBOX_TELEGRAM_SECRET": SECRET,
            "VOICEBOX_TELEGRAM_API_URL": api_url,
        }
        if bot_rate is not None:
            env["VOICEBOX_TELEGRAM_RATE"] = f"{bot_rate:g}"
        super().__init__(threads, env)


@dataclass
class Person:
    """One young person in a private chat: what they do next follows what they see."""

    chat: int
    said: int = 0  # how many texts they typed, to take turns over TEXTS
    joined: bool = False
    passed: int = 0  # replies saying a pressed button's question had passed

    def next_update(self, chats: Chats) -> dict[str, Any]:
        """/start DEMO first; then press a button of the newest message, or type."""
        if not self.joined:
            self.joined = True
            return updates.command(self.chat, "/start", "DEMO")
        seen = chats.seen(self.chat)
        if seen is None:
            return updates.command(self.chat, "/start", "DEMO")
        message_id, text, markup = seen
        if text.startswith(PASSED):
            self.passed += 1
        buttons = [b for row in (markup or {}).get("inline_keyboard", []) for b in row]
        choices = [b for b in buttons if b.get("callback_data", "").startswith("c.")]
        if not choices:
            self.said += 1
            return updates.private_text(self.chat, TEXTS[(self.said - 1) % len(TEXTS)])
        keys = {b["callback_data"].rsplit(".", 1)[1]: b for b in choices}
        chosen = next((keys[k] for k in PREFERRED if k in keys), choices[0])
        return updates.callback(self.chat, chosen["callback_data"], message_id, text, markup)


class Poster:
    """One keep-alive connection to the webhook."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.errors = 0

    def post(self, update: dict[str, Any]) -> None:
        """POST one update as Telegram does; an answer other than 200 counts as an error."""
        self.connection.request(
            "POST",
            "/telegram/webhook",
            body=json.dumps(update).encode(),
            headers={"Content-Type": "application/json", SECRET_HEADER: SECRET},
        )
        response = self.connection.getresponse()
        response.read()
        if response.status != 200:
            self.errors += 1


@dataclass
class Crowd:
    """People shared among client threads; each thread posts for its own, when they are
    ready (their reply came, and they have thought for `think` seconds)."""

    chats: Chats
    port: int
    people: list[Person]
    clients: int
    think: float
    posted: list[int] = field(default_factory=list)
    errors: int = 0

    def run(
        self, until: Callable[[int, int, float], bool], start_at: float, counted_from: float = 0.0
    ) -> None:
        """Every thread posts while until(its index, how many it posted, now) is False;
        `posted` counts the posts from `counted_from` on (time.monotonic())."""
        counts = [0] * self.clients
        counted = [0] * self.clients
        errors = [0] * self.clients
        threads = [
            threading.Thread(
                target=self._client,
                args=(i, until, start_at, counted_from, counts, counted, errors),
                daemon=True,
            )
            for i in range(self.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.posted = counted
        self.errors = sum(errors)

    def _client(
        self,
        index: int,
        until: Callable[[int, int, float], bool],
        start_at: float,
        counted_from: float,
        counts: list[int],
        counted: list[int],
        errors: list[int],
    ) -> None:
        poster = Poster(self.port)
        mine = self.people[index :: self.clients]
        ready: queue.SimpleQueue[tuple[float, int]] = queue.SimpleQueue()
        by_chat = {person.chat: person for person in mine}
        for person in mine:
            self.chats.watchers[person.chat] = partial(_ready, ready, person.chat)
        heap = [(start_at, person.chat) for person in mine]
        heapq.heapify(heap)
        try:
            while not until(index, counts[index], time.monotonic()):
                while True:
                    try:
                        at, chat = ready.get_nowait()
                    except queue.Empty:
                        break
                    heapq.heappush(heap, (at + self.think, chat))
                now = time.monotonic()
                if not heap or heap[0][0] > now:
                    wait = 0.05 if not heap else min(0.05, heap[0][0] - now)
                    try:
                        at, chat = ready.get(timeout=wait)
                        heapq.heappush(heap, (at + self.think, chat))
                    except queue.Empty:
                        pass
                    continue
                _due, chat = heapq.heappop(heap)
                person = by_chat[chat]
                update = person.next_update(self.chats)
                self.chats.expect_reply(chat)
                posting = time.monotonic()
                poster.post(update)
                counts[index] += 1
                counted[index] += posting >= counted_from
        finally:
            errors[index] = poster.errors
            poster.connection.close()


def _ready(ready: queue.SimpleQueue[tuple[float, int]], chat: int, at: float) -> None:
    ready.put((at, chat))


def percentile(values: list[float], fraction: float) -> float:
    """The value below which this fraction of values lie (nearest rank)."""
    return sms_webhook.percentile(values, fraction) if values else math.nan


def warm_up(chats: Chats, server: Server, people: list[Person], clients: int) -> None:
    """Everyone joins and consents (two updates and two replies each)."""
    crowd = Crowd(chats, server.port, people, clients, think=1.05)
    per_client = [len(people[i::clients]) * 2 for i in range(clients)]
    deadline = time.monotonic() + 120 + len(people) * 0.05
    crowd.run(lambda i, n, now: n >= per_client[i] or now > deadline, time.monotonic())
    # Each thread stops after its own people's two updates: wait for the last replies.
    wait_for_replies(chats, sum(per_client), 30)


def wait_for_replies(chats: Chats, count: int, timeout: float) -> None:
    """Wait until the fake has had `count` sendMessage calls in all (or give up)."""
    deadline = time.monotonic() + timeout
    while chats.sends < count and time.monotonic() < deadline:
        time.sleep(0.05)


@dataclass
class MaxRate:
    """Figures from one max-rate run."""

    rate: float
    replies: float  # sendMessage calls a second reaching the fake
    updates: int
    errors: int
    passed: int
    cpu_ms: float  # server CPU time per update
    bench_cpu_ms: float  # this process's (clients, and the fake unless in its own process)
    problems: int  # lines of the server's log that report an error


def max_rate(args: argparse.Namespace) -> MaxRate:
    """Start the fake and the server, warm everyone up, measure, stop both."""
    chats = Chats(args.fake_process)
    server: Server | None = None
    try:
        server = TelegramServer(chats.url, args.max_bot_rate, args.server_threads)
        people = [Person(FIRST_CHAT + n) for n in range(args.people)]
        warm_up(chats, server, people, args.clients)
        time.sleep(1.2)  # the last replies' chats are free again (one message a second)
        crowd = Crowd(chats, server.port, people, args.clients, args.think)
        start = time.monotonic() + 0.2
        counted_from = start + args.settle  # the first replies' wave has passed by then
        end = counted_from + args.seconds
        before: list[tuple[int, int, float, float]] = []

        def snapshot() -> None:
            mine = os.times()
            before.append(
                (
                    chats.sends,
                    sum(p.passed for p in people),
                    server.cpu_seconds(),
                    mine.user + mine.system,
                )
            )

        timer = threading.Timer(counted_from - time.monotonic(), snapshot)
        timer.daemon = True
        timer.start()
        crowd.run(lambda _i, _n, now: now >= end, start, counted_from)
        cpu = server.cpu_seconds() - before[0][2]
        mine = os.times()
        bench_cpu = mine.user + mine.system - before[0][3]
        sends = chats.sends - before[0][0]
        posted = sum(crowd.posted)
        result = MaxRate(
            rate=posted / args.seconds,
            replies=sends / args.seconds,
            updates=posted,
            errors=crowd.errors,
            passed=sum(p.passed for p in people) - before[0][1],
            cpu_ms=cpu * 1000 / max(1, posted),
            bench_cpu_ms=bench_cpu * 1000 / max(1, posted),
            problems=-1,
        )
    finally:
        if server is not None:
            server.stop()
        chats.stop()
    result.problems = len(server.problems())
    return result


@dataclass
class Latency:
    """Figures from one fixed-rate run."""

    rate: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    webhook_p95_ms: float  # the POST's own answer
    updates: int
    missing: int  # updates whose reply never came
    errors: int
    passed: int
    late_starts: int  # updates sent more than 50 ms after they were due
    problems: int = -1  # lines of the server's log that report an error


def latency(args: argparse.Namespace, rate: float, bot_rate: float | None) -> Latency:
    """Steady `rate` updates a second for --seconds; time to each update's sendMessage."""
    count = max(2, math.ceil(rate * args.gap))
    chats = Chats(args.fake_process)
    server: Server | None = None
    try:
        server = TelegramServer(chats.url, bot_rate, args.server_threads)
        people = [Person(FIRST_CHAT + n) for n in range(count)]
        warm_up(chats, server, people, min(args.clients, count))
        time.sleep(1.6)
        passed_before = sum(p.passed for p in people)
        threads = min(args.latency_clients, count)
        port = server.port
        start = time.monotonic() + 0.2
        total = int(rate * args.seconds)
        posts: list[list[tuple[int, int, float, float, float]]] = [[] for _ in range(threads)]
        errors = [0] * threads

        def client(index: int) -> None:
            poster = Poster(port)
            try:
                for k in range(index, total, threads):
                    due = start + k / rate
                    pause = due - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
                    person = people[k % count]
                    update = person.next_update(chats)
                    wanted = chats.expect_reply(person.chat)
                    sent = time.monotonic()
                    poster.post(update)
                    posts[index].append((person.chat, wanted, due, sent, time.monotonic()))
            finally:
                errors[index] = poster.errors
                poster.connection.close()

        workers = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        deadline = time.monotonic() + 10
        every = [post for each in posts for post in each]
        while time.monotonic() < deadline:
            with chats.lock:
                if all(len(chats.sent_at[c]) >= w for c, w, *_ in every):
                    break
            time.sleep(0.05)
        took: list[float] = []
        webhook: list[float] = []
        missing = late = 0
        with chats.lock:
            for chat, wanted, due, sent, answered in every:
                webhook.append(answered - sent)
                late += sent - due > 0.05
                arrivals = chats.sent_at[chat]
                if len(arrivals) < wanted:
                    missing += 1
                else:
                    took.append(arrivals[wanted - 1] - due)
        found = Latency(
            rate=len(every) / args.seconds,
            p50_ms=percentile(took, 0.50) * 1000,
            p95_ms=percentile(took, 0.95) * 1000,
            p99_ms=percentile(took, 0.99) * 1000,
            max_ms=max(took, default=math.nan) * 1000,
            webhook_p95_ms=percentile(webhook, 0.95) * 1000,
            updates=len(every),
            missing=missing,
            errors=sum(errors),
            passed=sum(p.passed for p in people) - passed_before,
            late_starts=late,
        )
    finally:
        if server is not None:
            server.stop()
        chats.stop()
    found.problems = len(server.problems())
    return found


def show_max(label: str, result: MaxRate) -> None:
    """One line of max-rate figures."""
    print(
        f"{label:<26} {result.rate:8.1f} updates/s   replies {result.replies:6.1f}/s   "
        f"server CPU {result.cpu_ms:5.2f} ms/update, bench {result.bench_cpu_ms:5.2f}   "
        f"({result.updates} updates, {result.errors} errors, {result.passed} 'question has "
        f"passed' replies, {result.problems} errors in the server's log)",
        flush=True,
    )


def show_latency(label: str, result: Latency) -> None:
    """One line of latency figures."""
    print(
        f"{label:<26} {result.rate:6.1f} updates/s   update to sendMessage: "
        f"p50 {result.p50_ms:6.1f} ms   p95 {result.p95_ms:6.1f} ms   "
        f"p99 {result.p99_ms:6.1f} ms   max {result.max_ms:6.1f} ms   "
        f"(webhook answer p95 {result.webhook_p95_ms:.1f} ms; {result.updates} updates, "
        f"{result.missing} without a reply, {result.errors} errors, "
        f"{result.passed} 'question has passed', {result.late_starts} sent late, "
        f"{result.problems} errors in the server's log)",
        flush=True,
    )


def compare_max(args: argparse.Namespace) -> None:
    """SMS and Telegram max rates, in turn, best of --runs each, and their ratio."""
    sms_args = argparse.Namespace(
        seconds=args.seconds,
        clients=args.sms_clients,
        participants=args.sms_participants,
        server_threads=args.server_threads,
        pin_server=None,
    )
    sms: list[sms_webhook.RunResult] = []
    telegram: list[MaxRate] = []
    for number in range(1, args.runs + 1):
        sms.append(sms_webhook.measure(sms_args, None))
        sms_webhook.show(f"SMS max rate run {number}", sms[-1])
        telegram.append(max_rate(args))
        show_max(f"Telegram max rate run {number}", telegram[-1])
    best_sms = max(r.rate for r in sms)
    best_telegram = max(r.rate for r in telegram)
    ratio = best_telegram / best_sms if best_sms else math.nan
    print(
        f"best max rate: Telegram {best_telegram:.1f} updates/s, SMS {best_sms:.1f} "
        f"messages/s, ratio {ratio:.2f} (goal: at least 0.90)",
        flush=True,
    )


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument("--only", choices=("max", "latency"), help="run only this part")
    parser.add_argument("--runs", type=int, default=3, help="max rate: best of this many runs")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per run")
    parser.add_argument("--people", type=int, default=400, help="max rate: people chatting")
    parser.add_argument("--clients", type=int, default=4, help="client threads (connections)")
    parser.add_argument(
        "--think", type=float, default=1.0, help="max rate: seconds a person waits after a reply"
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=10.0,
        help="max rate: seconds of load before the measured seconds (the first wave passes)",
    )
    parser.add_argument(
        "--max-bot-rate",
        type=float,
        default=10000.0,
        help="max rate: VOICEBOX_TELEGRAM_RATE, high so the outbox's pace is not measured",
    )
    parser.add_argument(
        "--rate",
        type=float,
        action="append",
        help="latency: updates a second (default: 50 with --bot-rate 60, then 20 with the "
        "default bot rate); may be given more than once",
    )
    parser.add_argument(
        "--bot-rate", type=float, help="latency: VOICEBOX_TELEGRAM_RATE for every --rate given"
    )
    parser.add_argument(
        "--gap", type=float, default=2.0, help="latency: seconds between one person's updates"
    )
    parser.add_argument(
        "--latency-clients",
        type=int,
        default=8,
        help="latency: client threads, enough that a slow answer does not delay the next",
    )
    parser.add_argument("--sms-clients", type=int, default=4, help="SMS: client processes")
    parser.add_argument("--sms-participants", type=int, default=400, help="SMS: participants")
    parser.add_argument(
        "--server-threads", type=int, help="`voicebox serve --threads` (default: serve's own)"
    )
    parser.add_argument(
        "--fake-process",
        action="store_true",
        help="run the fake Bot API in its own process, not beside the clients",
    )
    args = parser.parse_args()
    if args.gap < 1.5:
        parser.error("--gap: a person pauses at least 1.5 s between their own updates")
    if args.quick:
        args.runs, args.seconds, args.settle, args.people, args.clients = 1, 1.0, 0.5, 20, 2
        args.sms_clients, args.sms_participants = 2, 20
        args.rate, args.gap = args.rate or [10.0], 1.5
    plans = (
        [(rate, args.bot_rate) for rate in args.rate] if args.rate else [(50.0, 60.0), (20.0, None)]
    )
    print(
        f"voicebox Telegram webhook benchmark: Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, SQLite, one server process, fake Bot API "
        f"{'in its own process' if args.fake_process else 'in the bench process'}, "
        f"{args.clients} client threads, {args.seconds:g} s a run",
        flush=True,
    )
    if args.only in (None, "max"):
        print(
            f"max rate: Telegram {args.people} people thinking {args.think:g} s, "
            f"VOICEBOX_TELEGRAM_RATE={args.max_bot_rate:g}; SMS {args.sms_clients} client "
            f"processes, {args.sms_participants} participants; best of {args.runs}",
            flush=True,
        )
        compare_max(args)
    if args.only in (None, "latency"):
        for rate, bot_rate in plans:
            shown = f"{bot_rate:g}" if bot_rate is not None else "default (25)"
            result = latency(args, rate, bot_rate)
            show_latency(f"{rate:g}/s, bot rate {shown}", result)


if __name__ == "__main__":
    main()
