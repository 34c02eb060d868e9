"""The dispatcher: sends what waits in the outbox through each channel's sender, with retries."""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import and_, bindparam, false, func, select, text, update

from voicebox.bot.messages import OutboundMessage, utcnow
from voicebox.storage.addresses import UNREADABLE, UnreadableAddress
from voicebox.storage.database import UNAVAILABLE, Database
from voicebox.storage.models import (
    PENDING_BULK,
    PENDING_LIVE,
    OutboxMessage,
    Participant,
    table,
)
from voicebox.storage.outbox import STOPPED, message_from_json
from voicebox.storage.rate_limits import forget_idle, free_at, hold, take_slot

log = logging.getLogger(__name__)

_outbox = table(OutboxMessage)
_participants = table(Participant)
_MINE = _outbox.c.channel.in_(bindparam("channels", expanding=True))
_DUE_BY = _outbox.c.next_attempt_at <= bindparam("now")
# Built once, as the store's statements are: building a statement costs more than running it.
_LAPSED = (
    select(_outbox.c.id)
    .where(_outbox.c.status == "sending", _DUE_BY, _MINE)
    .limit(1)
    .with_for_update(skip_locked=True)
)


def _next_due(kind: str, condition: str) -> Any:
    """The next due row of these channels by one of the per-channel pending indexes."""
    return (
        select(_outbox.c.id)
        .with_hint(_outbox, f"INDEXED BY ix_outbox_pending_{kind}", "sqlite")
        .where(text(f"outbox.{condition}".replace("report_id", "outbox.report_id")), _DUE_BY, _MINE)
        .order_by(_outbox.c.next_attempt_at, _outbox.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


# Replies, notices and alerts first; a report-back's messages when none is due.
_NEXT_DUE = (_next_due("live", PENDING_LIVE), _next_due("bulk", PENDING_BULK))
_CLAIMED_ROW = (
    select(
        _outbox.c.id,
        _outbox.c.channel,
        _outbox.c.body,
        _outbox.c.status,
        _outbox.c.attempts,
        _outbox.c.in_doubt,
        _outbox.c.created_at,
        _outbox.c.participant_id,
        _outbox.c.purpose,
        # An alert to a worker (or a group's notice) has its own address and no young
        # person; a young person's is kept sealed on their row (storage/addresses.py).
        _outbox.c.address,
        _participants.c.address.label("sealed_address"),
        _participants.c.key_hash,
        func.coalesce(_participants.c.opted_out, false()).label("opted_out"),
        func.coalesce(_participants.c.unreachable, false()).label("unreachable"),
    )
    .outerjoin(_participants, _participants.c.id == _outbox.c.participant_id)
    .where(_outbox.c.id == bindparam("id"))
)
_SET_ROW = update(_outbox).where(_outbox.c.id == bindparam("row_id"))
_CLAIM_ROW = _SET_ROW.values(status="sending")
# An older message to the same person still to go (ix_outbox_participant finds it).
_OLDER_WAITING = (
    select(_outbox.c.id)
    .where(
        _outbox.c.participant_id == bindparam("person"),
        _outbox.c.id < bindparam("id"),
        _outbox.c.status.in_(("queued", "sending")),
    )
    .limit(1)
)


class SendFailed(Exception):
    """A sender could not deliver. `retry` says whether trying later may work; `in_doubt`
    that the provider may have taken the message all the same (a timeout, a lost answer)."""

    def __init__(
        self,
        reason: str,
        retry: bool = True,
        opted_out: bool = False,
        wait: float | None = None,
        in_doubt: bool = False,
        unreachable: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry and not opted_out and not unreachable
        self.opted_out = opted_out  # the provider says this person unsubscribed
        self.wait = wait  # seconds the provider asked us to wait (Retry-After)
        self.in_doubt = in_doubt
        # Nothing reaches this person (they blocked the bot) until they write again.
        self.unreachable = unreachable


class Sender(Protocol):
    """What a channel plugs into the dispatcher. It may also have `timeout` (the most
    seconds one send can take; the claim's lease is sized from it), and be Paced or
    Searchable (below)."""

    def send(self, address: str, message: OutboundMessage) -> str | None:
        """Deliver one message; return the provider's id; raise SendFailed when it fails."""


@runtime_checkable
class Paced(Protocol):
    """A sender whose provider takes at most `rate` units a second (held across processes)."""

    rate: float

    def units(self, message: OutboundMessage) -> int:
        """How many units this message costs (an SMS: its segments)."""


@runtime_checkable
class PacedPerPerson(Protocol):
    """A sender whose provider also takes at most `person_rate` messages a second to one
    person (Telegram: about 1 a second in a chat). Their messages then also go in order."""

    person_rate: float


@runtime_checkable
class Searchable(Protocol):
    """A sender that can ask its provider whether a message already reached it."""

    def lookup(self, address: str, message: OutboundMessage, since: datetime) -> list[str]:
        """The provider's ids of this message to this address made since then (newest first)."""


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


class Listener:
    """One outbox thread's ear: an event the bell sets, and whether it waits for one."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.idle = False


class Bell:
    """Rung when something was queued that should go at once (a reply in a chat): it wakes
    one idle outbox thread of that channel, instead of it waiting for its next look."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[Listener]] = {}
        self._lock = threading.Lock()
        self._turn = 0

    def listen(self, channels: Iterable[str]) -> Listener:
        """A listener woken when the bell rings for any of these channels."""
        listener = Listener()
        with self._lock:
            for channel in channels:
                self._listeners.setdefault(channel, []).append(listener)
        return listener

    def ring(self, channel: str) -> None:
        """Wake one of the channel's threads: an idle one if there is one (each takes turns)."""
        with self._lock:
            found = self._listeners.get(channel)
            if not found:
                return
            self._turn += 1
            turns = found[self._turn % len(found) :] + found[: self._turn % len(found)]
            chosen = next((listener for listener in turns if listener.idle), turns[0])
            chosen.idle = False  # the next ring wakes another
            chosen.event.set()


UNREACHABLE = "the provider says nothing reaches this person"
PERSON_SLACK = 0.05  # seconds: a person's slot this close is taken now, not deferred
PERSON_IDLE = 3600.0  # seconds after its last slot that a person's limit row is deleted
LAPSED_LOOK = 1.0  # seconds between one thread's looks for rows whose lease ran out
TURN_LOOK = 0.2  # seconds before a row that waits behind an older one looks again
TIDY_EVERY = 600.0  # seconds between deleting those rows, in each dispatcher thread
DEFAULT_TIMEOUT = 30.0  # seconds, for a sender that does not say how long a send can take
LEASE_MARGIN = 10.0  # a claim lasts the sender's timeout and this, then others may take it


def lease_seconds(sender: Sender) -> float:
    """How long a claim on a row lasts: the sender's own timeout and a margin."""
    return float(getattr(sender, "timeout", DEFAULT_TIMEOUT)) + LEASE_MARGIN


class Deferred:
    """A claim put off: the person's own limit was not free, so the row waits its turn."""


DEFERRED = Deferred()


@dataclass(frozen=True)
class Claim:
    """One outbox row this process has claimed, until its lease ends."""

    id: int
    channel: str
    address: Any  # a str; None for an alert to a webhook, whose sender has its own address
    message: OutboundMessage
    participant_id: int | None
    cancelled: str | None  # why it must not go (the person sent STOP, or is unreachable)
    unsendable: str | None  # why it cannot go (their kept address will not open): it fails
    token: int  # the row's attempts after the claim: a later claim by anyone changes it
    in_doubt: bool  # an earlier send may have reached the provider
    created_at: datetime
    wait: float  # seconds until the provider's rate limit lets it go
    # A group's notice: its chat id is kept only until it is done (then just its hash,
    # in notices); a worker's alert keeps its address, to show who was told.
    forget_address: bool = False


class Dispatcher:
    """Drains the outbox: claims one due message just before sending it, sends it, and
    retries with backoff. Several processes may run one each: a claim is a lease, sized
    from the sender's timeout, so a process that dies has its row taken back soon after."""

    def __init__(
        self,
        database: Database,
        senders: Mapping[str, Sender],
        backoff: Backoff | None = None,
        batch: int = 50,
        bell: Bell | None = None,
    ) -> None:
        self.database = database
        self.senders = dict(senders)
        self.backoff = backoff or Backoff()
        self.batch = batch
        self._stop = threading.Event()
        self._listener = (bell or Bell()).listen(self.senders)
        self._woken = self._listener.event
        self._soonest = math.inf  # when the soonest row put off for a person's limit is due
        self._channels = list(self.senders)
        # When to look next for rows whose lease ran out (by the claim's clock).
        self._next_lapsed_look = datetime.min.replace(tzinfo=UTC)

    def run_once(self, now: datetime | None = None) -> int:
        """Send what is due (at most `batch` messages); return how many were tried."""
        tried = deferred = 0
        while tried < self.batch and deferred < self.batch and not self._stop.is_set():
            claim = self._claim(now or utcnow())
            if claim is None:
                break
            if isinstance(claim, Deferred):
                deferred += 1
                continue
            tried += 1
            self._deliver(claim, now or utcnow())
        return tried

    def _claim(self, now: datetime) -> Claim | Deferred | None:
        if not self._channels:
            return None
        mine = {"now": now, "channels": self._channels}
        with self.database.transaction() as conn:
            found = None
            # A row whose lease ran out first: it was due before anything queued since, and
            # only rows in flight are `sending`, so ix_outbox_due finds it at once. Leases
            # run out rarely (a process died), so each thread looks about once a second.
            if now >= self._next_lapsed_look:
                self._next_lapsed_look = now + timedelta(seconds=LAPSED_LOOK)
                found = conn.execute(_LAPSED, mine).scalar()
            if found is None:
                # The next row by the pending index alone (no join, nothing but its id), so
                # no pending row is read or sorted; then that one row, whole.
                for next_due in _NEXT_DUE:
                    found = conn.execute(next_due, mine).scalar()
                    if found is not None:
                        break
            if found is None:
                return None
            row = conn.execute(_CLAIMED_ROW, {"id": found}).one_or_none()
            if row is None:
                return None
            sender = self.senders[row.channel]
            message = message_from_json(row.body)
            # A lease that ran out on a row being sent: that send may have reached them.
            in_doubt = bool(row.in_doubt) or row.status == "sending"
            wait: float | None = 0.0
            # After STOP only its own confirmation still goes (a channel that replies later
            # sends it from here); a person the provider cannot reach gets nothing.
            cancelled = None
            if row.opted_out and message.purpose != "stop":
                cancelled = STOPPED
            elif row.unreachable:
                cancelled = UNREACHABLE
            address, unsendable = self._address(row)
            if isinstance(sender, Paced) and cancelled is None and unsendable is None:
                wait = self._slot(conn, sender, row, message)
            if wait is None:  # the person's turn: after their last message, in order
                later = max(
                    free_at(conn, f"{row.channel}:{row.participant_id}"), time.time() + TURN_LOOK
                )
                when = datetime.fromtimestamp(later, UTC)
                values = {"next_attempt_at": max(when, now), "status": "queued"}
                conn.execute(_SET_ROW, {"row_id": row.id, **values, "in_doubt": in_doubt})
                self._soonest = min(self._soonest, later)
                return DEFERRED
            lease = timedelta(seconds=wait + lease_seconds(sender))
            conn.execute(
                _CLAIM_ROW,
                {
                    "row_id": row.id,
                    "next_attempt_at": now + lease,
                    "attempts": row.attempts + 1,
                    "in_doubt": in_doubt,
                },
            )
        if row.status == "sending":
            log.warning("outbox message %s: its claim ran out; taken back", row.id)
        return Claim(
            id=row.id,
            channel=row.channel,
            address=address,
            message=message,
            participant_id=row.participant_id,
            cancelled=cancelled,
            unsendable=unsendable,
            token=row.attempts + 1,
            in_doubt=in_doubt,
            created_at=row.created_at,
            wait=wait,
            forget_address=row.purpose == "notice" and row.participant_id is None,
        )

    def _address(self, row: Any) -> tuple[str | None, str | None]:
        """Where the row goes: its own address, or its person's opened; or why it cannot go."""
        if row.address is not None or row.sealed_address is None:
            return row.address, None
        seal = self.database.addresses
        if seal is None:  # no store on this database has given it the key
            return None, UNREADABLE
        try:
            return seal.open(row.sealed_address, row.key_hash), None
        except UnreadableAddress as unreadable:
            return None, unreadable.reason

    @staticmethod
    def _slot(conn: Any, sender: Paced, row: Any, message: Any) -> float | None:
        """Seconds until the channel's limit lets this message go; None when it must wait
        its turn for the person (no thread sleeps on it): their own limit is not free, or
        an older message to them has not gone yet (two threads must not swap them)."""
        if isinstance(sender, PacedPerPerson) and row.participant_id is not None:
            person = f"{row.channel}:{row.participant_id}"
            if free_at(conn, person) > time.time() + PERSON_SLACK:
                return None
            if conn.execute(_OLDER_WAITING, {"person": row.participant_id, "id": row.id}).first():
                return None
            take_slot(conn, person, sender.person_rate)
        return take_slot(conn, row.channel, sender.rate, sender.units(message))

    def _deliver(self, claim: Claim, now: datetime) -> None:
        """Send one claimed message (asking the provider first when a send is in doubt)."""
        if claim.cancelled is not None:
            self._finish(claim, status="cancelled", error=claim.cancelled)
            return
        if claim.unsendable is not None:  # only the row's id: never the address, sealed or not
            log.warning("outbox message %s failed: %s", claim.id, claim.unsendable)
            self._finish(claim, status="failed", error=claim.unsendable)
            return
        if claim.wait > 0 and self._stop.wait(claim.wait):
            self._release(claim)  # stopping: another process, or the next start, sends it
            return
        sender = self.senders[claim.channel]
        try:
            if claim.in_doubt and isinstance(sender, Searchable):
                found = self._already_sent(claim, sender)
                if found is not None:
                    log.info("outbox message %s had reached the provider: not sent again", claim.id)
                    self._finish(claim, status="sent", provider_id=found, sent_at=utcnow())
                    return
            provider_id = sender.send(claim.address, claim.message)
        except SendFailed as failure:
            self._failed(claim, failure, now)
            return
        except Exception as exc:  # a sender bug must not stop the dispatcher
            log.exception("sender for %s failed on outbox message %s", claim.channel, claim.id)
            self._failed(claim, SendFailed(exc.__class__.__name__), now)
            return
        self._finish(claim, status="sent", provider_id=provider_id, sent_at=utcnow())

    def _already_sent(self, claim: Claim, sender: Searchable) -> str | None:
        """The provider's id for this message if an earlier send reached it, else None."""
        ids = [i[:64] for i in sender.lookup(claim.address, claim.message, claim.created_at)]
        if not ids:
            return None
        with self.database.reading() as conn:
            taken = set(
                conn.execute(
                    select(_outbox.c.provider_id).where(
                        _outbox.c.channel == claim.channel, _outbox.c.provider_id.in_(ids)
                    )
                ).scalars()
            )
        # The same words may have gone to them for another row: that one is not this one's.
        return next((i for i in reversed(ids) if i not in taken), None)

    def _failed(self, claim: Claim, failure: SendFailed, now: datetime) -> None:
        log.warning(
            "outbox message %s on %s failed (attempt %s): %s",
            claim.id,
            claim.channel,
            claim.token,
            failure.reason,
        )
        with self.database.transaction() as conn:
            marks = {"opted_out": failure.opted_out, "unreachable": failure.unreachable}
            marked = {name: True for name, on in marks.items() if on}
            if marked and claim.participant_id is not None:
                conn.execute(
                    update(_participants)
                    .where(_participants.c.id == claim.participant_id)
                    .values(**marked, updated_at=now)
                )
            if failure.wait and isinstance(self.senders[claim.channel], Paced):
                hold(conn, claim.channel, time.time() + failure.wait)  # for every process
        # A provider that says when to try again (a 429's Retry-After) is only busy: its wait
        # is kept exactly, and such tries never use up the message's attempts.
        told = failure.wait
        if not failure.retry or (claim.token >= self.backoff.max_attempts and told is None):
            self._finish(claim, status="failed", error=failure.reason)
            return
        wait = max(1.0, told) if told is not None else self.backoff.delay(claim.token)
        self._soonest = min(self._soonest, time.time() + wait)  # look again then, not later
        with self.database.transaction() as conn:
            conn.execute(
                update(_outbox)
                .where(self._still_mine(claim))
                .values(
                    status="queued",
                    last_error=failure.reason[:500],
                    next_attempt_at=now + timedelta(seconds=wait),
                    in_doubt=failure.in_doubt,
                )
            )

    @staticmethod
    def _still_mine(claim: Claim) -> Any:
        """The row, while no one else has claimed it since (its attempts are the token)."""
        return and_(
            _outbox.c.id == claim.id,
            _outbox.c.status == "sending",
            _outbox.c.attempts == claim.token,
        )

    def _release(self, claim: Claim) -> None:
        """Give a claimed row back, unsent and uncounted, to be sent at once by anyone."""
        with self.database.transaction() as conn:
            conn.execute(
                update(_outbox)
                .where(self._still_mine(claim))
                .values(status="queued", next_attempt_at=utcnow(), attempts=claim.token - 1)
            )

    def _finish(
        self,
        claim: Claim,
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
        if status == "sent":
            values["in_doubt"] = False
        if claim.forget_address:
            values["address"] = None
        with self.database.transaction() as conn:
            done = conn.execute(update(_outbox).where(self._still_mine(claim)).values(**values))
        if not done.rowcount:
            log.warning("outbox message %s: its claim ran out before it was done", claim.id)

    def run_forever(self, stop: threading.Event, interval: float = 1.0) -> None:
        """Keep draining until `stop` is set; errors are logged, never fatal. When idle it
        looks again every `interval` seconds, or at once when the bell rings."""
        self._stop = stop
        away = False
        next_tidy = 0.0
        while not stop.is_set():
            try:
                if time.monotonic() >= next_tidy:
                    next_tidy = time.monotonic() + TIDY_EVERY
                    self.forget_idle_limits()
                tried = self.run_once()
                if away:
                    log.info("the outbox dispatcher reached the database again")
                away = False
            except UNAVAILABLE as exc:  # away for a moment: one line per outage, not a flood
                if not away:
                    log.warning("the outbox dispatcher cannot reach the database: %s", _first(exc))
                away, tried = True, 0
            except Exception:
                log.exception("the outbox dispatcher could not run")
                tried = 0
            if not tried and not stop.is_set():
                soonest, self._soonest = self._soonest, math.inf
                self._listener.idle = True
                self._woken.wait(max(0.0, min(interval, soonest - time.time())))
                self._listener.idle = False
                self._woken.clear()

    def start(self, interval: float = 1.0) -> tuple[threading.Thread, threading.Event]:
        """Run in a background thread; set the returned event to stop it."""
        stop = _Stopping(self._woken)
        thread = threading.Thread(
            target=self.run_forever, args=(stop, interval), name="voicebox-outbox", daemon=True
        )
        thread.start()
        return thread, stop

    def forget_idle_limits(self) -> None:
        """Delete the limits of people who have not been sent anything for a while."""
        for name, sender in self.senders.items():
            if isinstance(sender, PacedPerPerson):
                with self.database.transaction() as conn:
                    forget_idle(conn, f"{name}:", time.time() - PERSON_IDLE)


class _Stopping(threading.Event):
    """A stop event that also wakes its dispatcher, so it stops at once, not at its next look."""

    def __init__(self, woken: threading.Event) -> None:
        super().__init__()
        self._woken = woken

    def set(self) -> None:
        """Stop, and wake the dispatcher to see it."""
        super().set()
        self._woken.set()


class Dispatchers:
    """The outbox's threads in one process: one per sender (more for a sender that says
    `threads`), so a slow provider never holds up another channel's replies."""

    def __init__(
        self,
        database: Database,
        senders: Mapping[str, Sender],
        bell: Bell | None = None,
        interval: float = 1.0,
        backoff: Backoff | None = None,
    ) -> None:
        self.running = [
            Dispatcher(database, {name: sender}, backoff, bell=bell).start(interval)
            for name, sender in senders.items()
            for _ in range(max(1, int(getattr(sender, "threads", 1))))
        ]

    def stop(self, timeout: float) -> None:
        """Stop every thread and wait up to `timeout` seconds in all for them to end."""
        for _thread, stop in self.running:
            stop.set()
        deadline = time.monotonic() + timeout
        for thread, _stop in self.running:
            thread.join(max(0.0, deadline - time.monotonic()))


def _first(exc: Exception) -> str:
    """An exception's first line, for a log (a driver's message can run to many lines)."""
    orig = getattr(exc, "orig", None)
    return (str(orig if orig is not None else exc).splitlines() or [""])[0][:200]
