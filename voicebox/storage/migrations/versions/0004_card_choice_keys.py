"""room for several card keys in a transcript row

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 11:30:00.000000

A "cards" question is answered with one or more cards; the person's message keeps every
chosen key, joined by commas ("kind_people,quiet_time"), so the column grows to 300.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Widen transcript_messages.choice_key to 300 characters."""
    with op.batch_alter_table("transcript_messages") as batch:
        batch.alter_column(
            "choice_key", existing_type=sa.String(32), type_=sa.String(300), existing_nullable=True
        )


def downgrade() -> None:
    """Narrow it again; keys joined past 32 characters keep their first key only."""
    rows = sa.table("transcript_messages", sa.column("choice_key", sa.String))
    long_keys = sa.func.length(rows.c.choice_key) > 32
    first = sa.func.substr(rows.c.choice_key, 1, sa.func.instr(rows.c.choice_key, ",") - 1)
    if op.get_context().dialect.name == "postgresql":
        first = sa.func.split_part(rows.c.choice_key, ",", 1)
    op.execute(rows.update().where(long_keys).values(choice_key=first))
    with op.batch_alter_table("transcript_messages") as batch:
        batch.alter_column(
            "choice_key", existing_type=sa.String(300), type_=sa.String(32), existing_nullable=True
        )
