"""Benchmark: web chat button presses per second over HTTP, sent as the page's script sends them.

    python bench/web_chat.py                      # 10 s, presses as fast as answers come back
    python bench/web_chat.py --rate 100           # a fixed offered load: latency at 100 presses/s
    python bench/web_chat.py --duration 20 --visitors 400 --clients 4 --threads 8 --runs 3
    python bench/web_chat.py --database-url postgresql://USER@127.0.0.1:PORT/EMPTY_DB

Each run starts `voicebox serve` (waitress, one process) on 127.0.0.1 on a free port, in a
temp folder with a fresh SQLite database (or the PostgreSQL database given), exactly as
deployed. Client threads in this process, one keep-alive HTTP/1.1 connection each, play many
visitors, each with their own session cookie. Warm-up (not timed): each visitor opens
GET /c/DEMO (which starts the check-in), consents and answers a few questions, so every
timed press is part-way through a check-in. Then, for --duration seconds, each client
thread takes its visitors in turn; a visitor presses again only after the answer to the
last press. A press is what the page's script sends: the answer form's fields (token and
nonce) plus the pressed button, posted as a form to POST /c/DEMO/messages. The next press
is chosen from the `mode` and the buttons in `answer_html` of the previous answer: consent
yes, a topic, a feeling, three free-text answers, "another part?" yes (1 to 3 parts per
check-in, then no), "hear back?" yes; `command=start` when the check-in has ended. Random
choices come from a seeded generator, so two runs (or two versions) send the same mix.

The script uses only HTTP, the HTML of the page and the JSON keys `mode` and
`answer_html` (and `messages`), never voicebox's own modules, so it can measure two
versions of the code in the same way.

1. Max rate (the default): every client sends as fast as answers come back.
2. Fixed rate (--rate R): open loop, R presses/s spread over the clients, with latency
   counted from the moment a press was due, so a slow server cannot hide its queue.

A press counts as an error unless it gets status 200 and JSON with `mode` and
`answer_html`; a visitor whose press failed reloads the page (counted as a page load)
before pressing again. "no reply" counts 200 answers with no new messages.
It prints one line per run: presses/s (presses sent in --duration, over the time until
the last of them was answered: when the server cannot keep up with --rate, this is less
than the rate), p50/p95/p99 latency, errors, and the CPU seconds of the server process
and of this client process. This is a script, not a test.

Keep --clients well under 98: waitress accepts at most 100 open sockets by default (its
connection_limit, counting its own two), and a connection over that waits until an idle one
is closed, about two minutes later.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import random
import re
import secrets
import signal
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode

from served import Server

CODE = "DEMO"
PAGE = f"/c/{CODE}"
MESSAGES = f"/c/{CODE}/messages"
TEXTS = (
    "The teachers explain things and listen to me",
    "The bus is late most days",
    "More time to eat lunch",
    "My friends are kind and we play football at break",
    "It is too noisy in the dinner hall",
    "A quiet room I can go to when I need a rest",
    "My support worker helps me with shopping",
    "Sometimes I wait a long time to see the doctor",
    "More clubs at the weekend",
)
_EXPIRED = re.compile(r";\s*max-age=0\s*(;|$)", re.IGNORECASE)


@dataclass
class Button:
    """A button of the answer form: what it sends and the words on it."""

    name: str
    value: str
    words: str


class AnswerForm(HTMLParser):
    """The answer form in a page or in `answer_html`: hidden fields, mode and buttons."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found = False
        self.mode: str | None = None  # the form's data-mode, if it has one
        self.hidden: dict[str, str] = {}
        self.buttons: list[Button] = []
        self.has_text = False
        self._inside = False
        self._button: tuple[str, str, list[str]] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._inside = not self.found and "answer-form" in attr.get("class", "").split()
            if self._inside:
                self.found = True
                self.mode = attr.get("data-mode") or None
        elif not self._inside:
            return
        elif tag == "input" and attr.get("type") == "hidden" and attr.get("name"):
            self.hidden[attr["name"]] = attr.get("value", "")
        elif tag == "textarea" and attr.get("name") == "text":
            self.has_text = True
        elif tag == "button":
            self._button = (attr.get("name", ""), attr.get("value", ""), [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False
        elif tag == "button" and self._button is not None:
            name, value, words = self._button
            self.buttons.append(Button(name, value, " ".join("".join(words).split())))
            self._button = None

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button[2].append(data)


def _answer(buttons: list[Button], word: str) -> Button | None:
    """The yes (or no) button: its value ends in :yes, or its words begin with Yes."""
    for button in buttons:
        key = button.value.rsplit(":", 1)[-1].strip().lower()
        first = re.split(r"\W+", button.words.lower(), maxsplit=1)[0] if button.words else ""
        if key == word or first == word:
            return button
    return None


@dataclass
class Visitor:
    """One person on the web chat, with their own cookies and where they are."""

    rng: random.Random
    cookies: dict[str, str] = field(default_factory=dict)
    token: str = ""
    nonce: str = ""  # the answer form's nonce, when it has a new one
    used_nonce: str = ""
    mode: str = "none"
    buttons: list[Button] = field(default_factory=list)
    reload: bool = True  # open the page before the next press (new, or after a failure)
    parts_wanted: int = 1  # parts of life to talk about in this check-in
    parts_done: int = 0
    texts: int = 0  # free-text answers since the last yes/no question

    def read_form(self, html: str, mode: str | None) -> None:
        """Take the token, nonce and buttons of a new answer form."""
        form = AnswerForm(html)
        self.token = form.hidden.get("token", self.token)
        self.nonce = form.hidden.get("nonce", "")
        self.buttons = form.buttons
        if mode is None:  # a whole page: the form's data-mode, else what it shows
            mode = form.mode
            if mode is None:
                names = {(b.name, b.value) for b in form.buttons}
                if any(b.name == "choice" for b in form.buttons):
                    mode = "choice"
                elif form.has_text:
                    mode = "text"
                elif ("command", "start") in names:
                    mode = "ended"
        self.mode = mode or "none"

    def next_press(self) -> list[tuple[str, str]] | None:
        """The button to press next (its fields), from the mode and buttons; None if stuck."""
        if self.mode in ("ended", "stopped"):
            self.parts_wanted, self.parts_done, self.texts = self.rng.randint(1, 3), 0, 0
            return [("command", "start")]
        if self.mode == "text":
            self.texts += 1
            return [("text", self.rng.choice(TEXTS)), ("send", "1")]
        choices = [b for b in self.buttons if b.name == "choice"]
        if self.mode != "choice" or not choices:
            return None
        yes, no = _answer(choices, "yes"), _answer(choices, "no")
        if yes is not None and no is not None:
            if self.texts:  # a yes/no after free-text answers: "another part of your life?"
                self.parts_done += 1
                pick = no if self.parts_done >= self.parts_wanted else yes
            else:  # consent, "hear what we do?"
                pick = yes
            self.texts = 0
        else:
            pick = self.rng.choice(choices)
        return [("choice", pick.value)]

    def fields(self, press: list[tuple[str, str]]) -> str:
        """The form body the page's script posts: the form's fields, then the button."""
        nonce = self.nonce
        if not nonce or nonce == self.used_nonce:
            nonce = secrets.token_urlsafe(12)  # the form had none: make one as the form would
        self.used_nonce = nonce
        return urlencode([("token", self.token), ("nonce", nonce), *press])

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def keep_cookies(self, headers: list[str]) -> None:
        for header in headers:
            name, _, value = header.split(";", 1)[0].strip().partition("=")
            if _EXPIRED.search(header) or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value


@dataclass
class Tally:
    """What one client thread saw."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    no_reply: int = 0
    page_loads: int = 0
    stuck: int = 0
    finished: float = 0.0  # perf_counter when the last answer came
    statuses: Counter = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)  # the first few errors, in words

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.samples) < 5:
            self.samples.append(what)


class Client:
    """One keep-alive connection playing some visitors, each one press at a time."""

    def __init__(self, port: int, visitors: list[Visitor]) -> None:
        self.port = port
        self.visitors = visitors
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.tally = Tally()

    def request(self, visitor: Visitor, method: str, path: str, body: str | None = None):
        """One request with the visitor's cookies; (status, body bytes)."""
        headers = {"Cookie": visitor.cookie_header()} if visitor.cookies else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Accept"] = "application/json"
        else:
            headers["Accept"] = "text/html"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()  # the next request opens a new connection
            raise
        visitor.keep_cookies(response.headers.get_all("Set-Cookie") or [])
        return response.status, data

    def load(self, visitor: Visitor) -> None:
        """Open the check-in page, as a browser does (it starts the check-in the first time)."""
        self.tally.page_loads += 1
        try:
            status, data = self.request(visitor, "GET", PAGE)
        except (OSError, http.client.HTTPException) as exc:
            self.tally.error(f"GET {PAGE}: {exc.__class__.__name__}: {exc}")
            return
        self.tally.statuses[f"GET {status}"] += 1
        if status != 200:
            self.tally.error(f"GET {PAGE}: HTTP {status}")
            return
        visitor.read_form(data.decode("utf-8", "replace"), None)
        visitor.reload = False

    def press(self, visitor: Visitor) -> None:
        """Press the next button for this visitor and read the answer."""
        press = visitor.next_press()
        if press is None:  # nothing to press: reload the page next time
            self.tally.stuck += 1
            visitor.reload = True
            return
        what = f"POST {MESSAGES} {press[0][0]}={press[0][1]} (mode {visitor.mode})"
        try:
            status, data = self.request(visitor, "POST", MESSAGES, visitor.fields(press))
        except (OSError, http.client.HTTPException) as exc:
            self.tally.error(f"{what}: {exc.__class__.__name__}: {exc}")
            visitor.reload = True
            return
        self.tally.statuses[f"POST {status}"] += 1
        try:
            answer = json.loads(data) if status == 200 else None
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or not isinstance(answer.get("answer_html"), str):
            self.tally.error(f"{what}: HTTP {status} {data[:160]!r}")
            visitor.reload = True
            return
        if not answer.get("messages"):
            self.tally.no_reply += 1
        visitor.read_form(answer["answer_html"], str(answer.get("mode") or "none"))

    def turn(self, visitor: Visitor) -> None:
        if visitor.reload:
            self.load(visitor)
        self.press(visitor)

    def warm_up(self) -> None:
        """Every visitor opens the page, consents and answers a few questions."""
        for visitor in self.visitors:
            self.load(visitor)
            for _ in range(visitor.rng.randint(1, 7)):
                self.turn(visitor)

    def run(self, start: float, end: float, interval: float | None, stop: threading.Event):
        """From start to end (perf_counter), press; one visitor after another."""
        self.tally = Tally()
        due = start
        turn = 0
        while not stop.is_set():
            if interval is not None:
                delay = due - time.perf_counter()
                if delay > 0:
                    stop.wait(delay)
            else:
                due = time.perf_counter()
            if due >= end:
                break
            visitor = self.visitors[turn % len(self.visitors)]
            turn += 1
            if visitor.reload:
                self.load(visitor)
                if interval is None:
                    due = time.perf_counter()
            self.press(visitor)
            self.tally.latencies.append(time.perf_counter() - due)
            if interval is not None:
                due += interval
        self.tally.finished = time.perf_counter()


@dataclass
class RunResult:
    """Figures from one measured run."""

    presses: int
    seconds: float  # from the start to the last answer (past --duration if answers lag)
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    no_reply: int
    page_loads: int
    stuck: int
    server_cpu: float
    client_cpu: float
    statuses: Counter
    samples: list[str]
    problems: list[str]

    @property
    def rate(self) -> float:
        return self.presses / self.seconds


def percentile(values: list[float], fraction: float) -> float:
    """The value below which this fraction of values lie (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]


def measure(args: argparse.Namespace, rate: float | None, run: int) -> RunResult:
    """Start a server, warm the visitors up, measure, stop the server."""
    server = Server(args.threads, database_url=args.database_url)
    stop = threading.Event()
    try:
        per_client = max(1, args.visitors // args.clients)
        clients = [
            Client(
                server.port,
                [Visitor(random.Random(f"{args.seed}-{run}-{c}-{v}")) for v in range(per_client)],
            )
            for c in range(args.clients)
        ]
        interval = args.clients / rate if rate else None
        clock: dict[str, float] = {}

        def begin() -> None:  # runs once, when every client is warm
            clock["server_cpu"] = server.cpu_seconds()
            clock["client_cpu"] = time.process_time()
            clock["start"] = time.perf_counter() + 0.05

        barrier = threading.Barrier(args.clients, action=begin)
        failures: list[BaseException] = []

        def work(index: int, client: Client) -> None:
            try:
                client.warm_up()
                barrier.wait()
                # Clients start evenly spread over one interval, so a fixed rate is smooth.
                start = clock["start"] + (interval or 0) * index / args.clients
                client.run(start, clock["start"] + args.duration, interval, stop)
            except threading.BrokenBarrierError:
                pass
            except BaseException as exc:  # reported by the main thread
                failures.append(exc)
                barrier.abort()

        threads = [
            threading.Thread(target=work, args=(i, c), daemon=True, name=f"client-{i}")
            for i, c in enumerate(clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)  # short waits, so Ctrl+C gets through
        if failures:
            raise SystemExit(f"a client failed: {failures[0]!r}")
        server_cpu = server.cpu_seconds() - clock["server_cpu"]
        client_cpu = time.process_time() - clock["client_cpu"]
    finally:
        stop.set()
        server.stop()
    tallies = [client.tally for client in clients]
    latencies = [value for tally in tallies for value in tally.latencies]
    statuses: Counter = Counter()
    for tally in tallies:
        statuses.update(tally.statuses)
    return RunResult(
        presses=len(latencies),
        seconds=max(t.finished for t in tallies) - clock["start"],
        p50_ms=percentile(latencies, 0.50) * 1000,
        p95_ms=percentile(latencies, 0.95) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        errors=sum(t.errors for t in tallies),
        no_reply=sum(t.no_reply for t in tallies),
        page_loads=sum(t.page_loads for t in tallies),
        stuck=sum(t.stuck for t in tallies),
        server_cpu=server_cpu,
        client_cpu=client_cpu,
        statuses=statuses,
        samples=[sample for tally in tallies for sample in tally.samples][:5],
        problems=server.problems(),
    )


def show(label: str, result: RunResult) -> None:
    """One line of figures, then anything that went wrong."""
    print(
        f"{label:<18} {result.rate:7.1f} presses/s   p50 {result.p50_ms:6.1f} ms   "
        f"p95 {result.p95_ms:6.1f} ms   p99 {result.p99_ms:6.1f} ms   "
        f"errors {result.errors}   server CPU {result.server_cpu:5.2f} s "
        f"({result.server_cpu * 1000 / max(1, result.presses):.2f} ms/press)   "
        f"client CPU {result.client_cpu:5.2f} s   "
        f"({result.presses} presses answered in {result.seconds:.1f} s, "
        f"{result.no_reply} no reply, {result.page_loads} page loads, {result.stuck} stuck)",
        flush=True,
    )
    unusual = {k: v for k, v in result.statuses.items() if not k.endswith(" 200")}
    if unusual:
        print(f"    not 200: {dict(unusual)}", flush=True)
    for sample in result.samples:
        print(f"    error: {sample}", flush=True)
    if result.problems:
        print(f"    server log: {len(result.problems)} error lines, first: {result.problems[0]}")


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds a run")
    parser.add_argument("--visitors", type=int, default=200, help="visitors mid check-in")
    parser.add_argument(
        "--clients", type=int, default=4, help="client threads (one connection each)"
    )
    parser.add_argument("--threads", type=int, help="`voicebox serve --threads` (default: its own)")
    parser.add_argument("--rate", type=float, help="a fixed offered load, presses/s")
    parser.add_argument("--runs", type=int, default=1, help="runs, each on a new server")
    parser.add_argument("--seed", default="1", help="seed for the visitors' choices")
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="serve on this database (e.g. an empty PostgreSQL one) instead of a fresh SQLite",
    )
    args = parser.parse_args()
    if args.clients < 1 or args.visitors < args.clients or args.duration <= 0:
        parser.error("need --clients >= 1, --visitors >= --clients and --duration > 0")
    # Ctrl+C (even when started in the background, where SIGINT comes ignored) and SIGTERM
    # end the run through `finally`, which stops the server by its process id.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    database = "PostgreSQL" if args.database_url else "SQLite (fresh, in a temp folder)"
    threads = f"{args.threads} threads" if args.threads else "its default threads"
    per_client = args.visitors // args.clients
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"voicebox web chat benchmark: Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average {load}, {database}, one `voicebox serve` "
        f"process with {threads}; {args.clients} client threads in one process (one "
        f"keep-alive connection each), {per_client * args.clients} visitors, "
        f"{args.duration:g} s a run, "
        + (f"fixed rate {args.rate:g} presses/s" if args.rate else "max rate"),
        flush=True,
    )
    label = f"fixed {args.rate:g}/s" if args.rate else "max rate"
    results = []
    try:
        for run in range(1, args.runs + 1):
            results.append(measure(args, args.rate, run))
            show(f"{label} run {run}" if args.runs > 1 else label, results[-1])
    except KeyboardInterrupt:
        print("interrupted: server stopped", file=sys.stderr)
        sys.exit(130)
    if len(results) > 1:
        if args.rate:
            show("best (lowest p99)", min(results, key=lambda r: r.p99_ms))
        else:
            show("best (max rate)", max(results, key=lambda r: r.rate))


if __name__ == "__main__":
    main()
