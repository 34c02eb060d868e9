"""Participation workers: accounts for the workers' area, with argon2 password hashes."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import select

from voicebox.storage.database import Database
from voicebox.storage.models import Worker

ROLES = ("admin", "worker")
MIN_PASSWORD_LENGTH = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()


class WorkerError(ValueError):
    """A worker request that cannot be done; the message is one human line."""


def create_worker(db: Database, email: str, password: str, role: str) -> int:
    """Create a worker account; return its id."""
    email = (email or "").strip().lower()
    if not _EMAIL.match(email):
        raise WorkerError(f"'{email}' does not look like an email address")
    if role not in ROLES:
        raise WorkerError(f"the role must be one of: {', '.join(ROLES)}")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise WorkerError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    with db.sessions.begin() as session:
        if session.scalar(select(Worker.id).where(Worker.email == email)) is not None:
            raise WorkerError(f"a worker with the email {email} already exists")
        worker = Worker(email=email, password_hash=_hasher.hash(password), role=role)
        session.add(worker)
        session.flush()
        return worker.id


def check_password(db: Database, email: str, password: str) -> int | None:
    """The worker's id when the email and password match an active account, else None."""
    with db.read_sessions() as session:  # read, then check the slow hash with no database
        worker = session.scalar(select(Worker).where(Worker.email == (email or "").strip().lower()))
    if worker is None or not worker.active:
        _hasher.hash(password or "")  # take as long as a real check
        return None
    try:
        _hasher.verify(worker.password_hash, password or "")
    except (VerifyMismatchError, InvalidHashError):
        return None
    return worker.id
