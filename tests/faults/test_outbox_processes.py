"""The outbox with several real `voicebox serve` processes on one PostgreSQL database and a
slow, failing fake Twilio: every text goes once, and a killed process holds nothing long."""

from __future__ import annotations

import bisect
import os
import signal
import time

import pytest

from tests.channels.sms_harness import fake_twilio_server
from tests.faults.outbox_load import queue_texts, serve_sending, statuses, twice, wait_until_sent
from voicebox.storage.dispatcher import LEASE_MARGIN

pytestmark = pytest.mark.postgres


def test_two_processes_send_every_text_once(postgres_database, tmp_path):
    """Two processes, 60 texts, a provider that is slow, times out (after taking the text)
    and answers 500 (after taking it): each text reaches Twilio exactly once."""

    def plan(n: int) -> tuple[float, int | None]:
        if n % 7 == 0:
            return 0.05, 500  # Twilio took it, then failed to say so
        if n % 5 == 0:
            return 1.5, None  # past our 1 s timeout: we do not know it went
        return 0.1, None

    words = queue_texts(postgres_database, 60)
    with fake_twilio_server() as twilio:
        twilio.plan = plan
        servers = [
            serve_sending(tmp_path / name, postgres_database.url, twilio, timeout=1.0)
            for name in ("one", "two")
        ]
        try:
            wait_until_sent(postgres_database, len(words), limit=90)
        finally:
            for server in servers:
                server.stop()
        assert twice(twilio) == []
        assert sorted(twilio.sent_bodies()) == sorted(words)
        assert twilio.lookups, "texts in doubt were looked up before going again"


def test_a_killed_process_holds_its_text_for_one_lease_only(postgres_database, tmp_path):
    """kill -9 while a text is on its way: another process takes it back once the lease
    (timeout + margin) has run out, finds Twilio has it, and does not send it again.
    Nothing else waits for the dead process."""
    words = queue_texts(postgres_database, 20)
    with fake_twilio_server() as twilio:
        twilio.plan = lambda n: (30.0 if n == 1 else 0.0, None)  # the first hangs on the wire
        first = serve_sending(tmp_path / "one", postgres_database.url, twilio, timeout=2.0)
        deadline = time.monotonic() + 30
        while not twilio.calls and time.monotonic() < deadline:
            time.sleep(0.05)
        assert twilio.calls, "the first process never sent"
        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait()
        killed = time.monotonic()
        assert statuses(postgres_database)["sending"] == 1  # one claim, not a batch
        second = serve_sending(tmp_path / "two", postgres_database.url, twilio, timeout=2.0)
        try:
            wait_until_sent(postgres_database, len(words), limit=60)
            taken_back = time.monotonic() - killed
        finally:
            second.stop()
    assert taken_back <= 2.0 + LEASE_MARGIN + 5
    assert twice(twilio) == []
    assert sorted(twilio.sent_bodies()) == sorted(words)


def test_the_rate_limit_holds_across_processes(postgres_database, tmp_path):
    """Two processes at VOICEBOX_TWILIO_RATE=20 send 20 texts a second between them, not
    40: the slots are shared through the database."""
    with fake_twilio_server() as twilio:
        servers = [
            serve_sending(tmp_path / name, postgres_database.url, twilio, timeout=5.0, rate=20)
            for name in ("one", "two")
        ]
        try:
            words = queue_texts(postgres_database, 121)  # once both are up and waiting
            wait_until_sent(postgres_database, len(words), limit=60)
        finally:
            for server in servers:
                server.stop()
        times = sorted(call.at for call in twilio.calls)
    assert len(times) == 121
    busiest = max(bisect.bisect_right(times, start + 1.0) - n for n, start in enumerate(times))
    assert busiest <= 20 + 2  # in any one second (a little slack for the clocks)
