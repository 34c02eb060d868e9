"""the outbox's leases: a row in doubt, and rate limits shared by every process

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 22:20:00.000000

A claimed row's `next_attempt_at` is now the end of its lease. `in_doubt` marks a row whose
send may have reached the provider (a timeout, a lost answer, a process that died while
sending): before it is sent again, the provider is asked whether it already has it.
`ix_outbox_pending` lets a claim take the next row without sorting every pending one.
`rate_limits` holds, per channel, when its next send may go, so a provider's limit holds
across every process, not per process.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add outbox.in_doubt and the rate_limits table."""
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(
            sa.Column("in_doubt", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    pending = sa.text("status IN ('queued', 'sending')")
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["next_attempt_at", "id"],
        postgresql_where=pending,
        sqlite_where=pending,
    )
    op.create_table(
        "rate_limits",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("next_at", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("rate_limits")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("in_doubt")
