"""Which rows a worker may see: those of their groups' check-ins (an admin sees all)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select

from voicebox.storage.models import ConsultationGroup


def in_groups(query: Select, consultation_id: Any, group_ids: frozenset[int] | None) -> Select:
    """Only rows whose check-in (`consultation_id`) is in these groups; None keeps every row."""
    if group_ids is None:
        return query
    return query.join(
        ConsultationGroup, ConsultationGroup.consultation_id == consultation_id
    ).where(ConsultationGroup.group_id.in_(sorted(group_ids)))
