"""Benchmark: the real POST /sms/twilio route over HTTP, with signed requests.

    python bench/sms_webhook.py                    # best of 3: max rate, then half of it
    python bench/sms_webhook.py --runs 1 --seconds 5 --clients 6 --participants 300
    python bench/sms_webhook.py --rate 300         # only a fixed-rate run at 300 messages/s

Each run starts `voicebox serve` (waitress, one process) on 127.0.0.1 with a fresh SQLite
database in a temp folder and VOICEBOX_TWILIO_AUTH_TOKEN set, exactly as deployed. Client
processes (keep-alive HTTP/1.1, one connection each) play many participants who are all
mid check-in: each first joins DEMO and consents, then goes round the topic loop for ever
(topic, feeling, what is good, what is not good, what would make it better, another topic:
yes) - choices and free text, every message a database transaction. Every request is signed
with twilio's RequestValidator and carries a new MessageSid; each participant waits for the
reply before sending again. Latency is from when a message was due to its full reply.

1. Max rate: every client sends as fast as replies come back; messages/s, p50, p99.
2. Fixed rate: the same at half the max rate (open loop: latency counts from the moment
   a message was due, so a slow server cannot hide its queue); p50 and p99.

This is a script, not a test. It prints one line per run and the best run.
"""

from __future__ import annotations

import argparse
import http.client
import math
import multiprocessing as mp
import os
import platform
import sqlite3
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from served import Server
from twilio.request_validator import RequestValidator

TOKEN = "bench-auth-token-0123456789abcdef"
OUR_NUMBER = "+447700900000"
JOIN = ("DEMO", "yes")
LOOP = (
    "1",  # topic: school or college
    "2",  # feeling: good
    "The teachers explain things and listen to me",
    "The bus is late most days",
    "More time to eat lunch",
    "1",  # another topic: yes
)


class SmsServer(Server):
    """The server with the SMS channel on, and how many messages it kept."""

    def __init__(
        self, threads: int | None, cpu: int | None = None, database_url: str | None = None
    ) -> None:
        super().__init__(
            threads, {"VOICEBOX_TWILIO_AUTH_TOKEN": TOKEN}, database_url=database_url, cpu=cpu
        )
        self.database_url = database_url

    def stored_messages(self) -> int:
        """Inbound message ids the server kept."""
        if self.database_url is None:
            with sqlite3.connect(self.database) as conn:
                return conn.execute("SELECT count(*) FROM inbound_message_ids").fetchone()[0]
        from sqlalchemy import text

        from voicebox.storage.database import Database

        database = Database(self.database_url)
        try:
            with database.reading() as conn:
                return conn.execute(text("SELECT count(*) FROM inbound_message_ids")).scalar_one()
        finally:
            database.dispose()


@dataclass
class ClientJob:
    """What one client process does."""

    index: int
    port: int
    participants: int
    seconds: float
    clients: int  # how many clients run side by side
    interval: float | None  # seconds between messages (fixed rate), None for max rate


