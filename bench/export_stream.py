"""Benchmark: `voicebox export` of a big check-in, its time and peak memory as it grows.

    python bench/export_stream.py                        # CSV of 10k, 50k, 100k check-ins
    python bench/export_stream.py --checkins 100000 --formats csv,xlsx,json
    python bench/export_stream.py --postgres postgresql://USER@127.0.0.1:PORT/EMPTY_DB
    python bench/export_stream.py --pythonpath /tmp/voicebox-before   # another checkout's CLI
    python bench/export_stream.py --http --checkins 100000 --server-threads 1

Each check-in is one person by SMS with 10 answers (two parts of life: the topic chosen,
a feeling, what is good, what is not good, what would make it better); one typed answer in
20 holds a phone number, so masking has work to do. Rows are written straight into the
tables with SQLAlchemy Core (the engine would take 20 minutes for 100,000 check-ins), in
one consultation, BENCH, made by the CLI under test (so its own migrations make the
schema). The database grows from one size to the next.

Command line: the real `voicebox export BENCH --format F --out FILE` runs as a child
process; its wall time and peak resident memory (ru_maxrss from wait4) are printed.

--http: `voicebox serve` on the same database; an admin signs in, downloads the CSV from
the workers' area, and meanwhile /healthz is asked every 50 ms, as a young person's message
would be. It prints the time to the first byte, the whole download, the server's peak
memory, and how long /healthz waited. This is a script, not a test.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from voicebox.storage.database import Database
from voicebox.storage.models import Answer, Consultation, Conversation, Participant, table

CODE = "BENCH"
PASSWORD = "bench password, long enough"
START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
TOPICS = (("school", "school or college"), ("home", "home"), ("health", "health"))
SAID = (
    "My teacher explains things to me",
    "The bus is late most days and I miss the start",
    "Quiet space at lunch",
    "I like my friends",
    "Nobody listens when I say I am tired",
    "More time with my support worker",
)
BATCH = 2_000  # check-ins a transaction
VOICEBOX = shutil.which("voicebox") or str(Path(sys.executable).parent / "voicebox")


def _env(url: str, pythonpath: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOX_")}
    env.update(VOICEBOX_DATABASE_URL=url, VOICEBOX_SECRET_KEY="bench-secret-0123456789abcdef")
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return env


def create_check_in(url: str, pythonpath: str | None) -> None:
    """BENCH, made by the CLI under test (its migrations make the schema)."""
    subprocess.run(
        [VOICEBOX, "consultation", "create", CODE, "--flow", "tops_and_pants", "--title", "B"],
        env=_env(url, pythonpath),
        check=True,
        capture_output=True,
    )


def _answers(n: int, participant: int, conversation: int, consultation: int) -> list[dict]:
    """One person's 10 answers."""
    rows = []
    at = START + timedelta(seconds=30 * n)
    for part, (topic, words) in enumerate((TOPICS[n % 3], TOPICS[(n + 1) % 3])):
        typed = [SAID[(n + part + k) % len(SAID)] for k in range(3)]
        if n % 20 == 0 and part == 0:
            typed[2] = f"Call me on 07700 9{n % 100_000:05d} please"
        asked = [
            ("topic", "choice", "Which part of your life do you want to talk about?", words, topic),
            ("feeling", "feeling", f"How do you feel about {words}?", "Good", "good"),
            ("good", "top", f"What is good about {words}?", typed[0], ""),
            ("not_good", "pants", f"What is not good about {words}?", typed[1], ""),
            ("better", "better", f"What would make {words} better?", typed[2], ""),
        ]
        for question_id, kind, question, answer, key in asked:
            rows.append(
                {
                    "conversation_id": conversation,
                    "consultation_id": consultation,
                    "participant_id": participant,
                    "seq": len(rows),
                    "channel": "sms",
                    "question_id": question_id,
                    "question": question,
                    "answer": answer,
                    "answer_key": key,
                    "kind": kind,
                    "topic": topic,
                    "answered_at": at + timedelta(seconds=len(rows)),
                }
            )
    return rows


