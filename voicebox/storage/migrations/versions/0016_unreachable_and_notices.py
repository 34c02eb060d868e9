"""people nothing reaches, a person's newest message, and notices said once in a while

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 01:00:00.000000

For Telegram. `participants.unreachable`: the provider says nothing reaches them (they
blocked the bot), so nothing is sent until they write again. `ix_outbox_participant` finds a
person's newest message, so a button pressed on an older one is known to have passed.
`notices` keeps, as a keyed hash, when a notice went to an address (a group chat told once
a day to talk privately), never the address itself.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add participants.unreachable, ix_outbox_participant and the notices table."""
    # A column with a default needs no copy of the table, even on SQLite.
    op.add_column(
        "participants",
        sa.Column("unreachable", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_outbox_participant", "outbox", ["participant_id", "id"])
    op.create_table(
        "notices",
        sa.Column("key_hash", sa.String(64), primary_key=True),
        sa.Column("said_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("notices")
    op.drop_index("ix_outbox_participant", table_name="outbox")
    # Not batch mode: on SQLite that copies the table, and dropping the old one would
    # delete every conversation through the foreign keys.
    op.drop_column("participants", "unreachable")
