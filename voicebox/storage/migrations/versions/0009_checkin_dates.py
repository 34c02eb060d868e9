"""a check-in's words before the first question, and the dates it opens and closes

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 19:20:00.000000

Added columns only (no table copy on SQLite): every check-in so far has no dates and no
words of its own, and stays as it was.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the words and the two times."""
    op.add_column("consultations", sa.Column("intro", sa.Text(), server_default="", nullable=False))
    op.add_column("consultations", sa.Column("starts_at", sa.DateTime(timezone=True)))
    op.add_column("consultations", sa.Column("ends_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    """Drop them (ALTER TABLE DROP COLUMN: copying this table would break its references)."""
    for column in ("ends_at", "starts_at", "intro"):
        op.drop_column("consultations", column)