def seed(url: str, upto: int) -> int:
    """Add finished check-ins to BENCH until it has `upto`; return its answers."""
    database = Database(url)
    try:
        with database.transaction() as conn:
            consultation = conn.scalar(select(Consultation.id).where(Consultation.code == CODE))
            have = conn.scalar(
                select(func.count(Conversation.id)).where(
                    Conversation.consultation_id == consultation
                )
            )
            next_person = (conn.scalar(select(func.max(Participant.id))) or 0) + 1
            next_conversation = (conn.scalar(select(func.max(Conversation.id))) or 0) + 1
        for first in range(have, upto, BATCH):
            people = range(first, min(upto, first + BATCH))
            ids = [(next_person + i, next_conversation + i) for i in range(len(people))]
            next_person += len(people)
            next_conversation += len(people)
            with database.transaction() as conn:
                conn.execute(
                    insert(table(Participant)),
                    [
                        {
                            "id": person,
                            "channel": "sms",
                            "key_hash": hashlib.sha256(f"bench-{n}".encode()).hexdigest(),
                            "pseudonym": f"Bench-{n}",
                            "address": f"sms:+4477{n:08d}",
                        }
                        for n, (person, _c) in zip(people, ids, strict=True)
                    ],
                )
                conn.execute(
                    insert(table(Conversation)),
                    [
                        {
                            "id": conversation,
                            "participant_id": person,
                            "consultation_id": consultation,
                            "channel": "sms",
                            "step": "goodbye",
                            "consent": "given",
                            "state": {},
                        }
                        for person, conversation in ids
                    ],
                )
                conn.execute(
                    insert(table(Answer)),
                    [
                        row
                        for n, (person, conversation) in zip(people, ids, strict=True)
                        for row in _answers(n, person, conversation, consultation)
                    ],
                )
        if not database.is_sqlite:
            with database.transaction() as conn:  # explicit ids leave the sequences behind
                for name in ("participants", "conversations"):
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT max(id) FROM {name}))"
                    )
        with database.reading() as conn:
            return int(
                conn.scalar(
                    select(func.count(Answer.id)).where(Answer.consultation_id == consultation)
                )
            )
    finally:
        database.dispose()


