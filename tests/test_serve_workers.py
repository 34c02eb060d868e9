"""`voicebox serve --workers 2` on PostgreSQL: two processes answer on one port, one that
dies is started again, and SIGTERM stops them all; SQLite refuses it in one line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from tests.empty_postgres import empty_postgres
from tests.serve_process import VOICEBOX, ServeProcess, clean_env, free_port

TOKEN = "workers-test-twilio-token-0123456789"


def _children(pid: int) -> list[int]:
    """The process ids of a process's children, from /proc."""
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


def _accepted_by(pids: list[int], port: int) -> dict[int, int]:
    """How many connections to `port` each process holds (/proc/net/tcp and its fds)."""
    ours = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(f":{port:04X}") and fields[3] == "01":  # ESTABLISHED
            ours.add(fields[9])
    held = {}
    for pid in pids:
        inodes = set()
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
        held[pid] = len(inodes & ours)
    return held


def _get(url: str, timeout: float = 5) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def _wait_healthy(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if _get(base + "/healthz", timeout=2) == 200:
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail("no worker process answered /healthz")


@pytest.mark.postgres
def test_two_worker_processes_share_the_port_and_stop_together(postgres_server, tmp_path):
    """Both children answer; a killed one is replaced, with a log line; SIGTERM stops all."""
    with empty_postgres(postgres_server) as url:
        env = clean_env(
            VOICEBOX_DATABASE_URL=url,
            VOICEBOX_SECRET_KEY="workers-test-secret-0123456789",
            VOICEBOX_TWILIO_AUTH_TOKEN=TOKEN,
        )
        server = ServeProcess(tmp_path, "--workers", "2", env=env)
        try:
            _wait_healthy(server.base)
            children = _children(server.process.pid)
            assert len(children) == 2
            held: list[socket.socket] = []
            counts = dict.fromkeys(children, 0)
            for _ in range(60):  # keep connections open until each child holds one
                sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                assert sock.recv(100).startswith(b"HTTP/1.1 200")
                held.append(sock)
                counts = _accepted_by(children, server.port)
                if all(counts.values()):
                    break
            for sock in held:
                sock.close()
            assert all(counts.values()), counts

            fields = {
                "From": "+447700900123",
                "To": "+447700900999",
                "Body": "DEMO",
                "MessageSid": "SM" + "5" * 32,
                "NumMedia": "0",
            }
            webhook = server.base + "/sms/twilio"
            call = urllib.request.Request(
                webhook,
                data=urlencode(fields).encode(),
                headers={
                    "X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(webhook, fields)
                },
                method="POST",
            )
            with urllib.request.urlopen(call, timeout=10) as answer:
                assert answer.status == 200 and b"<Message>" in answer.read()

            os.kill(children[0], signal.SIGKILL)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                now = _children(server.process.pid)
                if len(now) == 2 and children[0] not in now:
                    break
                time.sleep(0.2)
            assert len(now) == 2 and children[0] not in now, now
            assert f"worker process {children[0]} stopped" in server.log.read_text()
            _wait_healthy(server.base)

            os.kill(server.process.pid, signal.SIGTERM)
            assert server.process.wait(timeout=30) == 0
            for pid in now:
                assert (
                    not Path(f"/proc/{pid}").exists()
                    or "zombie" in Path(f"/proc/{pid}/status").read_text()
                )
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
        finally:
            server.stop()


def test_sqlite_refuses_several_workers_in_one_line(tmp_path):
    """SQLite writes one message at a time: more processes would only wait for each other."""
    result = subprocess.run(
        [VOICEBOX, "serve", "--port", str(free_port()), "--workers", "2"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [
        "voicebox: --workers needs PostgreSQL (VOICEBOX_DATABASE_URL). "
        "SQLite writes one message at a time, so more processes would only "
        "wait for each other: use --threads instead."
    ], result.stderr
    assert list(tmp_path.iterdir()) == []
