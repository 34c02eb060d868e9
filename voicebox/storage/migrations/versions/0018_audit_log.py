"""the audit log: who signed in, read, revealed, exported or sent what; reveals move into it

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 04:30:00.000000

One table for every "who did what" record, so there is one truth: each row of `reveals`
becomes an audit entry (`revealed_conversation`, or `exported_revealed` with no format,
which was not kept), and `reveals` goes. The worker's email is copied in as text, so an
entry outlives the account.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add audit_log, move the reveals into it, and drop reveals."""
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("worker_email", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("consultation_code", sa.String(length=32), nullable=True),
        sa.Column("target", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["workers.id"],
            name=op.f("fk_audit_log_worker_id_workers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_created_at"), "audit_log", ["created_at"])
    op.create_index(op.f("ix_audit_log_worker_id"), "audit_log", ["worker_id"])
    op.execute(
        "INSERT INTO audit_log "
        "(worker_id, worker_email, action, consultation_code, target, created_at) "
        "SELECT r.worker_id, COALESCE(w.email, ''), "
        "CASE r.kind WHEN 'conversation' THEN 'revealed_conversation' "
        "ELSE 'exported_revealed' END, "
        "r.consultation_code, CAST(r.conversation_id AS VARCHAR(64)), r.created_at "
        "FROM reveals r LEFT JOIN workers w ON w.id = r.worker_id ORDER BY r.id"
    )
    op.drop_index(op.f("ix_reveals_worker_id"), table_name="reveals")
    op.drop_table("reveals")


def downgrade() -> None:
    """Put reveals back with the reveals the log holds, and drop the log."""
    op.create_table(
        "reveals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("consultation_code", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_reveals_worker_id_workers")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_reveals_conversation_id_conversations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reveals")),
    )
    op.create_index(op.f("ix_reveals_worker_id"), "reveals", ["worker_id"])
    # A reveal by an account that is gone, or of a conversation that is gone, has nowhere
    # to point: the first is left out, the second keeps no conversation.
    op.execute(
        "INSERT INTO reveals (worker_id, consultation_code, conversation_id, kind, created_at) "
        "SELECT a.worker_id, a.consultation_code, "
        "(SELECT c.id FROM conversations c WHERE CAST(c.id AS VARCHAR(64)) = a.target), "
        "CASE a.action WHEN 'revealed_conversation' THEN 'conversation' ELSE 'export' END, "
        "a.created_at FROM audit_log a "
        "WHERE a.action IN ('revealed_conversation', 'exported_revealed') "
        "AND a.worker_id IS NOT NULL AND a.consultation_code IS NOT NULL ORDER BY a.id"
    )
    op.drop_index(op.f("ix_audit_log_worker_id"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_created_at"), table_name="audit_log")
    op.drop_table("audit_log")
