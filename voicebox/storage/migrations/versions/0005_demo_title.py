"""the DEMO check-in's title no longer says Demo

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 15:00:00.000000

Young people see a check-in's title as the page heading. Databases made before the DEMO
check-in took its flow's title still call it "Demo: what is good and not good". Only that
exact title changes: a title someone chose for DEMO is theirs and stays.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_TITLE = "Demo: what is good and not good"
NEW_TITLE = "What is good and what is not good"  # tops_and_pants' title when this was written

_consultations = sa.table("consultations", sa.column("code", sa.String), sa.column("title"))


def upgrade() -> None:
    """Give the DEMO check-in its flow's title, where it still has the old one."""
    rows = _consultations
    op.execute(
        rows.update()
        .where(rows.c.code == "DEMO", rows.c.title == OLD_TITLE)
        .values(title=NEW_TITLE)
    )


def downgrade() -> None:
    """Nothing to undo: the old title was never chosen by a person."""
