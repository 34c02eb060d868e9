"""Lock-out after repeated failed sign-ins, per account and per network address.

Accounts and addresses are kept only as keyed hashes, and an unknown email is counted
like a known one, so the lock-out says nothing about which emails have accounts."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import delete

from voicebox.storage.database import Database
from voicebox.storage.models import SignInFailure

ACCOUNT_LIMIT = 5  # failures in WINDOW before an account is locked
ADDRESS_LIMIT = 20  # more for an address: a shared office connection has many workers
WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=15)


def sign_in_keys(secret: bytes, email: str, address: str) -> dict[str, str]:
    """The keyed hashes failures are counted under: {"account": ..., "address": ...}."""

    def key(kind: str, value: str) -> str:
        message = f"sign-in\x00{kind}\x00{value}".encode()
        return hmac.new(secret, message, hashlib.sha256).hexdigest()

    return {
        "account": key("account", (email or "").strip().lower()),
        "address": key("address", address or ""),
    }


def locked_until(db: Database, keys: dict[str, str], now: datetime) -> datetime | None:
    """When the lock on this account or address ends, or None when neither is locked."""
    with db.read_sessions() as session:
        ends = [
            row.locked_until
            for key in keys.values()
            if (row := session.get(SignInFailure, key)) is not None
            and row.locked_until is not None
            and row.locked_until > now
        ]
    return max(ends) if ends else None


def record_failure(db: Database, keys: dict[str, str], now: datetime) -> datetime | None:
    """Count one failed sign-in; return when the lock ends if this failure locked it."""
    limits = {"account": ACCOUNT_LIMIT, "address": ADDRESS_LIMIT}
    locked: datetime | None = None
    with db.sessions.begin() as session:
        for kind, key in keys.items():
            row = session.get(SignInFailure, key, with_for_update=True)
            if row is None:
                row = SignInFailure(key_hash=key, failures=0, first_at=now)
                session.add(row)
            elif now - row.first_at > WINDOW and not (row.locked_until and row.locked_until > now):
                row.failures, row.first_at, row.locked_until = 0, now, None
            row.failures += 1
            if row.failures >= limits[kind] and row.locked_until is None:
                row.locked_until = now + LOCK
                locked = max(locked or row.locked_until, row.locked_until)
    return locked


def clear_failures(db: Database, key: str) -> None:
    """Forget the failures counted under one key (an account, after it signs in)."""
    with db.sessions.begin() as session:
        session.execute(delete(SignInFailure).where(SignInFailure.key_hash == key))
