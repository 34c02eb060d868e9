"""Configuration from VOICEBOX_* environment variables, with safe defaults."""

from __future__ import annotations

import logging
import math
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

log = logging.getLogger(__name__)

DEFAULT_DATABASE_URL = "sqlite:///voicebox.db"
SECRET_FILE_SUFFIX = ".secret"
# The web server's limits. Each open connection costs one file and a little memory, and
# waitress reads every one on one thread with poll(), so thousands cost little; past the
# limit, new connections wait in the queue until one closes. 2,000 keeps room for 1,000
# slow or idle clients (measured: tests/test_serve_connections.py) and everyone else.
DEFAULT_CONNECTION_LIMIT = 2000
DEFAULT_IDLE_TIMEOUT = 30  # seconds a connection may sit with nothing asked
# Request threads for `voicebox serve`. SQLite lets one transaction write at a time and
# Python runs one thread at a time, so on SQLite one request thread was fastest for messages
# alone (682 against 592 messages/s with 4, docs/performance.md). But a download from the
# workers' area holds its thread until its last byte: with one thread, every message waited
# for it (a 200,000-answer CSV: 4 s). With 4, two downloads (the most at once,
# workers/export_pages.py) leave two for messages. waitress's own thread reads and writes
# every connection, so a slow client holds nobody up. PostgreSQL overlaps round trips.
SQLITE_THREADS = 4
THREADS = 8
NO_KEY_ON_SERVER = (
    "VOICEBOX_SECRET_KEY is not set. With a database server, every process must use the "
    "same key: set VOICEBOX_SECRET_KEY to one long random value everywhere."
)


class SettingsError(ValueError):
    """A setting that cannot be used; the message is one human line."""


def env_value(env: Mapping[str, str], name: str) -> str | None:
    """VOICEBOX_<name> from the environment; empty or blank counts as unset."""
    value = env.get(f"VOICEBOX_{name}", "").strip()
    return value or None


@dataclass(frozen=True)
class Settings:
    """The core settings; each channel reads its own (channels/<name>/settings.py)."""

    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str | None = None
    public_url: str | None = None
    connection_limit: int = DEFAULT_CONNECTION_LIMIT
    idle_timeout: int = DEFAULT_IDLE_TIMEOUT

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the core VOICEBOX_* variables (empty ones count as unset)."""
        env = os.environ if env is None else env
        return cls(
            database_url=env_value(env, "DATABASE_URL") or DEFAULT_DATABASE_URL,
            secret_key=env_value(env, "SECRET_KEY"),
            public_url=(env_value(env, "PUBLIC_URL") or "").rstrip("/") or None,
            connection_limit=_whole_number(
                env, "CONNECTION_LIMIT", DEFAULT_CONNECTION_LIMIT, 10, 100_000
            ),
            idle_timeout=_whole_number(env, "IDLE_TIMEOUT", DEFAULT_IDLE_TIMEOUT, 1, 3600),
        )

    def uses_sqlite(self) -> bool:
        """True when the database is SQLite (or the address cannot be read)."""
        try:
            return make_url(self.database_url).get_backend_name() == "sqlite"
        except ArgumentError:
            return True  # Database() says what is wrong with it, in one line

    def secret_file(self) -> Path:
        """Where a generated secret key is kept: beside the SQLite file, else here."""
        try:
            url = make_url(self.database_url)
        except ArgumentError:
            return Path.cwd() / f"voicebox{SECRET_FILE_SUFFIX}"
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            path = Path(url.database).expanduser()
            return path.with_name(path.name + SECRET_FILE_SUFFIX)
        return Path.cwd() / f"voicebox{SECRET_FILE_SUFFIX}"

    def resolve_secret(self) -> bytes:
        """The secret key: VOICEBOX_SECRET_KEY, else (SQLite only) one kept in a file.

        On a database server the processes may run in different folders or machines, so a
        key file each would give one person two pseudonyms: the key must be set.
        """
        if self.secret_key:
            return self.secret_key.encode()
        if not self.uses_sqlite():
            raise SettingsError(NO_KEY_ON_SERVER)
        path = self.secret_file()
        try:
            if path.exists():
                value = path.read_text(encoding="utf-8").strip()
                if value:
                    return value.encode()
            value = secrets.token_hex(32)
            path.parent.mkdir(parents=True, exist_ok=True)
            # Written whole under another name, then linked in place: a process starting at
            # the same moment sees no file or the whole key, never an empty one.
            draft = path.with_name(f"{path.name}.{os.getpid()}.new")
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(value + "\n")
                try:
                    os.link(draft, path)
                except FileExistsError:  # another process made it a moment ago: use theirs
                    return path.read_text(encoding="utf-8").strip().encode()
            finally:
                draft.unlink(missing_ok=True)
        except OSError as exc:
            raise SettingsError(f"cannot keep a secret key in {path}: {exc.strerror}") from None
        log.warning(
            "VOICEBOX_SECRET_KEY is not set: generated one and kept it in %s. "
            "Keep that file safe; pseudonyms depend on it.",
            path,
        )
        return value.encode()


def _whole_number(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """VOICEBOX_<name> as a whole number from low to high; SettingsError in one line if not."""
    text = env_value(env, name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise SettingsError(
            f"VOICEBOX_{name} must be a whole number from {low} to {high}, like {default}"
        )
    return value


def positive_setting(value: str | None, name: str, default: float, unit: str = "seconds") -> float:
    """A number above 0 from a setting's value; the default when unset or unusable."""
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not (number > 0 and math.isfinite(number)):
        log.warning("VOICEBOX_%s must be a number above 0 (%s); using %s", name, unit, default)
        return default
    return number
