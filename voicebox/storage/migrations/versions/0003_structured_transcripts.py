"""structured transcript rows

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 08:30:00.000000

A choice answer keeps its step id and choice key in their own columns, and a message
from Voicebox keeps its words without the numbered choice lines, so nobody parses
"[button step:key]" strings or strips choice lines again. Today's rows are moved.
"""

import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BUTTON = re.compile(r"^\[button ([a-z0-9_]{1,32}):([^\]]{1,32})\]$")
_CHOICE_LINE = re.compile(r"^\d{1,2} \S")
_BATCH = 500

_rows = sa.table(
    "transcript_messages",
    sa.column("id", sa.Integer),
    sa.column("direction", sa.String),
    sa.column("text", sa.Text),
    sa.column("step", sa.String),
    sa.column("choice_key", sa.String),
)


def _without_choice_lines(text: str) -> str:
    """A question as it was kept before: its words, then one line per numbered choice."""
    lines = text.split("\n")
    while len(lines) > 1 and _CHOICE_LINE.match(lines[-1]):
        lines.pop()
    return "\n".join(lines)


def _changes(row: Any) -> dict[str, Any] | None:
    if row.direction == "in":
        button = _BUTTON.match(row.text)
        if button is None:
            return None
        return {"text": "", "step": button.group(1), "choice_key": button.group(2)}
    if row.step is None:
        return None
    text = _without_choice_lines(row.text)
    return {"text": text} if text != row.text else None


def upgrade() -> None:
    """Add the columns, then move today's rows into them, a batch at a time."""
    with op.batch_alter_table("transcript_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("choice_key", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("purpose", sa.String(length=16), nullable=True))
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(_rows.c.id, _rows.c.direction, _rows.c.text, _rows.c.step)
            .where(_rows.c.id > last)
            .order_by(_rows.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        last = rows[-1].id
        for row in rows:
            changes = _changes(row)
            if changes:
                connection.execute(sa.update(_rows).where(_rows.c.id == row.id).values(**changes))


def downgrade() -> None:
    """Undo this migration (button rows get their old text back; choice lines do not)."""
    connection = op.get_bind()
    connection.execute(
        sa.update(_rows)
        .where(_rows.c.direction == "in", _rows.c.choice_key.is_not(None), _rows.c.text == "")
        .values(text="[button " + _rows.c.step + ":" + _rows.c.choice_key + "]")
    )
    with op.batch_alter_table("transcript_messages", schema=None) as batch_op:
        batch_op.drop_column("purpose")
        batch_op.drop_column("choice_key")
