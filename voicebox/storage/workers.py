"""Participation workers: accounts for the workers' area, with argon2 password hashes, and
the groups they work in (a worker sees only their groups' check-ins)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voicebox.storage.database import Database
from voicebox.storage.models import (
    Consultation,
    ConsultationGroup,
    Group,
    GroupContact,
    Worker,
    WorkerGroup,
)

ROLES = ("admin", "worker")
MIN_PASSWORD_LENGTH = 10
MAX_GROUP_NAME = 80
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()


@dataclass(frozen=True)
class WorkerAccount:
    """A worker as the area sees them: who, their role, and the groups they work in."""

    id: int
    email: str
    role: str
    active: bool
    group_ids: frozenset[int]

    @property
    def is_admin(self) -> bool:
        """Admins see every check-in and manage workers and groups."""
        return self.role == "admin"


class WorkerError(ValueError):
    """A worker request that cannot be done; the message is one human line."""


def create_worker(
    db: Database, email: str, password: str, role: str, groups: Iterable[str] = ()
) -> int:
    """Create a worker account in these groups (made if new); return its id."""
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
        for group_id in dict.fromkeys(_ensure_group(session, name) for name in groups):
            session.add(WorkerGroup(worker_id=worker.id, group_id=group_id))
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


def get_worker(db: Database, worker_id: int) -> WorkerAccount | None:
    """The worker with this id and their groups, or None when there is no such worker."""
    with db.read_sessions() as session:
        worker = session.get(Worker, worker_id)
        if worker is None:
            return None
        groups = session.scalars(
            select(WorkerGroup.group_id).where(WorkerGroup.worker_id == worker_id)
        )
        return WorkerAccount(worker.id, worker.email, worker.role, worker.active, frozenset(groups))


def normalize_group_name(name: str) -> str:
    """A group name as stored: spaces tidied; WorkerError when empty or too long."""
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise WorkerError("a group needs a name")
    if len(cleaned) > MAX_GROUP_NAME:
        raise WorkerError(f"a group name can be at most {MAX_GROUP_NAME} characters")
    return cleaned


def create_group(db: Database, name: str) -> int:
    """Create a group of workers; WorkerError when the name is taken (in any case)."""
    with db.sessions.begin() as session:
        found = _find_group(session, name)
        if found is not None:
            existing = session.get_one(Group, found).name
            raise WorkerError(f"there is already a group called {existing}")
        return _ensure_group(session, name)


def list_groups(db: Database) -> list[tuple[int, str]]:
    """Every group as (id, name), by name."""
    with db.read_sessions() as session:
        rows = session.execute(select(Group.id, Group.name).order_by(Group.name)).all()
        return [(row.id, row.name) for row in rows]


def _existing_group(session: Session, name: str) -> int:
    """The id of the group with this name; WorkerError when there is none."""
    found = _find_group(session, name)
    if found is None:
        raise WorkerError(f"there is no group called {normalize_group_name(name)}")
    return found


def _contact_email(email: str) -> str:
    cleaned = (email or "").strip().lower()
    if not _EMAIL.match(cleaned) or len(cleaned) > 254:
        raise WorkerError(f"'{cleaned}' does not look like an email address")
    return cleaned


def add_group_contact(db: Database, group: str, email: str) -> bool:
    """Tell this address at once when a flag is raised in the group's check-ins.

    Returns False when it was already a contact."""
    cleaned = _contact_email(email)
    with db.sessions.begin() as session:
        group_id = _existing_group(session, group)
        if session.get(GroupContact, (group_id, cleaned)) is not None:
            return False
        session.add(GroupContact(group_id=group_id, email=cleaned))
        return True


def remove_group_contact(db: Database, group: str, email: str) -> bool:
    """Stop telling this address about the group's flags; False when it was not a contact."""
    cleaned = (email or "").strip().lower()
    with db.sessions.begin() as session:
        contact = session.get(GroupContact, (_existing_group(session, group), cleaned))
        if contact is None:
            return False
        session.delete(contact)
        return True


def group_contacts(db: Database, group: str) -> list[str]:
    """The addresses told about the group's flags, in order."""
    with db.read_sessions() as session:
        group_id = _existing_group(session, group)
        found = session.scalars(
            select(GroupContact.email)
            .where(GroupContact.group_id == group_id)
            .order_by(GroupContact.email)
        )
        return list(found)


def set_consultation_group(db: Database, code: str, group: str) -> None:
    """Put a check-in in a group (made if new); its workers then see it."""
    with db.sessions.begin() as session:
        consultation_id = session.scalar(
            select(Consultation.id).where(Consultation.code == code.strip().upper())
        )
        if consultation_id is None:
            raise WorkerError(f"there is no consultation with the code {code.strip().upper()}")
        group_id = _ensure_group(session, group)
        link = session.get(ConsultationGroup, consultation_id)
        if link is None:
            session.add(ConsultationGroup(consultation_id=consultation_id, group_id=group_id))
        else:
            link.group_id = group_id


def _find_group(session: Session, name: str) -> int | None:
    """The id of the group with this name (any case), or None."""
    cleaned = normalize_group_name(name)
    return session.scalar(select(Group.id).where(func.lower(Group.name) == cleaned.lower()))


def _ensure_group(session: Session, name: str) -> int:
    """The id of the group with this name, made first when there is none."""
    found = _find_group(session, name)
    if found is not None:
        return found
    group = Group(name=normalize_group_name(name))
    session.add(group)
    session.flush()
    return group.id
