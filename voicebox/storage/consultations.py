"""Consultations: create, list, find and close the check-ins groups run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, func, select
from sqlalchemy.orm import Session

from voicebox.bot.codes import JOIN_CODE
from voicebox.bot.messages import utcnow
from voicebox.flows import Flow
from voicebox.storage.database import Database
from voicebox.storage.models import Answer, Consultation, ConsultationGroup, Conversation, Group
from voicebox.storage.schedule import CLOSED, effective_status

DEMO_CODE = "DEMO"
DEMO_FLOW_ID = "tops_and_pants"  # the demo check-in `voicebox serve` makes


class ConsultationError(ValueError):
    """A consultation request that cannot be done; the message is one human line."""


@dataclass(frozen=True)
class ConsultationInfo:
    """A consultation with its counts, for lists."""

    code: str
    title: str
    flow_id: str
    flow_version: int
    status: str  # open, closed, or not yet open: the stored status with the dates applied
    created_at: datetime
    conversations: int = 0
    answers: int = 0
    group: str | None = None  # the group of workers that runs it
    intro: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    closed_by_hand: bool = False  # a worker closed it (not only its end date)
    id: int = 0  # the row's id, for what hangs off it (themes, report-backs)
    retain_days: int | None = None  # typed words deleted this many days after it closes


def normalize_code(code: str) -> str:
    """A code as stored: upper case, checked for shape."""
    cleaned = (code or "").strip().upper()
    if not JOIN_CODE.match(cleaned):
        raise ConsultationError(
            f"'{code}' is not a usable code: use 2 to 32 letters or digits (A-Z, 0-9, - and _)"
        )
    return cleaned


def create_consultation(
    db: Database,
    code: str,
    flow_id: str,
    flow_version: int,
    title: str,
    intro: str = "",
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> ConsultationInfo:
    """Create an open consultation; ConsultationError when the code is taken or bad."""
    code = normalize_code(code)
    title = _title(title)
    with db.sessions.begin() as session:
        if session.scalar(select(Consultation.id).where(Consultation.code == code)) is not None:
            raise ConsultationError(f"the code {code} is already used")
        row = Consultation(
            code=code,
            title=title,
            flow_id=flow_id,
            flow_version=flow_version,
            status="open",
            intro=(intro or "").strip(),
            starts_at=starts_at,
            ends_at=_end(starts_at, ends_at),
        )
        session.add(row)
        session.flush()
        return _info(row)


def _title(title: str) -> str:
    cleaned = " ".join((title or "").split())
    if not cleaned:
        raise ConsultationError("a consultation needs a title")
    return cleaned[:200]


def _end(starts_at: datetime | None, ends_at: datetime | None) -> datetime | None:
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise ConsultationError("the end date must be after the start date")
    return ends_at


def _visible_row(session: Session, code: str, group_ids: frozenset[int] | None) -> Any:
    """The consultation row (locked for the change) if these groups may touch it, or None."""
    query = select(Consultation).where(Consultation.code == (code or "").strip().upper())
    if group_ids is not None:
        query = query.join(
            ConsultationGroup, ConsultationGroup.consultation_id == Consultation.id
        ).where(ConsultationGroup.group_id.in_(sorted(group_ids)))
    return session.scalar(query.with_for_update(of=Consultation))


def update_consultation(
    db: Database,
    code: str,
    group_ids: frozenset[int] | None,
    title: str,
    intro: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
) -> bool:
    """Change a check-in's title, words and dates; False when these groups may not."""
    with db.sessions.begin() as session:
        row = _visible_row(session, code, group_ids)
        if row is None:
            return False
        row.title = _title(title)
        row.intro = (intro or "").strip()
        row.ends_at = _end(starts_at, ends_at)
        row.starts_at = starts_at
        return True


def set_consultation_open(
    db: Database, code: str, group_ids: frozenset[int] | None, open_it: bool
) -> bool:
    """Open a check-in again, or close it; False when these groups may not touch it.

    ConsultationError when it cannot open because its end date has passed."""
    with db.sessions.begin() as session:
        row = _visible_row(session, code, group_ids)
        if row is None:
            return False
        if not open_it:
            if row.status != CLOSED:
                row.status, row.closed_at = CLOSED, utcnow()
            return True
        if row.ends_at is not None and row.ends_at <= utcnow():
            raise ConsultationError("Its end date has passed. Change the end date first.")
        row.status, row.closed_at = "open", None
        return True


