"""a safeguarding flag's status (new, seen, acted) and each review of it

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 17:00:00.000000

Flags raised before this had only "reviewed_at": one reviewed then counts as seen, the
rest as new. Nothing before this said what was done, so none counts as acted.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the status with its index, and the table of reviews."""
    op.add_column(
        "safeguarding_flags",
        sa.Column("status", sa.String(length=8), server_default="new", nullable=False),
    )
    op.execute("UPDATE safeguarding_flags SET status = 'seen' WHERE reviewed_at IS NOT NULL")
    op.create_index(
        "ix_safeguarding_flags_status_created", "safeguarding_flags", ["status", "created_at"]
    )
    op.create_table(
        "flag_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["flag_id"],
            ["safeguarding_flags.id"],
            name=op.f("fk_flag_reviews_flag_id_safeguarding_flags"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["workers.id"],
            name=op.f("fk_flag_reviews_worker_id_workers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flag_reviews")),
    )
    op.create_index(op.f("ix_flag_reviews_flag_id"), "flag_reviews", ["flag_id"])


def downgrade() -> None:
    """Remove them again."""
    op.drop_index(op.f("ix_flag_reviews_flag_id"), table_name="flag_reviews")
    op.drop_table("flag_reviews")
    op.drop_index("ix_safeguarding_flags_status_created", table_name="safeguarding_flags")
    with op.batch_alter_table("safeguarding_flags") as batch:
        batch.drop_column("status")
