"""groups of workers, the group of each check-in, and failed sign-ins for lock-out

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 16:30:00.000000

A worker sees only the check-ins of their groups. Check-ins made before groups existed
have no group: only admins see them until an admin puts them in one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add groups, workers' places in them, a check-in's group, and failed sign-ins."""
    op.create_table(
        "groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groups")),
        sa.UniqueConstraint("name", name=op.f("uq_groups_name")),
    )
    op.create_table(
        "worker_groups",
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_worker_groups_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["workers.id"],
            name=op.f("fk_worker_groups_worker_id_workers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("worker_id", "group_id", name=op.f("pk_worker_groups")),
    )
    op.create_index(op.f("ix_worker_groups_group_id"), "worker_groups", ["group_id"])
    op.create_table(
        "sign_in_failures",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_sign_in_failures")),
    )
    # Its own table, not a column: SQLite would copy the consultations table to add one.
    op.create_table(
        "consultation_groups",
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_consultation_groups_consultation_id_consultations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_consultation_groups_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("consultation_id", name=op.f("pk_consultation_groups")),
    )
    op.create_index(op.f("ix_consultation_groups_group_id"), "consultation_groups", ["group_id"])


def downgrade() -> None:
    """Remove them again."""
    op.drop_index(op.f("ix_consultation_groups_group_id"), table_name="consultation_groups")
    op.drop_table("consultation_groups")
    op.drop_table("sign_in_failures")
    op.drop_index(op.f("ix_worker_groups_group_id"), table_name="worker_groups")
    op.drop_table("worker_groups")
    op.drop_table("groups")
