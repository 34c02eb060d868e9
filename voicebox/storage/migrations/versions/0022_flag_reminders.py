"""a reminder when a safeguarding flag waits too long

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-29 07:00:00.000000

`safeguarding_flags.reminded_at`: when a flag that no one had marked as seen was alerted
again, to the group's contacts and every admin. Each flag is reminded once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the column (nullable with no default: no copy of the table, even on SQLite)."""
    op.add_column(
        "safeguarding_flags",
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    """Remove it again."""
    with op.batch_alter_table("safeguarding_flags") as batch:
        batch.drop_column("reminded_at")
