"""the conversations list's index: a check-in's conversations, newest first

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 20:35:00.000000

Without it, a page of a check-in with 100,000 conversations sorted all of them to show 50.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the index."""
    op.create_index(
        "ix_conversations_newest", "conversations", ["consultation_id", "started_at", "id"]
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_index("ix_conversations_newest", table_name="conversations")
