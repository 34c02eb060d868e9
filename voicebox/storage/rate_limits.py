"""Rate limits shared by every process: when a provider's next send may go, kept in the
database, so two processes at 1 a second each do not make 2 a second.

A limit is a row (name, next_at). Taking a slot moves next_at on by units / rate inside the
caller's transaction, under a row lock (PostgreSQL) or the writer lock (SQLite), so slots
never overlap. Times are the machines' clocks (seconds since the epoch): machines behind
one database need their clocks in step (NTP), as any limit shared by time does."""

from __future__ import annotations

import time

from sqlalchemy import Connection, bindparam, delete, select, update

from voicebox.storage.database import insert_ignoring
from voicebox.storage.models import RateLimit, table

_limits = table(RateLimit)
# Built once: a claim takes a slot or two, and building a statement costs more than running it.
_READ = select(_limits.c.next_at).where(_limits.c.name == bindparam("limit")).with_for_update()
_MOVE = update(_limits).where(_limits.c.name == bindparam("limit"))


def _ensure(conn: Connection, name: str) -> None:
    """Make the limit's row if it is new (two processes making it at once is fine)."""
    conn.execute(insert_ignoring(_limits, conn.dialect.name).values(name=name, next_at=0.0))


def take_slot(
    conn: Connection, name: str, rate: float, units: int = 1, now: float | None = None
) -> float:
    """Reserve the next slot of `units` at `rate` a second; return seconds to wait for it."""
    now = time.time() if now is None else now
    next_at = conn.execute(_READ, {"limit": name}).scalar()
    if next_at is None:
        _ensure(conn, name)
        next_at = conn.execute(_READ, {"limit": name}).scalar_one()
    start = max(now, next_at)
    conn.execute(_MOVE, {"limit": name, "next_at": start + max(1, units) / rate})
    return start - now


def free_at(conn: Connection, name: str) -> float:
    """When the limit's next slot is free (seconds since the epoch), holding its row."""
    return float(conn.execute(_READ, {"limit": name}).scalar() or 0.0)


def forget_idle(conn: Connection, prefix: str, before: float) -> int:
    """Delete the limits named `prefix`... whose slots all passed before then (one person's
    limit is a row while they chat, not for ever); return how many went."""
    gone = conn.execute(
        delete(_limits).where(_limits.c.name.startswith(prefix), _limits.c.next_at < before)
    )
    return gone.rowcount or 0


def hold(conn: Connection, name: str, until: float) -> None:
    """Send nothing under this limit before `until` (a provider asked us to wait)."""
    _ensure(conn, name)
    conn.execute(
        update(_limits)
        .where(_limits.c.name == name, _limits.c.next_at < until)
        .values(next_at=until)
    )
