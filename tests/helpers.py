"""Small helpers tests share (imported as tests.helpers; fixtures live in conftest.py)."""

from __future__ import annotations

from voicebox.storage.conversations import read_place
from voicebox.storage.database import Database


def participant_id(database: Database, secret: bytes, channel: str, address: str) -> int | None:
    """The participant id for a channel address, if they have written before."""
    with database.reading() as conn:
        return read_place(conn, secret, channel, address).participant_id
