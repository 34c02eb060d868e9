"""Configuration from VOICEBOX_* environment variables, with safe defaults."""

from __future__ import annotations

import logging
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

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the core VOICEBOX_* variables (empty ones count as unset)."""
        env = os.environ if env is None else env
        return cls(
            database_url=env_value(env, "DATABASE_URL") or DEFAULT_DATABASE_URL,
            secret_key=env_value(env, "SECRET_KEY"),
            public_url=(env_value(env, "PUBLIC_URL") or "").rstrip("/") or None,
        )

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
        """The secret key: VOICEBOX_SECRET_KEY, else one generated once and kept in a file."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.secret_file()
        try:
            if path.exists():
                value = path.read_text(encoding="utf-8").strip()
                if value:
                    return value.encode()
            value = secrets.token_hex(32)
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process made it a moment ago: use theirs
                return path.read_text(encoding="utf-8").strip().encode()
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(value + "\n")
        except OSError as exc:
            raise SettingsError(f"cannot keep a secret key in {path}: {exc.strerror}") from None
        log.warning(
            "VOICEBOX_SECRET_KEY is not set: generated one and kept it in %s. "
            "Keep that file safe; pseudonyms depend on it.",
            path,
        )
        return value.encode()
