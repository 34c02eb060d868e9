"""The secret key's fingerprint, kept in the database, so every process uses one key."""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import inspect, select
from sqlalchemy.exc import SQLAlchemyError

from voicebox.bot.messages import utcnow
from voicebox.storage.database import Database, DatabaseError, insert_ignoring
from voicebox.storage.models import DatabaseFact, table

FINGERPRINT = "secret_key_fingerprint"  # the fact's name
_LABEL = b"voicebox key fingerprint"
DIFFERENT_KEY = (
    "this database was set up with a different secret key. "
    "Set VOICEBOX_SECRET_KEY to the key the other processes use."
)


class DifferentSecretKey(DatabaseError):
    """This process's secret key is not the one the database was set up with."""

    def __init__(self) -> None:
        super().__init__(DIFFERENT_KEY)


def fingerprint(secret: bytes) -> str:
    """An HMAC of a fixed label under the key: it tells keys apart and gives nothing away."""
    return hmac.new(secret, _LABEL, hashlib.sha256).hexdigest()


def remember_key(database: Database, secret: bytes) -> None:
    """Keep this key's fingerprint if none is kept yet; DifferentSecretKey if another is.

    The first process wins (INSERT ... ON CONFLICT DO NOTHING, then read back), so two
    starting at once agree. A schema from before the table (not upgraded yet) is skipped:
    the upgrade runs first in `voicebox serve`.
    """
    mine = fingerprint(secret)
    try:
        with database.transaction() as connection:
            if not inspect(connection).has_table(DatabaseFact.__tablename__):
                return
            connection.execute(
                insert_ignoring(table(DatabaseFact), database.dialect).values(
                    name=FINGERPRINT, value=mine, created_at=utcnow()
                )
            )
            kept = connection.scalar(
                select(DatabaseFact.value).where(DatabaseFact.name == FINGERPRINT)
            )
    except SQLAlchemyError:
        database.check()  # one human line when the database cannot be reached
        raise
    if kept is None or not hmac.compare_digest(kept, mine):
        raise DifferentSecretKey
