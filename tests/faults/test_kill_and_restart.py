"""Real processes under load: `voicebox serve` killed with SIGKILL mid-load loses no message
it acknowledged; PostgreSQL restarted under load makes requests fail cleanly (503, kind
words, no traceback) and the service comes back by itself."""

from __future__ import annotations

import http.client
import itertools
import os
import signal
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from tests.channels.sms_harness import SMS_OUR_NUMBER, SMS_TOKEN
from tests.faults.outbox_load import SECRET
from tests.postgres import ThrowawayPostgres, server_bin
from tests.serve_process import ServeProcess, clean_env
from voicebox.storage.database import Database
from voicebox.storage.models import InboundMessageId

pytestmark = pytest.mark.postgres
_sids = itertools.count(1)


def _serve(folder: Path, url: str) -> ServeProcess:
    folder.mkdir(parents=True, exist_ok=True)
    env = clean_env(
        VOICEBOX_DATABASE_URL=url,
        VOICEBOX_SECRET_KEY=SECRET,
        VOICEBOX_TWILIO_AUTH_TOKEN=SMS_TOKEN,
    )
    return ServeProcess(folder, env=env)


def _text(server: ServeProcess, phone: str, body: str) -> tuple[int, str, str]:
    """Post one signed Twilio webhook; (status, body, MessageSid); status 0 when no answer."""
    sid = f"SM{os.getpid():08x}{next(_sids):024x}"
    form = {
        "From": phone,
        "To": SMS_OUR_NUMBER,
        "Body": body,
        "MessageSid": sid,
        "NumMedia": "0",
    }
    url = f"{server.base}/sms/twilio"
    signature = RequestValidator(SMS_TOKEN).compute_signature(url, form)
    request = urllib.request.Request(
        url, data=urllib.parse.urlencode(form).encode(), headers={"X-Twilio-Signature": signature}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode(), sid
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode(errors="replace"), sid
    except (OSError, http.client.HTTPException):  # refused, cut off, half an answer
        return 0, "", sid


def _get(url: str) -> tuple[int, str]:
    """GET a page: its status and text."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode(errors="replace")


def _stored_sids(database: Database) -> set[str]:
    with database.reading() as conn:
        return set(conn.execute(select(InboundMessageId.message_id)).scalars())


class Load:
    """Young people texting from several threads until told to stop; what was answered."""

    def __init__(self, server: ServeProcess, people: int = 6) -> None:
        self.server = server
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.answers: list[tuple[int, str, str]] = []
        self.threads = [
            threading.Thread(target=self._person, args=(f"+4477009{n:05d}",), daemon=True)
            for n in range(people)
        ]

    def _person(self, phone: str) -> None:
        bodies = itertools.chain(["DEMO", "yes"], itertools.cycle(["1", "2", "it is ok", "3"]))
        for body in bodies:
            if self.stop.is_set():
                return
            answer = _text(self.server, phone, body)
            with self.lock:
                self.answers.append(answer)

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=15)

    def count(self) -> int:
        with self.lock:
            return len(self.answers)

    def acknowledged(self) -> set[str]:
        """Message ids that got a 200: Twilio would not send them again."""
        with self.lock:
            return {sid for status, _, sid in self.answers if status == 200}


def _wait_for(condition, limit: float) -> bool:  # noqa: ANN001 - a callable
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_kill_9_mid_load_loses_no_acknowledged_message(postgres_database, tmp_path):
    """SIGKILL while six people text: every message that got a 200 is stored (its id is
    kept in the same transaction as the answer), and a new process carries on."""
    server = _serve(tmp_path / "one", postgres_database.url)
    with Load(server) as load:
        assert _wait_for(lambda: load.count() >= 60, 60), "the load never got going"
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()
    acknowledged = load.acknowledged()
    assert len(acknowledged) >= 60
    assert acknowledged <= _stored_sids(postgres_database)
    again = _serve(tmp_path / "two", postgres_database.url)
    try:
        status, reply, _ = _text(again, "+447700900000", "1")
    finally:
        again.stop()
    assert status == 200 and "<Response>" in reply


@pytest.fixture
def own_postgres():
    """A PostgreSQL server of this test's own, as it will be stopped and started."""
    bin_dir = server_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server programs not found")
    server = ThrowawayPostgres(bin_dir)
    try:
        yield server, server.start()
    finally:
        server.stop()


def test_postgresql_restarted_under_load(own_postgres, tmp_path):
    """PostgreSQL stops for a few seconds while people text: meanwhile requests get a
    503 with kind words (never a 500 or a traceback), and once it is back the same
    process answers and stores again, with no restart of its own."""
    postgres, url = own_postgres
    database = Database(url)
    server = _serve(tmp_path, url)
    try:
        with Load(server) as load:
            assert _wait_for(lambda: load.count() >= 20, 60)
            postgres.pause()
            down = load.count()
            assert _wait_for(lambda: load.count() >= down + 10, 30), "no answers while down"
            pages = [_get(f"{server.base}{path}") for path in ("/healthz", "/c/DEMO")]
            postgres.resume()
            back = load.count()
            assert _wait_for(lambda: any(s == 200 for s, _, _ in load.answers[back + 20 :]), 60), (
                "the service did not come back by itself"
            )
        statuses = Counter(status for status, _, _ in load.answers)
        assert statuses[503] >= 1, statuses
        assert set(statuses) <= {200, 503}, statuses
        assert not any("Traceback" in body for _, body, _ in load.answers)
        assert all("<Response" in body for s, body, _ in load.answers if s == 503)
        (health, health_body), (page, page_body) = pages
        assert health == 503 and '"unavailable"' in health_body
        assert page == 503 and "try again in a minute" in page_body
        assert load.acknowledged() <= _stored_sids(database)
        assert server.process.poll() is None
    finally:
        server.stop()
        database.dispose()
    assert "Traceback" not in server.log.read_text()
