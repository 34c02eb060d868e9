"""erasing one person and deleting typed words after a check-in closes

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-29 04:30:00.000000

`consultations.retain_days`: what people typed is deleted this many days after the check-in
closes (empty: kept). `conversations.text_deleted_at`: when a conversation's typed words went
(by retention or an erasure), so the job does each one once. `erasures`: who erased a person
and when, with counts only. `ix_safeguarding_flags_participant_id`: a person's flags without
reading every flag.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the columns, the index and the erasures table."""
    # Nullable columns with no default need no copy of the table, even on SQLite.
    op.add_column("consultations", sa.Column("retain_days", sa.Integer(), nullable=True))
    op.add_column(
        "conversations",
        sa.Column("text_deleted_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        op.f("ix_safeguarding_flags_participant_id"), "safeguarding_flags", ["participant_id"]
    )
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("conversations", sa.Integer(), nullable=False),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("flags", sa.Integer(), nullable=False),
        sa.Column("waiting", sa.Integer(), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["workers.id"],
            name=op.f("fk_erasures_worker_id_workers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasures")),
    )


def downgrade() -> None:
    """Remove them again."""
    op.drop_table("erasures")
    op.drop_index(op.f("ix_safeguarding_flags_participant_id"), table_name="safeguarding_flags")
    # Not batch mode: on SQLite that copies the table, and dropping the old one would
    # delete rows through the foreign keys.
    op.drop_column("conversations", "text_deleted_at")
    op.drop_column("consultations", "retain_days")
