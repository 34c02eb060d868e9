"""participants' addresses sealed at rest

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29 04:00:00.000000

`participants.address` (a phone number, a Telegram chat id, a web visitor's id) is kept
sealed: `v1:` and AES-256-GCM under a key derived from the secret key
(`voicebox/storage/addresses.py`). No column changes: a sealed address of the longest one a
channel takes (68 characters) is 131 characters, within the column's 255.

The key comes from `config.attributes["addresses"]` (`Database.upgrade` passes the store's
seal). Rows are sealed 500 at a time; a row already sealed is left alone, so a second run
changes nothing. Without the key (a command that needs none, such as `voicebox consultation
list`, upgraded first) plain rows stay until `voicebox serve` starts, which seals them under
its start-up lock. On SQLite `secure_delete` zeroes the space the plain rows leave, and the
write-ahead log is emptied after. The downgrade opens them again (it needs the key too).
"""

from collections.abc import Sequence

from alembic import context, op

from voicebox.storage.addresses import any_sealed, open_sealed_rows, seal_plain_rows

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEEDS_KEY = "the addresses are sealed with the secret key: set VOICEBOX_SECRET_KEY to downgrade"


def upgrade() -> None:
    """Seal every address kept plain, when the key is at hand."""
    seal = context.config.attributes.get("addresses")
    if seal is None:
        return  # `voicebox serve` seals them when it starts (it has the key)
    bind = op.get_bind()
    sealed = seal_plain_rows(bind, seal, scrub=bind.dialect.name == "sqlite")
    context.config.attributes["sealed"] = sealed  # Database.upgrade then folds SQLite's WAL


def downgrade() -> None:
    """Open every sealed address again."""
    bind = op.get_bind()
    seal = context.config.attributes.get("addresses")
    if seal is None:
        if any_sealed(bind):
            raise RuntimeError(NEEDS_KEY)
        return
    open_sealed_rows(bind, seal)
