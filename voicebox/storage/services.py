"""The running pieces channels and the workers' area need, built by the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field

from voicebox.bot.engine import Engine
from voicebox.storage.database import Database
from voicebox.storage.dispatcher import Bell
from voicebox.storage.store import SqlStore


@dataclass
class Services:
    """Database, store and engine, built once per process."""

    database: Database
    store: SqlStore
    engine: Engine
    secret: bytes
    public_url: str | None = None
    bell: Bell = field(default_factory=Bell)  # rung when a reply should go at once
