"""indexes for a check-in's results: counted from the indexes alone

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 10:00:00.000000

Each new index starts with the check-in, so the two single-column indexes on it go: every
answer and every turn then writes to no more indexes than it needs.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the results' indexes in place of the check-in's single-column ones."""
    op.create_index(
        "ix_conversations_took_part",
        "conversations",
        ["consultation_id", "consent", "started_at", "channel", "participant_id"],
    )
    op.create_index(
        "ix_conversations_consultation_updated", "conversations", ["consultation_id", "updated_at"]
    )
    op.drop_index("ix_conversations_consultation_id", table_name="conversations")
    op.create_index(
        "ix_answers_results",
        "answers",
        ["consultation_id", "kind", "topic", "answer_key", "participant_id"],
    )
    op.create_index("ix_answers_consultation_latest", "answers", ["consultation_id", "id"])
    op.drop_index("ix_answers_consultation_id", table_name="answers")


def downgrade() -> None:
    """Put the single-column indexes back and remove the results' ones."""
    op.create_index("ix_answers_consultation_id", "answers", ["consultation_id"])
    op.drop_index("ix_answers_consultation_latest", table_name="answers")
    op.drop_index("ix_answers_results", table_name="answers")
    op.create_index("ix_conversations_consultation_id", "conversations", ["consultation_id"])
    op.drop_index("ix_conversations_consultation_updated", table_name="conversations")
    op.drop_index("ix_conversations_took_part", table_name="conversations")
