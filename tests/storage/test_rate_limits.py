"""Rate limits shared by every process, kept in the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import pytest

from voicebox.storage.rate_limits import hold, take_slot

RATE_CASES = [
    ("1 a second, three single messages", 1.0, [1, 1, 1], [0.0, 1.0, 2.0]),
    ("a two-segment message holds the next for two seconds", 1.0, [2, 1], [0.0, 2.0]),
    ("4 a second", 4.0, [1, 1, 1], [0.0, 0.25, 0.5]),
    ("first send never waits", 0.5, [1], [0.0]),
]


@pytest.mark.parametrize(
    ("label", "rate", "units", "waits"), RATE_CASES, ids=[c[0] for c in RATE_CASES]
)
def test_slots_are_spaced_by_the_rate(database, label, rate, units, waits):
    """Slots taken at one moment are spaced so no more than `rate` units go a second."""
    got = []
    for count in units:
        with database.transaction() as conn:
            got.append(round(take_slot(conn, "sms", rate, count, now=1000.0), 6))
    assert got == waits


def test_no_wait_after_a_quiet_spell(database):
    """Time already passed counts: no wait after a long gap."""
    with database.transaction() as conn:
        take_slot(conn, "sms", 1.0, 1, now=1000.0)
    with database.transaction() as conn:
        assert take_slot(conn, "sms", 1.0, 1, now=1010.0) == 0


def test_limits_are_apart(database):
    """Each limit has its own slots."""
    with database.transaction() as conn:
        take_slot(conn, "sms", 1.0, 5, now=1000.0)
        assert take_slot(conn, "email", 1.0, 1, now=1000.0) == 0


def test_hold_pushes_every_slot_back_but_never_forward(database):
    """A provider's 'wait 30 s' holds the limit for everyone; an earlier hold changes nothing."""
    with database.transaction() as conn:
        hold(conn, "sms", 1030.0)
        hold(conn, "sms", 1010.0)
        assert take_slot(conn, "sms", 1.0, 1, now=1000.0) == 30.0


def test_threads_at_once_never_share_a_slot(database):
    """Eight threads taking slots at once (each its own transaction) get eight different ones:
    the row lock (PostgreSQL) or the writer lock (SQLite) keeps them apart."""
    waits: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        with database.transaction() as conn:
            wait = take_slot(conn, "sms", 1.0, 1, now=5000.0)
        with lock:
            waits.append(wait)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits) == [float(n) for n in range(8)]
