"""Participation workers: accounts for the workers' area, with argon2 password hashes, and
the groups they work in (a worker sees only their groups' check-ins).

Admins manage them from the command line and in the area; there is always one active admin."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import delete, func, select
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
    password_stamp: str = ""  # changes with the password, so a new one ends old sessions

    @property
    def is_admin(self) -> bool:
        """Admins see every check-in and manage workers and groups."""
        return self.role == "admin"


class WorkerError(ValueError):
    """A worker request that cannot be done; the message is one human line."""


class EmailTaken(WorkerError):
    """Another worker already has this email address."""


class GroupNameTaken(WorkerError):
    """Another group already has this name (in any case)."""


class LastAdmin(WorkerError):
    """The change would leave no active admin to manage the area."""


def looks_like_email(email: str) -> bool:
    """Whether this (tidied) text is shaped like an email address."""
    return bool(_EMAIL.match(email)) and len(email) <= 254


def create_worker(
    db: Database,
    email: str,
    password: str,
    role: str,
    groups: Iterable[str] = (),
    group_ids: Iterable[int] = (),
) -> int:
    """Create a worker account in these groups (by name, made if new; by id, must exist)."""
    email = (email or "").strip().lower()
    if not looks_like_email(email):
        raise WorkerError(f"'{email}' does not look like an email address")
    _check_role(role)
    _check_password(password)
    password_hash = _hasher.hash(password)  # slow: before the transaction, not inside it
    with db.sessions.begin() as session:
        if session.scalar(select(Worker.id).where(Worker.email == email)) is not None:
            raise EmailTaken(f"a worker with the email {email} already exists")
        worker = Worker(email=email, password_hash=password_hash, role=role)
        session.add(worker)
        session.flush()
        chosen = [_ensure_group(session, name) for name in groups]
        chosen += [_existing_group(session, group_id) for group_id in group_ids]
        for group_id in dict.fromkeys(chosen):
            session.add(WorkerGroup(worker_id=worker.id, group_id=group_id))
        return worker.id


def has_worker(db: Database, email: str) -> bool:
    """Whether a worker has this email address (in any case, spaces ignored)."""
    with db.read_sessions() as session:
        cleaned = (email or "").strip().lower()
        return session.scalar(select(Worker.id).where(Worker.email == cleaned)) is not None


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise WorkerError(f"the role must be one of: {', '.join(ROLES)}")


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise WorkerError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")


@dataclass(frozen=True)
class WorkerListing:
    """A worker as the admins' list shows them: email, role, active, their groups' names."""

    id: int
    email: str
    role: str
    active: bool
    groups: tuple[str, ...]


def list_workers(db: Database) -> list[WorkerListing]:
    """Every worker with their groups' names, by email."""
    with db.read_sessions() as session:
        workers = session.scalars(select(Worker).order_by(Worker.email)).all()
        places = session.execute(
            select(WorkerGroup.worker_id, Group.name)
            .join(Group, Group.id == WorkerGroup.group_id)
            .order_by(func.lower(Group.name), Group.name)
        ).all()
    names: dict[int, list[str]] = {}
    for worker_id, name in places:
        names.setdefault(worker_id, []).append(name)
    return [
        WorkerListing(w.id, w.email, w.role, w.active, tuple(names.get(w.id, ()))) for w in workers
    ]


def update_worker(db: Database, worker_id: int, role: str, group_ids: Iterable[int]) -> None:
    """Set a worker's role and groups (which must exist); LastAdmin if no admin is left."""
    _check_role(role)
    with db.sessions.begin() as session:
        worker = _existing_worker(session, worker_id)
        chosen = {_existing_group(session, group_id) for group_id in group_ids}
        worker.role = role
        session.execute(
            delete(WorkerGroup).where(
                WorkerGroup.worker_id == worker_id, WorkerGroup.group_id.not_in(chosen)
            )
        )
        kept = set(
            session.scalars(select(WorkerGroup.group_id).where(WorkerGroup.worker_id == worker_id))
        )
        for group_id in sorted(chosen - kept):
            session.add(WorkerGroup(worker_id=worker_id, group_id=group_id))
        _keep_an_admin(session)


def set_worker_active(db: Database, worker_id: int, active: bool) -> None:
    """Turn an account off (it cannot sign in, and is signed out) or back on."""
    with db.sessions.begin() as session:
        _existing_worker(session, worker_id).active = active
        _keep_an_admin(session)


def set_password(db: Database, worker_id: int, password: str) -> None:
    """Give a worker a new password (at least MIN_PASSWORD_LENGTH characters)."""
    _check_password(password)
    password_hash = _hasher.hash(password)
    with db.sessions.begin() as session:
        _existing_worker(session, worker_id).password_hash = password_hash


def worker_id_for(db: Database, email: str) -> int:
    """The id of the worker with this email; WorkerError when there is none."""
    cleaned = (email or "").strip().lower()
    with db.read_sessions() as session:
        found = session.scalar(select(Worker.id).where(Worker.email == cleaned))
    if found is None:
        raise WorkerError(f"there is no worker with the email {cleaned}")
    return found


def _existing_worker(session: Session, worker_id: int) -> Worker:
    """The worker with this id, locked for the change; WorkerError when there is none."""
    worker = session.get(Worker, worker_id, with_for_update=True)
    if worker is None:
        raise WorkerError(f"there is no worker with the id {worker_id}")
    return worker