def get_consultation(db: Database, code: str) -> ConsultationInfo | None:
    """The consultation with this code (any case), or None."""
    with db.reading() as conn:
        return find_consultation(conn, code)


def find_consultation(conn: Connection, code: str) -> ConsultationInfo | None:
    """The consultation with this code (any case), or None, in the caller's transaction.

    A code that cannot be one (wrong shape) finds nothing without a query."""
    cleaned = (code or "").strip().upper()
    if not JOIN_CODE.match(cleaned):
        return None
    row = conn.execute(select(Consultation).where(Consultation.code == cleaned)).first()
    return _info(row) if row is not None else None


def require_consultation(db: Database, code: str) -> ConsultationInfo:
    """The consultation with this code; ConsultationError when there is none."""
    found = get_consultation(db, code)
    if found is None:
        raise ConsultationError(f"there is no consultation with the code {code.strip().upper()}")
    return found


def list_consultations(
    db: Database, group_ids: frozenset[int] | None = None
) -> list[ConsultationInfo]:
    """Consultations, newest first, with their group and how many conversations and
    answers each has: every one, or only those of these groups."""
    conversations = (
        select(func.count(Conversation.id))
        .where(Conversation.consultation_id == Consultation.id)
        .scalar_subquery()
    )
    answers = (
        select(func.count(Answer.id))
        .where(Answer.consultation_id == Consultation.id)
        .scalar_subquery()
    )
    query = _with_group(
        select(Consultation, conversations, answers, Group.name), group_ids
    ).order_by(Consultation.id.desc())
    with db.read_sessions() as session:
        rows = session.execute(query).all()
        return [_info(row, n_conv, n_ans, group) for row, n_conv, n_ans, group in rows]


def visible_consultation(
    db: Database, code: str, group_ids: frozenset[int] | None
) -> ConsultationInfo | None:
    """The consultation with this code if these groups may see it (None: any), else None."""
    cleaned = (code or "").strip().upper()
    if not JOIN_CODE.match(cleaned):
        return None
    query = _with_group(select(Consultation, Group.name), group_ids).where(
        Consultation.code == cleaned
    )
    with db.read_sessions() as session:
        found = session.execute(query).first()
        return _info(found[0], group=found[1]) if found is not None else None


def close_consultation(db: Database, code: str) -> ConsultationInfo:
    """Close a consultation: its code stops working; answers stay."""
    code = code.strip().upper()
    with db.sessions.begin() as session:
        row = session.scalar(select(Consultation).where(Consultation.code == code))
        if row is None:
            raise ConsultationError(f"there is no consultation with the code {code}")
        if row.status != "closed":
            row.status = "closed"
            row.closed_at = utcnow()
        return _info(row)


def ensure_demo(db: Database, flows: Mapping[str, Flow]) -> bool:
    """Create the DEMO consultation (TOPS and PANTS) unless it exists; True when created.

    Under the start-up lock: two processes cannot both find it missing and both make it."""
    if get_consultation(db, DEMO_CODE) is not None:
        return False
    flow = flows[DEMO_FLOW_ID]
    with db.startup_lock():
        if get_consultation(db, DEMO_CODE) is not None:
            return False  # another process made it a moment ago
        create_consultation(db, DEMO_CODE, flow.id, flow.version, flow.title)
    return True


def _with_group(query: Select, group_ids: frozenset[int] | None) -> Select:
    """The query with each check-in's group name, only these groups' (None: all of them)."""
    query = query.outerjoin(
        ConsultationGroup, ConsultationGroup.consultation_id == Consultation.id
    ).outerjoin(Group, Group.id == ConsultationGroup.group_id)
    if group_ids is not None:
        query = query.where(ConsultationGroup.group_id.in_(sorted(group_ids)))
    return query


def _info(
    row: Any, conversations: int = 0, answers: int = 0, group: str | None = None
) -> ConsultationInfo:
    return ConsultationInfo(
        code=row.code,
        title=row.title,
        flow_id=row.flow_id,
        flow_version=row.flow_version,
        status=effective_status(row.status, row.starts_at, row.ends_at),
        created_at=row.created_at,
        conversations=conversations or 0,
        answers=answers or 0,
        group=group,
        intro=row.intro or "",
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        closed_by_hand=row.status == CLOSED,
        id=row.id,
        retain_days=row.retain_days,
    )
