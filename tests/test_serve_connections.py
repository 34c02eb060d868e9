"""`voicebox serve` under 1,000 idle or slow connections still answers at once; SIGTERM lets
a request in flight finish, refuses new connections and exits 0."""

from __future__ import annotations

import os
import resource
import signal
import socket
import statistics
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from contextlib import suppress
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from tests.serve_process import ServeProcess, clean_env

TOKEN = "connections-test-twilio-token-0123"
IDLE, SLOW = 500, 500  # connections that send nothing, and that send a header byte by byte


def _served(folder: Path) -> ServeProcess:
    env = clean_env(
        VOICEBOX_DATABASE_URL=f"sqlite:///{folder / 'voicebox.db'}",
        VOICEBOX_SECRET_KEY="connections-test-secret-0123456789",
        VOICEBOX_TWILIO_AUTH_TOKEN=TOKEN,
    )
    return ServeProcess(folder, env=env)


def _signed_body(url: str, sid: str) -> tuple[bytes, str]:
    fields = {
        "From": "+447700900123",
        "To": "+447700900999",
        "Body": "DEMO",
        "MessageSid": sid,
        "NumMedia": "0",
        "AccountSid": "AC" + "0" * 32,
    }
    return urlencode(fields).encode(), RequestValidator(TOKEN).compute_signature(url, fields)


def _timed(call: urllib.request.Request | str) -> tuple[float, int]:
    """Seconds until the whole answer came, and its status."""
    began = time.monotonic()
    try:
        with urllib.request.urlopen(call, timeout=5) as answer:
            answer.read()
            status = answer.status
    except urllib.error.HTTPError as error:
        status = error.code
    return time.monotonic() - began, status


def test_a_thousand_idle_and_slow_connections_do_not_shut_anyone_out(tmp_path):
    """Before: 99 idle connections and /healthz got no answer (waitress's limit of 100)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1500:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    server = _served(tmp_path)
    held: list[socket.socket] = []
    stop = threading.Event()
    try:
        for number in range(IDLE + SLOW):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            if number >= IDLE:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            held.append(sock)

        def trickle() -> None:  # slowloris: one more byte of the header now and then
            while not stop.wait(0.5):
                for sock in held[IDLE:]:
                    with suppress(OSError):
                        sock.send(b"a")

        trickler = threading.Thread(target=trickle, daemon=True)
        trickler.start()
        url = server.base + "/sms/twilio"
        health, hook = [], []
        for number in range(3):
            health.append(_timed(server.base + "/healthz"))
            body, signature = _signed_body(url, f"SM{number:032d}")
            call = urllib.request.Request(
                url,
                data=body,
                headers={
                    "X-Twilio-Signature": signature,
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                method="POST",
            )
            hook.append(_timed(call))
        assert [status for _seconds, status in health + hook] == [200] * 6
        # Within 1 s; the median, so one moment of a busy test machine is not a failure.
        assert statistics.median(seconds for seconds, _status in health) < 1.0, health
        assert statistics.median(seconds for seconds, _status in hook) < 1.0, hook
    finally:
        stop.set()
        for sock in held:
            sock.close()
        server.stop()


def test_sigterm_finishes_the_request_in_flight_then_exits_0(tmp_path):
    """Before: SIGTERM ended the process at once, and the text half received was lost."""
    server = _served(tmp_path)
    url = server.base + "/sms/twilio"
    body, signature = _signed_body(url, "SM" + "7" * 32)
    head = (
        f"POST /sms/twilio HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: {signature}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(head + body[:20])  # a phone company's slow upload, cut in the middle
            time.sleep(0.3)
            os.kill(server.process.pid, signal.SIGTERM)
            deadline = time.monotonic() + 5
            refused = False
            while not refused and time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
                    time.sleep(0.1)
                except (ConnectionRefusedError, ConnectionResetError):
                    # Reset: the listener closed with our connection still in its backlog.
                    refused = True
            assert refused, "new connections were still taken after SIGTERM"
            sock.sendall(body[20:])
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        status_line, _, rest = answer.partition(b"\r\n")
        assert status_line == b"HTTP/1.1 200 OK", answer[:300]
        twiml = rest.partition(b"\r\n\r\n")[2]
        assert ET.fromstring(twiml).tag == "Response" and len(ET.fromstring(twiml)) >= 1
        assert server.process.wait(timeout=15) == 0
        assert "Traceback" not in server.log.read_text()
    finally:
        server.stop()
