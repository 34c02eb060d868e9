"""Many `voicebox serve` processes started at once on one new database all come up, with
one DEMO; the database's files are the owner's alone."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.empty_postgres import empty_postgres
from tests.serve_process import VOICEBOX, clean_env, free_port
from voicebox.storage.database import normalize_url

PROCESSES = 10
# Seconds for all of them to answer. Each start costs about 4 s of CPU (mostly imports), so
# ten on 2 shared cores took 45 to 55 s here; the lock itself adds well under a second each.
COME_UP = 90
KEY = "parallel-start-secret-0123456789abcdef"


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return answer.status == 200
    except (OSError, urllib.error.URLError):
        return False


def _start_together(folder: Path, env: dict[str, str]) -> None:
    """Start PROCESSES servers at once; fail unless every one answers /healthz."""
    started: list[tuple[subprocess.Popen[bytes], int, Path]] = []
    try:
        for number in range(PROCESSES):
            port = free_port()
            log = folder / f"serve-{number}.log"
            with log.open("w") as out:
                process = subprocess.Popen(
                    [VOICEBOX, "serve", "--port", str(port)],
                    cwd=folder,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            started.append((process, port, log))
        waiting = list(started)
        deadline = time.monotonic() + COME_UP
        while waiting and time.monotonic() < deadline:
            for entry in list(waiting):
                process, port, log = entry
                if process.poll() is not None:
                    pytest.fail(f"a server stopped while starting:\n{log.read_text()}")
                if _healthy(port):
                    waiting.remove(entry)
            time.sleep(0.2)
        assert not waiting, f"{len(waiting)} of {PROCESSES} servers did not come up"
    finally:
        for process, _port, _log in started:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGTERM)
        for process, _port, _log in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()


@pytest.mark.postgres
def test_ten_servers_start_together_on_a_new_postgres_database(postgres_server, tmp_path):
    """Before the start-up lock, two of them migrating at once made one exit."""
    with empty_postgres(postgres_server) as url:
        _start_together(tmp_path, clean_env(VOICEBOX_DATABASE_URL=url, VOICEBOX_SECRET_KEY=KEY))
        engine = create_engine(normalize_url(url))
        with engine.connect() as conn:
            demos = conn.execute(text("SELECT count(*) FROM consultations WHERE code = 'DEMO'"))
            assert demos.scalar_one() == 1
        engine.dispose()


def test_ten_servers_start_together_on_a_new_sqlite_file(tmp_path):
    """The same on SQLite, with no key set: they share one generated key file."""
    database = tmp_path / "voicebox.db"
    _start_together(tmp_path, clean_env(VOICEBOX_DATABASE_URL=f"sqlite:///{database}"))
    with sqlite3.connect(database) as conn:
        assert (
            conn.execute("SELECT count(*) FROM consultations WHERE code = 'DEMO'").fetchone()[0]
            == 1
        )
    conn.close()
    for name in ("voicebox.db", "voicebox.db.secret"):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o600, f"{name} is {oct(mode)}"
