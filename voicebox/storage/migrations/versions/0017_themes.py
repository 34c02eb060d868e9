"""themes, and which answers carry them

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 04:30:00.000000

For "You said, we did": workers group a check-in's answers into themes. `themes.name_key`
is the name folded (case and spaces), so a check-in has one "Buses" however it is typed.
`answer_themes` goes with its answer or its theme (ON DELETE CASCADE).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the themes and answer_themes tables."""
    op.create_table(
        "themes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "consultation_id",
            sa.Integer(),
            sa.ForeignKey(
                "consultations.id",
                name="fk_themes_consultation_id_consultations",
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("name_key", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("consultation_id", "name_key", name="uq_themes_consultation_id"),
    )
    op.create_table(
        "answer_themes",
        sa.Column(
            "answer_id",
            sa.Integer(),
            sa.ForeignKey(
                "answers.id", name="fk_answer_themes_answer_id_answers", ondelete="CASCADE"
            ),
            primary_key=True,
        ),
        sa.Column(
            "theme_id",
            sa.Integer(),
            sa.ForeignKey("themes.id", name="fk_answer_themes_theme_id_themes", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_index("ix_answer_themes_theme", "answer_themes", ["theme_id", "answer_id"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_answer_themes_theme", table_name="answer_themes")
    op.drop_table("answer_themes")
    op.drop_table("themes")
