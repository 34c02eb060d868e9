"""The database: engine set-up for SQLite and PostgreSQL, and schema upgrades."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class DatabaseError(RuntimeError):
    """The database cannot be used; the message is one human line."""


# What a request meets while the database is away (restarting, unreachable, too busy):
# the web app answers 503 for these, and the pool's pre-ping reconnects once it is back.
UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError)


def normalize_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs that name no driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE instead of pysqlite's
    # deferred BEGIN: two messages from one person can then never both read old state.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


READ_ONLY = "voicebox_read_only"  # the execution option that marks a read-only transaction


def _sqlite_begin(connection: Any) -> None:
    # Writers take the write lock at BEGIN; a reader's deferred BEGIN takes none (WAL lets
    # readers and the writer go on side by side). Straight to the driver: a full SQLAlchemy
    # execution here costs as much as a query.
    read_only = connection.get_execution_options().get(READ_ONLY)
    connection.connection.driver_connection.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")


class Database:
    """An engine and a session factory for one database URL."""

    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = normalize_url(url)
        try:
            parsed = make_url(self.url)
        except ArgumentError:
            raise DatabaseError(
                f"the database address '{url}' is not one SQLAlchemy can read"
            ) from None
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo}
        if self.dialect == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:":
                folder = Path(database).expanduser().resolve().parent
                if not folder.is_dir():
                    raise DatabaseError(f"the folder for the database does not exist: {folder}")
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
        else:
            kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=10)
        try:
            self.engine: Engine = create_engine(self.url, **kwargs)
        except (ArgumentError, ImportError) as exc:
            raise DatabaseError(
                f"cannot use the database '{parsed.render_as_string()}': {exc}"
            ) from None
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
        self.sessions: sessionmaker[Session] = sessionmaker(self.engine, expire_on_commit=False)
        # The same engine and pool, for reading only: its transactions never lock out writers.
        self.read_engine: Engine = self.engine.execution_options(**{READ_ONLY: True})
        self.read_sessions: sessionmaker[Session] = sessionmaker(
            self.read_engine, expire_on_commit=False
        )
        # SQLite lets one transaction write at a time, and every transaction here begins
        # with BEGIN IMMEDIATE. Threads that lose the race sleep in SQLite's busy handler
        # (1, 2, 5, 10 ms...) and wake late; queueing them on a lock hands over at once.
        # Every writer in this process (store, outbox, status callbacks) uses transaction().
        self._writer: AbstractContextManager[object] = (
            threading.RLock() if self.dialect == "sqlite" else nullcontext()
        )

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction, committed at the end; on SQLite, one at a time (see _writer)."""
        with self._writer, self.engine.begin() as connection:
            yield connection

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read-only transaction: one snapshot, and no lock that would hold up writers."""
        with self.read_engine.connect() as connection:
            yield connection

    @property
    def is_sqlite(self) -> bool:
        """True on SQLite."""
        return self.dialect == "sqlite"

    def ping(self) -> bool:
        """True when the database answers."""
        try:
            with self.reading() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def check(self) -> None:
        """Raise DatabaseError with one human line when the database does not answer."""
        try:
            with self.reading() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            orig = getattr(exc, "orig", None)
            reason = str(orig if orig is not None else exc).splitlines()[0]
            safe = make_url(self.url).render_as_string(hide_password=True)
            raise DatabaseError(f"cannot reach the database {safe}: {reason}") from None

    def upgrade(self) -> None:
        """Bring the schema up to the newest migration."""
        from alembic import command
        from alembic.config import Config

        self.check()
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
