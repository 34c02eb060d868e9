"""outbox delivery status

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration: two nullable columns for what the provider reports."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivery_status", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("delivery_error", sa.String(length=16), nullable=True))


def downgrade() -> None:
    """Undo this migration."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("delivery_error")
        batch_op.drop_column("delivery_status")
