"""safeguarding alerts: each group's contacts, and alerts queued in the outbox

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 19:10:00.000000

An alert is sent to a worker, not to a young person: its outbox row has an address of its
own and no participant, and it names the flag it is about.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the contacts table; let outbox rows carry their own address and a flag."""
    op.create_table(
        "group_contacts",
        sa.Column(
            "group_id",
            sa.Integer(),
            sa.ForeignKey("groups.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("email", sa.String(length=254), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("participant_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("address", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("flag_id", sa.Integer(), nullable=True))
        batch.create_index("ix_outbox_flag_id", ["flag_id"])


def downgrade() -> None:
    """Drop alerts (they cannot live without a person's row) and the contacts."""
    op.execute("DELETE FROM outbox WHERE participant_id IS NULL")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_flag_id")
        batch.drop_column("flag_id")
        batch.drop_column("address")
        batch.alter_column("participant_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("group_contacts")
