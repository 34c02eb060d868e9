"""The running pieces a channel needs, handed over by the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    options: dict[str, str | None] = field(default_factory=dict)  # channel settings
