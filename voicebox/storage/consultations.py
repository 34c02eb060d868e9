"""Consultations: create, list, find and close the check-ins groups run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, func, select

from voicebox.bot.codes import JOIN_CODE
from voicebox.bot.messages import utcnow
from voicebox.flows import Flow
from voicebox.storage.database import Database
from voicebox.storage.models import Answer, Consultation, ConsultationGroup, Conversation, Group

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
    status: str
    created_at: datetime
    conversations: int = 0
    answers: int = 0
    group: str | None = None  # the group of workers that runs it


def normalize_code(code: str) -> str:
    """A code as stored: upper case, checked for shape."""
    cleaned = (code or "").strip().upper()
    if not JOIN_CODE.match(cleaned):
        raise ConsultationError(
            f"'{code}' is not a usable code: use 2 to 32 letters or digits (A-Z, 0-9, - and _)"
        )
    return cleaned


def create_consultation(
    db: Database, code: str, flow_id: str, flow_version: int, title: str
) -> ConsultationInfo:
    """Create an open consultation; ConsultationError when the code is taken or bad."""
    code = normalize_code(code)
    title = (title or "").strip()
    if not title:
        raise ConsultationError("a consultation needs a title")
    with db.sessions.begin() as session:
        if session.scalar(select(Consultation.id).where(Consultation.code == code)) is not None:
            raise ConsultationError(f"the code {code} is already used")
        row = Consultation(
            code=code, title=title[:200], flow_id=flow_id, flow_version=flow_version, status="open"
        )
        session.add(row)
        session.flush()
        return _info(row)


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
    """Create the DEMO consultation (TOPS and PANTS) unless it exists; True when created."""
    if get_consultation(db, DEMO_CODE) is not None:
        return False
    flow = flows[DEMO_FLOW_ID]
    try:
        create_consultation(db, DEMO_CODE, flow.id, flow.version, flow.title)
    except ConsultationError:
        return False  # another process made it first
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
        status=row.status,
        created_at=row.created_at,
        conversations=conversations or 0,
        answers=answers or 0,
        group=group,
    )
