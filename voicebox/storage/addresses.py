"""Participants' addresses sealed at rest: AES-256-GCM under a key derived from the secret
key, so a copied database file shows no phone number or chat id.

A sealed address is `v1:` and the base64url of a random 12-byte nonce, the ciphertext and
GCM's tag. The row's key hash is bound in as associated data: a sealed address copied onto
another person's row does not open there. The prefix says which form a row is in, so a
later key (`v2:`) can be rolled out row by row.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Connection, bindparam, column, select, table, update

from voicebox.storage.database import Database

PREFIX = "v1:"  # the form of a sealed address: this key, AES-256-GCM
_INFO = b"voicebox address key"
_NONCE = 12
BATCH = 500  # rows sealed or opened per statement round in a migration
UNREADABLE = "the address kept for this person cannot be read (was the secret key changed?)"
# Every write seals, and old rows are sealed at upgrade: a plain one was written around the
# store (by hand, or by code that forgot), so it is not trusted.
NOT_SEALED = "the address kept for this person is not encrypted, so it is not used"

# Only the columns this needs, not the model: the migration that seals old rows uses it too,
# and must keep working whatever the model becomes.
_participants = table("participants", column("id"), column("key_hash"), column("address"))
_SET_ADDRESS = (
    update(_participants)
    .where(_participants.c.id == bindparam("row_id"))
    .values(address=bindparam("sealed"))
)


class UnreadableAddress(ValueError):
    """A kept address that does not open under this key (another key, damaged, or plain)."""

    def __init__(self, reason: str = UNREADABLE) -> None:
        super().__init__(reason)
        self.reason = reason


class AddressSeal:
    """Seals and opens participants' addresses with the key derived from the secret key."""

    def __init__(self, secret: bytes) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret)
        self._aead = AESGCM(key)

    def seal(self, address: str, key_hash: str) -> str:
        """The address as it is kept: `v1:` and the sealed bytes, bound to the row's key hash."""
        nonce = os.urandom(_NONCE)
        sealed = self._aead.encrypt(nonce, address.encode(), key_hash.encode())
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, kept: str, key_hash: str) -> str:
        """The address from its kept form; UnreadableAddress when it will not open."""
        if not is_sealed(kept):
            raise UnreadableAddress(NOT_SEALED)
        try:
            raw = base64.urlsafe_b64decode(kept[len(PREFIX) :].encode("ascii"))
            plain = self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], key_hash.encode())
            return plain.decode()
        except (InvalidTag, ValueError, binascii.Error, UnicodeError):
            raise UnreadableAddress from None


def is_sealed(kept: str | None) -> bool:
    """True for an address kept sealed (`v1:...`); False for a plain one from before."""
    return bool(kept) and str(kept).startswith(PREFIX)


def _rewrite(conn: Connection, sealed: bool, change: Callable[[str, str], str]) -> int:
    """Rewrite the sealed (or the plain) addresses with `change`, BATCH rows at a time in id
    order, and return how many: memory stays flat however many people there are."""
    form = _participants.c.address.like(f"{PREFIX}%")
    done, after = 0, 0
    while True:
        rows = conn.execute(
            select(_participants.c.id, _participants.c.key_hash, _participants.c.address)
            .where(_participants.c.id > after, form if sealed else ~form)
            .order_by(_participants.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return done
        after = rows[-1].id
        conn.execute(
            _SET_ADDRESS,
            [{"row_id": row.id, "sealed": change(row.address, row.key_hash)} for row in rows],
        )
        done += len(rows)


def any_sealed(conn: Connection) -> bool:
    """True when some participant's address is kept sealed."""
    found = select(_participants.c.id).where(_participants.c.address.like(f"{PREFIX}%"))
    return conn.execute(found.limit(1)).first() is not None


def seal_plain_rows(conn: Connection, seal: AddressSeal, scrub: bool = False) -> int:
    """Seal every address still kept plain; rows already sealed are left alone, so a second
    run changes nothing. `scrub` (SQLite): zero the space the plain rows leave, with
    `secure_delete` for this transaction, so the file keeps no old copy of them."""
    if not scrub:
        return _rewrite(conn, False, seal.seal)
    before = conn.exec_driver_sql("PRAGMA secure_delete").scalar()
    conn.exec_driver_sql("PRAGMA secure_delete = ON")
    try:
        return _rewrite(conn, False, seal.seal)
    finally:
        conn.exec_driver_sql(f"PRAGMA secure_delete = {int(bool(before))}")


def open_sealed_rows(conn: Connection, seal: AddressSeal) -> int:
    """Turn every sealed address back into a plain one (a downgrade); UnreadableAddress
    when one will not open under this key."""
    return _rewrite(conn, True, seal.open)


def unlock(database: Database, secret: bytes) -> AddressSeal:
    """Seal and open this database's addresses with this secret key's seal."""
    database.addresses = AddressSeal(secret)
    return database.addresses


def seal_plain_addresses(database: Database) -> int:
    """Seal any address still kept plain (left by an upgrade run without the key), then fold
    SQLite's write-ahead log so no plain copy stays in it; return how many were sealed."""
    seal = database.addresses
    if seal is None:
        return 0
    with database.transaction() as conn:
        sealed = seal_plain_rows(conn, seal, scrub=database.is_sqlite)
    if sealed:
        database.fold_wal()
    return sealed