def run_export(url: str, fmt: str, out: Path, pythonpath: str | None) -> tuple[float, float]:
    """`voicebox export` in a child process: (seconds, peak resident MB)."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [VOICEBOX, "export", CODE, "--format", fmt, "--out", str(out)],
        env=_env(url, pythonpath),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    error = child.stderr.read().decode() if child.stderr else ""
    if child.stderr:
        child.stderr.close()
    if child.returncode != 0:
        raise SystemExit(f"export failed: {error}")
    return seconds, usage.ru_maxrss / 1024  # Linux gives kilobytes


def command_line(args: argparse.Namespace, url: str, folder: Path) -> None:
    """Exports of each size and format through the CLI."""
    print("check-ins  answers    format  seconds  answers/s  peak RSS  file")
    for size in args.checkins:
        answers = seed(url, size)
        for fmt in args.formats:
            out = folder / f"answers.{fmt}"
            best: tuple[float, float] | None = None
            for _ in range(args.runs):
                seconds, peak = run_export(url, fmt, out, args.pythonpath)
                best = (seconds, peak) if best is None or seconds < best[0] else best
            assert best is not None
            seconds, peak = best
            print(
                f"{size:>9,}  {answers:>9,}  {fmt:<6}  {seconds:7.1f}  {answers / seconds:9,.0f}"
                f"  {peak:5.0f} MB  {out.stat().st_size / 1e6:,.0f} MB",
                flush=True,
            )
            out.unlink()


def _status_kb(pid: int, field: str) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    found = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    return int(found.group(1)) if found else 0


class Browser:
    """Just enough of a browser for the workers' area: one cookie, one CSRF token."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie = ""

    def request(self, method: str, path: str, body: str = "") -> http.client.HTTPResponse:
        """Send a request with the session cookie; keep any new one."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return response

    def sign_in(self, email: str) -> None:
        """Sign in through the real form."""
        page = self.request("GET", "/workers/login").read().decode()
        found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert found, page
        from urllib.parse import urlencode

        form = urlencode({"email": email, "password": PASSWORD, "csrf_token": found.group(1)})
        response = self.request("POST", "/workers/login", form)
        response.read()
        assert response.status == 302, response.status


def over_http(args: argparse.Namespace) -> None:
    """The CSV from the workers' area, with /healthz asked every 50 ms meanwhile."""
    sys.path.insert(0, str(Path(__file__).parent))
    from served import Server

    server = Server(threads=args.server_threads)
    try:
        url = f"sqlite:///{server.database}"
        create_check_in(url, None)
        answers = seed(url, args.checkins[-1])
        subprocess.run(
            [VOICEBOX, "worker", "create", "bench@example.org", "--role", "admin"],
            env={**_env(url, None), "VOICEBOX_WORKER_PASSWORD": PASSWORD},
            check=True,
            capture_output=True,
        )
        browser = Browser(server.port)
        browser.sign_in("bench@example.org")
        rss_before = _status_kb(server.process.pid, "VmRSS") / 1024
        waits: list[float] = []
        done = threading.Event()

        def ask_health() -> None:
            while not done.is_set():
                started = time.perf_counter()
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                conn.close()
                waits.append(time.perf_counter() - started)
                time.sleep(0.05)

        started = time.perf_counter()
        response = browser.request("GET", f"/workers/checkins/{CODE}/export.csv")
        assert response.status == 200, response.status
        first = response.read1(65536)
        first_at = time.perf_counter() - started
        watcher = threading.Thread(target=ask_health)
        watcher.start()
        size = len(first)
        peak_rss = 0
        while chunk := response.read1(1 << 20):
            size += len(chunk)
            peak_rss = max(peak_rss, _status_kb(server.process.pid, "VmRSS"))
        whole = time.perf_counter() - started
        done.set()
        watcher.join()
        cpu = server.cpu_seconds()
        print(
            f"{answers:,} answers over HTTP, server threads: {args.server_threads or 'default'}\n"
            f"  first byte after {first_at * 1000:.0f} ms; all {size / 1e6:,.0f} MB after "
            f"{whole:.1f} s ({answers / whole:,.0f} answers/s)\n"
            f"  server memory: {rss_before:.0f} MB before, at most {peak_rss / 1024:.0f} MB "
            f"during; server CPU so far {cpu:.1f} s\n"
            f"  /healthz during the download ({len(waits)} asks): median "
            f"{statistics.median(waits) * 1000:.0f} ms, slowest {max(waits) * 1000:.0f} ms",
            flush=True,
        )
    finally:
        server.stop()


def main() -> None:
    """Parse the options, make the database, measure."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--checkins",
        default="10000,50000,100000",
        type=lambda text: sorted(int(n) for n in text.split(",")),
        help="sizes to measure, in check-ins (10 answers each), comma-separated",
    )
    parser.add_argument("--formats", default="csv", type=lambda text: text.split(","))
    parser.add_argument("--runs", type=int, default=1, help="runs of each; the fastest counts")
    parser.add_argument("--postgres", help="an empty PostgreSQL database to use instead")
    parser.add_argument("--pythonpath", help="run the CLI of the checkout in this folder")
    parser.add_argument("--http", action="store_true", help="download from the workers' area")
    parser.add_argument("--server-threads", type=int, help="`voicebox serve --threads` (--http)")
    args = parser.parse_args()
    print(
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, "
        f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC",
        flush=True,
    )
    if args.http:
        over_http(args)
        return
    folder = Path(tempfile.mkdtemp(prefix="voicebox-export-bench-"))
    try:
        url = args.postgres or f"sqlite:///{folder / 'voicebox.db'}"
        create_check_in(url, args.pythonpath)
        command_line(args, url, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"(this script, which seeded the rows, peaked at {own:.0f} MB)")


if __name__ == "__main__":
    main()