class Client:
    """One keep-alive connection playing some participants, each one message at a time."""

    def __init__(self, job: ClientJob) -> None:
        self.job = job
        self.url = f"http://127.0.0.1:{job.port}/sms/twilio"
        self.validator = RequestValidator(TOKEN)
        self.connection = http.client.HTTPConnection("127.0.0.1", job.port, timeout=30)
        self.sent = 0
        self.numbers = [f"+4477009{job.index:02d}{n:03d}" for n in range(job.participants)]
        self.position = [0] * job.participants
        self.errors = 0

    def post(self, number: str, body: str) -> None:
        """Send one signed message as Twilio would, and read the whole reply."""
        self.sent += 1
        fields = {
            "ToCountry": "GB",
            "SmsMessageSid": "",
            "NumMedia": "0",
            "SmsSid": "",
            "SmsStatus": "received",
            "Body": body,
            "To": OUR_NUMBER,
            "NumSegments": "1",
            "MessageSid": "",
            "AccountSid": "AC" + "0" * 32,
            "From": number,
            "ApiVersion": "2010-04-01",
        }
        sid = f"SM{self.job.index:04x}{self.sent:028x}"
        fields["SmsMessageSid"] = fields["SmsSid"] = fields["MessageSid"] = sid
        signature = self.validator.compute_signature(self.url, fields)
        self.connection.request(
            "POST",
            "/sms/twilio",
            body=urlencode(fields),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature,
                "User-Agent": "TwilioProxy/1.1",
            },
        )
        response = self.connection.getresponse()
        data = response.read()
        if response.status != 200 or b"<Message>" not in data:
            self.errors += 1

    def warm_up(self) -> None:
        """Everyone joins and consents: from here on they are mid check-in."""
        for number in self.numbers:
            for body in JOIN:
                self.post(number, body)

    def run(self, start_at: float) -> tuple[list[float], int]:
        """From start_at (time.time()), send until time is up; return latencies and errors."""
        latencies: list[float] = []
        self.errors = 0
        while time.time() < start_at:
            time.sleep(0.001)
        start = time.perf_counter()
        end = start + self.job.seconds
        # Clients start evenly spread over one interval, so a fixed rate is smooth.
        due = start + (self.job.interval or 0) * self.job.index / self.job.clients
        turn = 0
        while True:
            if self.job.interval is not None:
                now = time.perf_counter()
                if due > now:
                    time.sleep(due - now)
            else:
                due = time.perf_counter()
            if due >= end:
                break
            who = turn % len(self.numbers)
            turn += 1
            self.post(self.numbers[who], LOOP[self.position[who] % len(LOOP)])
            self.position[who] += 1
            latencies.append(time.perf_counter() - due)
            if self.job.interval is not None:
                due += self.job.interval
        return latencies, self.errors


def _client_entry(job: ClientJob, start: Any, ready: Any, results: Any) -> None:
    client = Client(job)
    client.warm_up()
    ready.put(job.index)
    while start.value == 0.0:
        time.sleep(0.005)
    results.put(client.run(start.value))


@dataclass
class RunResult:
    """Figures from one measured run."""

    rate: float
    p50_ms: float
    p99_ms: float
    messages: int
    errors: int
    stored: int
    cpu_ms: float  # server CPU time per message


