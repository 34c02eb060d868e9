"""facts the database keeps about itself: the secret key's fingerprint, never the key

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28 22:30:00.000000

Two processes with different keys on one database made one phone two people, and nothing
warned. The first process to start keeps its key's fingerprint here; a process whose key
gives another fingerprint refuses to start. A database from before this adopts the key of
the first process that starts on it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the table of facts."""
    op.create_table(
        "database_facts",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_database_facts")),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("database_facts")