def _keep_an_admin(session: Session) -> None:
    """Refuse a change that leaves no active admin (checked before it is committed)."""
    session.flush()
    admins = session.scalar(
        select(func.count(Worker.id)).where(Worker.role == "admin", Worker.active.is_(True))
    )
    if not admins:
        raise LastAdmin("there must always be at least one active admin")


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
        return WorkerAccount(
            worker.id,
            worker.email,
            worker.role,
            worker.active,
            frozenset(groups),
            hashlib.sha256(worker.password_hash.encode()).hexdigest()[:16],
        )


def normalize_group_name(name: str) -> str:
    """A group name as stored: spaces tidied; WorkerError when empty or too long."""
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise WorkerError("a group needs a name")
    if len(cleaned) > MAX_GROUP_NAME:
        raise WorkerError(f"a group name can be at most {MAX_GROUP_NAME} characters")
    return cleaned


def create_group(db: Database, name: str) -> int:
    """Create a group of workers; GroupNameTaken when the name is taken (in any case)."""
    with db.sessions.begin() as session:
        found = _find_group(session, name)
        if found is not None:
            existing = session.get_one(Group, found).name
            raise GroupNameTaken(f"there is already a group called {existing}")
        return _ensure_group(session, name)


def rename_group(db: Database, group_id: int, name: str) -> str:
    """Give a group a new name (its case may change); return the name as stored."""
    cleaned = normalize_group_name(name)
    with db.sessions.begin() as session:
        group = session.get(Group, group_id, with_for_update=True)
        if group is None:
            raise WorkerError(f"there is no group with the id {group_id}")
        found = _find_group(session, cleaned)
        if found is not None and found != group.id:
            existing = session.get_one(Group, found).name
            raise GroupNameTaken(f"there is already a group called {existing}")
        group.name = cleaned
        return cleaned


def list_groups(db: Database) -> list[tuple[int, str]]:
    """Every group as (id, name), by name."""
    with db.read_sessions() as session:
        rows = session.execute(
            select(Group.id, Group.name).order_by(func.lower(Group.name), Group.name)
        ).all()
        return [(row.id, row.name) for row in rows]


@dataclass(frozen=True)
class GroupListing:
    """A group as the admins' pages show it: how many workers, check-ins and contacts."""

    id: int
    name: str
    workers: int
    checkins: int
    contacts: int


def list_group_listings(db: Database) -> list[GroupListing]:
    """Every group with its counts, by name."""
    return _group_listings(db, None)


def get_group(db: Database, group_id: int) -> GroupListing | None:
    """One group with its counts, or None when there is no such group."""
    found = _group_listings(db, group_id)
    return found[0] if found else None


def _group_listings(db: Database, group_id: int | None) -> list[GroupListing]:
    def count(column: Any) -> Any:
        return select(func.count()).where(column == Group.id).scalar_subquery()

    query = select(
        Group.id,
        Group.name,
        count(WorkerGroup.group_id),
        count(ConsultationGroup.group_id),
        count(GroupContact.group_id),
    ).order_by(func.lower(Group.name), Group.name)
    if group_id is not None:
        query = query.where(Group.id == group_id)
    with db.read_sessions() as session:
        rows = session.execute(query).all()
    return [GroupListing(*row) for row in rows]


def group_members(db: Database, group_id: int) -> list[WorkerListing]:
    """The workers in one group, by email (their other groups are not listed)."""
    with db.read_sessions() as session:
        rows = session.scalars(
            select(Worker)
            .join(WorkerGroup, WorkerGroup.worker_id == Worker.id)
            .where(WorkerGroup.group_id == group_id)
            .order_by(Worker.email)
        ).all()
        return [WorkerListing(w.id, w.email, w.role, w.active, ()) for w in rows]


def _existing_group(session: Session, group: str | int) -> int:
    """The id of the group with this name or id; WorkerError when there is none."""
    if isinstance(group, int):
        if session.get(Group, group) is None:
            raise WorkerError(f"there is no group with the id {group}")
        return group
    found = _find_group(session, group)
    if found is None:
        raise WorkerError(f"there is no group called {normalize_group_name(group)}")
    return found


def _contact_email(email: str) -> str:
    cleaned = (email or "").strip().lower()
    if not looks_like_email(cleaned):
        raise WorkerError(f"'{cleaned}' does not look like an email address")
    return cleaned


def add_group_contact(db: Database, group: str | int, email: str) -> bool:
    """Tell this address at once when a flag is raised in the group's check-ins.

    The group is named, or given by its id. Returns False when it was already a contact."""
    cleaned = _contact_email(email)
    with db.sessions.begin() as session:
        group_id = _existing_group(session, group)
        if session.get(GroupContact, (group_id, cleaned)) is not None:
            return False
        session.add(GroupContact(group_id=group_id, email=cleaned))
        return True


def remove_group_contact(db: Database, group: str | int, email: str) -> bool:
    """Stop telling this address about the group's flags; False when it was not a contact."""
    cleaned = (email or "").strip().lower()
    with db.sessions.begin() as session:
        contact = session.get(GroupContact, (_existing_group(session, group), cleaned))
        if contact is None:
            return False
        session.delete(contact)
        return True


def group_contacts(db: Database, group: str | int) -> list[str]:
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
