"""The database: engine set-up for SQLite and PostgreSQL, and schema upgrades."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from voicebox.storage.addresses import AddressSeal

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# PostgreSQL's advisory lock for start-up: one fixed number ("voicebox" in ASCII).
STARTUP_LOCK_KEY = int.from_bytes(b"voicebox", "big")
LOCK_FILE_SUFFIX = ".lock"  # SQLite's start-up lock file, beside the database


def insert_ignoring(table: Table, dialect: str) -> Any:
    """INSERT that does nothing for a row already there (ON CONFLICT DO NOTHING), on
    PostgreSQL or SQLite: two processes making the same row at once both go on."""
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return insert(table).on_conflict_do_nothing()


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


def _private_file(path: Path) -> None:
    """Create an empty file only its owner can read (0600), unless it exists."""
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on a file, across processes; the kernel drops it if we die."""
    import fcntl

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


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
        self.file: Path | None = None  # the SQLite file, if there is one
        if self.dialect == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:" and not database.startswith("file:"):
                self.file = Path(database).expanduser().resolve()
                if not self.file.parent.is_dir():
                    raise DatabaseError(
                        f"the folder for the database does not exist: {self.file.parent}"
                    )
                # It will hold phone numbers' pseudonyms and what young people typed: only
                # its owner may read it. SQLite gives its -wal and -shm files the same mode.
                _private_file(self.file)
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
        self._startup_guard = threading.RLock()
        self._startup_depth = 0
        # Opens the participants' addresses kept sealed here: set by the store, which seals
        # them under the secret key (`addresses.unlock`); the dispatcher opens them with it.
        self.addresses: AddressSeal | None = None

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

    @contextmanager
    def startup_lock(self) -> Iterator[None]:
        """Held while one process upgrades the schema and makes the demo: the others wait.

        PostgreSQL: an advisory lock (one fixed key) on a connection of its own. SQLite: an
        flock on `<database>.lock`. Not SQLite's own BEGIN EXCLUSIVE: that would also shut
        out the upgrade's own connection, and a waiting process would give up after the busy
        timeout (10 s). Both are let go by the server or the kernel if the process dies.
        Taken again inside, by the same process, it is already held.
        """
        with self._startup_guard:
            if self._startup_depth:
                self._startup_depth += 1
                try:
                    yield
                finally:
                    self._startup_depth -= 1
                return
            with self._startup_held():
                self._startup_depth = 1
                try:
                    yield
                finally:
                    self._startup_depth = 0

    @contextmanager
    def _startup_held(self) -> Iterator[None]:
        if self.dialect == "postgresql":
            self.check()
            connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            try:
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": STARTUP_LOCK_KEY})
                try:
                    yield
                finally:
                    try:
                        connection.execute(
                            text("SELECT pg_advisory_unlock(:key)"), {"key": STARTUP_LOCK_KEY}
                        )
                    except SQLAlchemyError:
                        connection.invalidate()  # closing the session lets the lock go
            finally:
                connection.close()
        elif self.file is not None:
            with _file_lock(self.file.with_name(self.file.name + LOCK_FILE_SUFFIX)):
                yield
        else:  # an in-memory database belongs to this process alone
            yield

    def upgrade(self) -> None:
        """Bring the schema up to the newest migration, under the start-up lock.

        With the key (`self.addresses`), a migration that seals addresses kept plain does so;
        without it they wait for the next `voicebox serve`, which has the key."""
        from alembic import command
        from alembic.config import Config

        self.check()
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with self.startup_lock():
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                config.attributes["addresses"] = self.addresses
                command.upgrade(config, "head")
            if config.attributes.get("sealed"):
                self.fold_wal()

    def fold_wal(self) -> None:
        """SQLite: copy the write-ahead log into the file and empty it, so no old copy of a
        rewritten row stays behind in the -wal file. Nothing on PostgreSQL."""
        if self.dialect != "sqlite":
            return
        # Outside any transaction (the driver's own connection is in autocommit), with the
        # writer lock, so this process's own writers do not hold it up.
        with self._writer:
            raw = self.engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                cursor.fetchall()
                cursor.close()
            finally:
                raw.close()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
