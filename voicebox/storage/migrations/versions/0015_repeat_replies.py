"""the reply a message id got, kept a day, so a repeated delivery hears it again

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-28 22:30:00.000000

Twilio delivers a message again when our first answer was lost; the repeat now gets the
same reply. Added columns only (no table copy on SQLite), and an index that holds only the
rows with a reply, so clearing the day-old ones never walks the whole table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WITH_REPLY = sa.text("reply IS NOT NULL")


def upgrade() -> None:
    """Add the sender's keyed hash, the reply, and the index of rows with a reply."""
    op.add_column("inbound_message_ids", sa.Column("sender_key", sa.String(64)))
    op.add_column("inbound_message_ids", sa.Column("reply", sa.JSON()))
    op.create_index(
        "ix_inbound_message_ids_replies",
        "inbound_message_ids",
        ["received_at"],
        sqlite_where=_WITH_REPLY,
        postgresql_where=_WITH_REPLY,
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_inbound_message_ids_replies", table_name="inbound_message_ids")
    for column in ("reply", "sender_key"):
        op.drop_column("inbound_message_ids", column)
