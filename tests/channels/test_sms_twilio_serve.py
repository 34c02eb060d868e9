"""The SMS webhook under `voicebox serve` (waitress) over real HTTP: the URL Twilio signs is
the server's own, concurrent deliveries of one MessageSid are handled once, no token no route.
"""

from __future__ import annotations

import sqlite3
import threading
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from tests.serve_process import ServeProcess, clean_env

TOKEN = "serve-test-twilio-token-0123456789"


class Served(ServeProcess):
    """`voicebox serve` with the SMS channel on (when given a token), on its own SQLite file."""

    def __init__(self, folder: Path, token: str | None) -> None:
        self.database = folder / "voicebox.db"
        env = clean_env(
            VOICEBOX_DATABASE_URL=f"sqlite:///{self.database}",
            VOICEBOX_SECRET_KEY="serve-test-secret-0123456789abcdef",
        )
        if token:
            env["VOICEBOX_TWILIO_AUTH_TOKEN"] = token
        super().__init__(folder, env=env)
        self.url = f"{self.base}/sms/twilio"

    def post(self, fields: dict[str, str], signature: str | None = "good") -> tuple[int, bytes]:
        """POST form fields, signed over the server's own URL unless told otherwise."""
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signature == "good":
            signature = RequestValidator(TOKEN).compute_signature(self.url, fields)
        if signature is not None:
            headers["X-Twilio-Signature"] = signature
        call = urllib.request.Request(
            self.url, data=urlencode(fields).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(call, timeout=30) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def count(self, table: str) -> int:
        """Rows in a table of the server's database."""
        with sqlite3.connect(self.database) as conn:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@pytest.fixture
def served(tmp_path):
    """`voicebox serve` with the SMS channel on."""
    server = Served(tmp_path, TOKEN)
    yield server
    server.stop()


def _fields(sender: str, body: str, sid: str) -> dict[str, str]:
    return {
        "From": sender,
        "To": "+447700900999",
        "Body": body,
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "AccountSid": "AC" + "0" * 32,
    }


def _messages(body: bytes) -> list[str]:
    return [element.text or "" for element in ET.fromstring(body)]


def test_signed_webhook_under_waitress(served):
    """Signed over http://127.0.0.1:PORT/sms/twilio: answered; unsigned: 403, nothing kept."""
    status, body = served.post(_fields("+447700900123", "DEMO", "SM" + "1" * 32), signature=None)
    assert status == 403
    assert served.count("participants") == 0
    status, body = served.post(_fields("+447700900123", "DEMO", "SM" + "2" * 32))
    assert status == 200
    assert "1 Yes, that is OK" in _messages(body)[-1]
    assert served.count("participants") == 1
    assert "+447700900123" not in served.log.read_text()


def test_concurrent_deliveries_of_one_sid_are_handled_once(served):
    """Twilio retrying while the first delivery is still running: one step on, and every
    delivery gets the same reply (the repeats wait for the first, then say what it said)."""
    served.post(_fields("+447700900123", "DEMO", "SM" + "3" * 32))
    fields = _fields("+447700900123", "yes", "SM" + "4" * 32)
    results: list[tuple[int, bytes]] = []
    barrier = threading.Barrier(6)

    def deliver() -> None:
        barrier.wait()
        results.append(served.post(fields))

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [status for status, _ in results] == [200] * 6
    bodies = {body for _, body in results}
    assert len(bodies) == 1 and _messages(bodies.pop())
    assert served.count("inbound_message_ids") == 2
    with sqlite3.connect(served.database) as conn:
        (step,) = conn.execute("SELECT step FROM conversations").fetchone()
    assert step == "topic"


def test_many_people_at_once(served):
    """Twenty people joining at the same moment: every one answered, none lost."""
    barrier = threading.Barrier(20)
    results: list[int] = []

    def join(n: int) -> None:
        barrier.wait()
        status, body = served.post(_fields(f"+4477009001{n:02d}", "join demo", f"SM{n:032d}"))
        results.append(status if _messages(body) else -status)

    threads = [threading.Thread(target=join, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == [200] * 20
    assert served.count("conversations") == 20
    # 20 requests queue for serve's one SQLite thread: normal, so not a warning in the log
    assert "Task queue depth" not in served.log.read_text()


def test_no_token_no_route(tmp_path):
    """Without VOICEBOX_TWILIO_AUTH_TOKEN, POST /sms/twilio is a 404, never open."""
    server = Served(tmp_path, None)
    try:
        status, _body = server.post(_fields("+447700900123", "DEMO", "SM" + "5" * 32))
        assert status == 404
        assert server.count("participants") == 0
    finally:
        server.stop()