def percentile(values: list[float], fraction: float) -> float:
    """The value below which this fraction of values lie (nearest rank)."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]


def measure(
    args: argparse.Namespace,
    target_rate: float | None,
    database_url: str | None = None,
    processes_count: int = 1,
) -> RunResult:
    """Start the server(s), warm participants up, measure, stop the server(s).

    With several processes (on one PostgreSQL database), client i talks to process i % N,
    as a proxy in front of them would share the connections out."""
    servers = [
        SmsServer(args.server_threads, args.pin_server, database_url)
        for _ in range(processes_count)
    ]
    server = servers[0]
    try:
        clients = args.clients
        per_client = max(1, args.participants // clients)
        interval = clients / target_rate if target_rate else None
        ready: mp.Queue = mp.Queue()
        results: mp.Queue = mp.Queue()
        start = mp.Value("d", 0.0)  # set once every client is warm
        jobs = [
            ClientJob(
                i, servers[i % len(servers)].port, per_client, args.seconds, clients, interval
            )
            for i in range(clients)
        ]
        processes = [
            mp.Process(target=_client_entry, args=(job, start, ready, results), daemon=True)
            for job in jobs
        ]
        for process in processes:
            process.start()
        for _ in processes:
            ready.get(timeout=600)
        before = server.stored_messages()
        start.value = time.time() + 0.5
        cpu_before = sum(s.cpu_seconds() for s in servers)
        collected = [results.get(timeout=args.seconds + 120) for _ in processes]
        cpu = sum(s.cpu_seconds() for s in servers) - cpu_before
        for process in processes:
            process.join(timeout=10)
        latencies = [value for values, _errors in collected for value in values]
        errors = sum(errors for _values, errors in collected)
        stored = server.stored_messages() - before
    finally:
        for each in servers:
            each.stop()
    return RunResult(
        rate=len(latencies) / args.seconds,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        messages=len(latencies),
        errors=errors,
        stored=stored,
        cpu_ms=cpu * 1000 / max(1, len(latencies)),
    )


def show(label: str, result: RunResult) -> None:
    """One line of figures."""
    print(
        f"{label:<22} {result.rate:8.0f} messages/s   p50 {result.p50_ms:6.1f} ms   "
        f"p99 {result.p99_ms:6.1f} ms   server CPU {result.cpu_ms:4.2f} ms/message   "
        f"({result.messages} messages, {result.errors} errors, {result.stored} stored)",
        flush=True,
    )


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="take the best of this many runs")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per run")
    parser.add_argument("--clients", type=int, default=4, help="client processes (connections)")
    parser.add_argument("--participants", type=int, default=400, help="people mid check-in")
    parser.add_argument(
        "--server-threads", type=int, help="`voicebox serve --threads` (default: serve's own)"
    )
    parser.add_argument("--rate", type=float, help="only a fixed-rate run at this rate")
    parser.add_argument(
        "--pin-server",
        type=int,
        metavar="CPU",
        help="run the server on this one CPU only (Linux), as `taskset -c CPU voicebox serve`",
    )
    parser.add_argument(
        "--postgres-compare",
        action="store_true",
        help="max rate on SQLite (1 process), then PostgreSQL with 1 and 2 processes",
    )
    parser.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database to use")
    args = parser.parse_args()
    if args.postgres_compare:
        compare(args)
        return
    threads = f"{args.server_threads or 'the default number of'} threads"
    if args.pin_server is not None:
        threads += f" pinned to CPU {args.pin_server}"
    print(
        f"voicebox SMS webhook benchmark: Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, SQLite, one server process with {threads}, "
        f"{args.clients} clients, {args.participants} participants, "
        f"{args.seconds:g} s a run, best of {args.runs}",
        flush=True,
    )
    if args.rate:
        runs = [measure(args, args.rate) for _ in range(args.runs)]
        for number, result in enumerate(runs, start=1):
            show(f"fixed {args.rate:g}/s run {number}", result)
        show("best (lowest p99)", min(runs, key=lambda r: r.p99_ms))
        return
    fastest: list[RunResult] = []
    for number in range(1, args.runs + 1):
        fastest.append(measure(args, None))
        show(f"max rate run {number}", fastest[-1])
    best = max(fastest, key=lambda r: r.rate)
    show("best max rate", best)
    half = best.rate / 2
    steady: list[RunResult] = []
    for number in range(1, args.runs + 1):
        steady.append(measure(args, half))
        show(f"fixed {half:.0f}/s run {number}", steady[-1])
    show(f"best at {half:.0f}/s", min(steady, key=lambda r: r.p99_ms))


def compare(args: argparse.Namespace) -> None:
    """SQLite with one process, PostgreSQL with one and two, in one run: best max rate each."""
    from served import postgres_url

    with postgres_url(args.postgres) as url:
        _compare_on(args, url)


def _compare_on(args: argparse.Namespace, url: str) -> None:
    """The three setups' best max rate, one line each."""
    from voicebox.storage.database import Database

    print(
        f"voicebox SMS webhook, max rate: Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {args.clients} clients, {args.participants} participants, "
        f"{args.seconds:g} s a run, best of {args.runs}",
        flush=True,
    )
    for label, database_url, count in (
        ("SQLite, 1 process", None, 1),
        ("PostgreSQL, 1 process", url, 1),
        ("PostgreSQL, 2 processes", url, 2),
    ):
        runs = []
        for _ in range(args.runs):
            if database_url is not None:  # each run starts from an empty database
                database = Database(database_url)
                with database.transaction() as conn:
                    conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
                database.dispose()
            runs.append(measure(args, None, database_url, count))
        show(label, max(runs, key=lambda r: r.rate))


if __name__ == "__main__":
    main()
