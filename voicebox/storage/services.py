"""The running pieces channels and the workers' area need, built by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from voicebox.bot.engine import Engine
from voicebox.storage.database import Database
from voicebox.storage.store import SqlStore


@dataclass
class Services:
    """Database, store and engine, built once per process."""

    database: Database
    store: SqlStore
    engine: Engine
    secret: bytes
    public_url: str | None = None
