"""'You said, we did' reports, their themes, and who each was sent back to

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-29 04:40:00.000000

`reports`: one a check-in. `report_items`: a theme answered (what young people said, what
was done, what happens next, planned/doing/done). `report_deliveries`: one row a person
and report, so sending twice sends nothing twice. `outbox.report_id` ties a report-back's
messages to their report for the live counts (a partial index: only those rows).
`conversations.report_back`: the answer to hearing back in that check-in, so a yes in one
check-in never sends another check-in's report.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the tables, outbox.report_id and its index."""
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "consultation_id",
            sa.Integer(),
            sa.ForeignKey(
                "consultations.id",
                name="fk_reports_consultation_id_consultations",
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "sent_by",
            sa.Integer(),
            sa.ForeignKey("workers.id", name="fk_reports_sent_by_workers", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.UniqueConstraint("consultation_id", name="uq_reports_consultation_id"),
    )
    op.create_table(
        "report_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "report_id",
            sa.Integer(),
            sa.ForeignKey(
                "reports.id", name="fk_report_items_report_id_reports", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column(
            "theme_id",
            sa.Integer(),
            sa.ForeignKey("themes.id", name="fk_report_items_theme_id_themes", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("said", sa.Text(), nullable=False),
        sa.Column("did", sa.Text(), nullable=False),
        sa.Column("next", sa.Text(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.UniqueConstraint("report_id", "theme_id", name="uq_report_items_report_id"),
    )
    op.create_table(
        "report_deliveries",
        sa.Column(
            "report_id",
            sa.Integer(),
            sa.ForeignKey(
                "reports.id", name="fk_report_deliveries_report_id_reports", ondelete="CASCADE"
            ),
            primary_key=True,
        ),
        sa.Column(
            "participant_id",
            sa.Integer(),
            sa.ForeignKey(
                "participants.id",
                name="fk_report_deliveries_participant_id_participants",
                ondelete="CASCADE",
            ),
            primary_key=True,
        ),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_report_deliveries_participant_id", "report_deliveries", ["participant_id"])
    # Columns with no default need no copy of the table, even on SQLite.
    op.add_column("outbox", sa.Column("report_id", sa.Integer(), nullable=True))
    op.add_column("conversations", sa.Column("report_back", sa.Boolean(), nullable=True))
    # Before, only the person's latest answer was kept: it stands for their finished ones.
    op.execute(
        "UPDATE conversations SET report_back = (SELECT participants.report_back "
        "FROM participants WHERE participants.id = conversations.participant_id) "
        "WHERE consent = 'given' AND ended_at IS NOT NULL"
    )
    pending = "status IN ('queued', 'sending')"
    for name, report in (("live", "IS NULL"), ("bulk", "IS NOT NULL")):
        where = sa.text(f"{pending} AND report_id {report}")
        op.create_index(
            f"ix_outbox_pending_{name}",
            "outbox",
            ["channel", "next_attempt_at", "id"],
            postgresql_where=where,
            sqlite_where=where,
        )
    op.create_index(
        "ix_outbox_report",
        "outbox",
        ["report_id", "status"],
        postgresql_where=sa.text("report_id IS NOT NULL"),
        sqlite_where=sa.text("report_id IS NOT NULL"),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_outbox_report", table_name="outbox")
    op.drop_index("ix_outbox_pending_bulk", table_name="outbox")
    op.drop_index("ix_outbox_pending_live", table_name="outbox")
    # Not batch mode: on SQLite that copies the table.
    op.drop_column("outbox", "report_id")
    op.drop_column("conversations", "report_back")
    op.drop_index("ix_report_deliveries_participant_id", table_name="report_deliveries")
    op.drop_table("report_deliveries")
    op.drop_table("report_items")
    op.drop_table("reports")
