"""The dispatcher: sends what waits in the outbox through each channel's sender, with retries."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, false, func, or_, select, update

from voicebox.bot.messages import OutboundMessage, utcnow
from voicebox.storage.database import Database
from voicebox.storage.models import OutboxMessage, Participant, table
from voicebox.storage.outbox import STOPPED, message_from_json

log = logging.getLogger(__name__)

_outbox = table(OutboxMessage)
_participants = table(Participant)


class SendFailed(Exception):
    """A sender could not deliver. `retry` says whether trying later may work."""

    def __init__(
        self, reason: str, retry: bool = True, opted_out: bool = False, wait: float | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry and not opted_out
        self.opted_out = opted_out  # the provider says this person unsubscribed
        self.wait = wait  # seconds the provider asked us to wait (Retry-After)


class Sender(Protocol):
    """What a channel plugs into the dispatcher."""

    def send(self, address: str, message: OutboundMessage) -> str | None:
        """Deliver one message; return the provider's id; raise SendFailed when it fails."""


@dataclass(frozen=True)
class Backoff:
    """Retry timing: exponential, capped, with jitter so retries do not bunch up."""

    first: float = 5.0
    factor: float = 2.0
    cap: float = 3600.0
    max_attempts: int = 8

    def delay(self, attempts: int) -> float:
        """Seconds to wait after this many failed attempts."""
        base = min(self.cap, self.first * self.factor ** max(0, attempts - 1))
        return base * random.uniform(0.8, 1.2)


class Dispatcher:
    """Drains the outbox: claims due messages, sends them, retries with backoff."""

    def __init__(
        self,
        database: Database,
        senders: Mapping[str, Sender],
        backoff: Backoff | None = None,
        batch: int = 50,
        stale_after: timedelta = timedelta(minutes=10),
    ) -> None:
        self.database = database
        self.senders = dict(senders)
        self.backoff = backoff or Backoff()
        self.batch = batch
        self.stale_after = stale_after

    def run_once(self, now: datetime | None = None) -> int:
        """Send what is due now; return how many messages were tried."""
        now = now or utcnow()
        tried = 0
        unsubscribed: set[int] = set()  # people the provider said left, during this batch
        for row in self._claim(now):
            tried += 1
            if row.participant_id is not None and row.participant_id in unsubscribed:
                self._finish(row.id, status="cancelled", error="the person unsubscribed")
                continue
            if self._deliver(row, now):
                unsubscribed.add(row.participant_id)
        return tried

    def _claim(self, now: datetime) -> Sequence[Any]:
        channels = list(self.senders)
        if not channels:
            return []
        stale = now - self.stale_after
        due = and_(_outbox.c.status == "queued", _outbox.c.next_attempt_at <= now)
        stuck = and_(_outbox.c.status == "sending", _outbox.c.next_attempt_at <= stale)
        with self.database.transaction() as conn:
            rows = conn.execute(
                select(
                    _outbox.c.id,
                    _outbox.c.channel,
                    _outbox.c.body,
                    _outbox.c.attempts,
                    _outbox.c.participant_id,
                    # An alert to a worker has its own address and no young person.
                    func.coalesce(_outbox.c.address, _participants.c.address).label("address"),
                    func.coalesce(_participants.c.opted_out, false()).label("opted_out"),
                )
                .outerjoin(_participants, _participants.c.id == _outbox.c.participant_id)
                .where(or_(due, stuck), _outbox.c.channel.in_(channels))
                .order_by(_outbox.c.next_attempt_at, _outbox.c.id)
                .limit(self.batch)
                .with_for_update(skip_locked=True, of=_outbox)
            ).all()
            if rows:
                conn.execute(
                    update(_outbox)
                    .where(_outbox.c.id.in_([r.id for r in rows]))
                    .values(status="sending", next_attempt_at=now, attempts=_outbox.c.attempts + 1)
                )
        return rows

    def _deliver(self, row, now: datetime) -> bool:  # noqa: ANN001 - a result row
        """Send one claimed message; True when the provider says the person unsubscribed."""
        attempts = row.attempts + 1
        if row.opted_out:
            self._finish(row.id, status="cancelled", error=STOPPED)
            return False
        sender = self.senders[row.channel]
        try:
            provider_id = sender.send(row.address, message_from_json(row.body))
        except SendFailed as failure:
            self._failed(row, attempts, failure, now)
            return failure.opted_out
        except Exception as exc:  # a sender bug must not stop the dispatcher
            log.exception("sender for %s failed on outbox message %s", row.channel, row.id)
            self._failed(row, attempts, SendFailed(exc.__class__.__name__), now)
            return False
        self._finish(row.id, status="sent", provider_id=provider_id, sent_at=utcnow())
        return False

    def _failed(self, row, attempts: int, failure: SendFailed, now: datetime) -> None:  # noqa: ANN001
        log.warning(
            "outbox message %s on %s failed (attempt %s): %s",
            row.id,
            row.channel,
            attempts,
            failure.reason,
        )
        if failure.opted_out and row.participant_id is not None:
            with self.database.transaction() as conn:
                conn.execute(
                    update(_participants)
                    .where(_participants.c.id == row.participant_id)
                    .values(opted_out=True, updated_at=now)
                )
        if not failure.retry or attempts >= self.backoff.max_attempts:
            self._finish(row.id, status="failed", error=failure.reason)
            return
        wait = max(failure.wait or 0.0, self.backoff.delay(attempts))
        with self.database.transaction() as conn:
            conn.execute(
                update(_outbox)
                .where(_outbox.c.id == row.id)
                .values(
                    status="queued",
                    last_error=failure.reason[:500],
                    next_attempt_at=now + timedelta(seconds=wait),
                )
            )

    def _finish(
        self,
        outbox_id: int,
        status: str,
        error: str | None = None,
        provider_id: str | None = None,
        sent_at: datetime | None = None,
    ) -> None:
        values: dict = {"status": status}
        if error is not None:
            values["last_error"] = error[:500]
        if provider_id is not None:
            values["provider_id"] = provider_id[:64]
        if sent_at is not None:
            values["sent_at"] = sent_at
        with self.database.transaction() as conn:
            conn.execute(update(_outbox).where(_outbox.c.id == outbox_id).values(**values))

    def run_forever(self, stop: threading.Event, interval: float = 1.0) -> None:
        """Keep draining until `stop` is set; errors are logged, never fatal."""
        while not stop.is_set():
            try:
                tried = self.run_once()
            except Exception:  # the database may be away for a moment
                log.exception("the outbox dispatcher could not run")
                tried = 0
            if not tried:
                stop.wait(interval)

    def start(self, interval: float = 1.0) -> tuple[threading.Thread, threading.Event]:
        """Run in a background thread; set the returned event to stop it."""
        stop = threading.Event()
        thread = threading.Thread(
            target=self.run_forever, args=(stop, interval), name="voicebox-outbox", daemon=True
        )
        thread.start()
        return thread, stop
