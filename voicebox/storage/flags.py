"""Safeguarding flags as workers see them: which are new, for which groups."""

from __future__ import annotations

from sqlalchemy import func, select

from voicebox.storage.database import Database
from voicebox.storage.models import ConsultationGroup, Conversation, SafeguardingFlag


def count_new_flags(db: Database, group_ids: frozenset[int] | None = None) -> int:
    """How many flags no one has reviewed yet: all of them, or those of these groups'
    check-ins (a flag with no check-in, or one not in a group, goes to admins only)."""
    query = select(func.count(SafeguardingFlag.id)).where(SafeguardingFlag.reviewed_at.is_(None))
    if group_ids is not None:
        query = (
            query.join(Conversation, Conversation.id == SafeguardingFlag.conversation_id)
            .join(
                ConsultationGroup,
                ConsultationGroup.consultation_id == Conversation.consultation_id,
            )
            .where(ConsultationGroup.group_id.in_(sorted(group_ids)))
        )
    with db.reading() as conn:
        return int(conn.scalar(query) or 0)
