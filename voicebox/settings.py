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


@dataclass(frozen=True)
class Settings:
    """Every setting Voicebox reads; each one is optional."""

    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str | None = None
    public_url: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from: str | None = None
    twilio_api_url: str = "https://api.twilio.com"
    twilio_rate: str | None = None  # segments a second; the SMS channel checks it
    telegram_token: str | None = None
    telegram_secret: str | None = None
    telegram_api_url: str = "https://api.telegram.org"
    web_pictures: str | None = None  # a folder with set.yaml: a school's own picture set

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the VOICEBOX_* variables (empty ones count as unset)."""
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(f"VOICEBOX_{name}", "").strip()
            return value or None

        return cls(
            database_url=get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            secret_key=get("SECRET_KEY"),
            public_url=(get("PUBLIC_URL") or "").rstrip("/") or None,
            twilio_account_sid=get("TWILIO_ACCOUNT_SID"),
            twilio_auth_token=get("TWILIO_AUTH_TOKEN"),
            twilio_from=get("TWILIO_FROM"),
            twilio_api_url=(get("TWILIO_API_URL") or cls.twilio_api_url).rstrip("/"),
            twilio_rate=get("TWILIO_RATE"),
            telegram_token=get("TELEGRAM_TOKEN"),
            telegram_secret=get("TELEGRAM_SECRET"),
            telegram_api_url=(get("TELEGRAM_API_URL") or cls.telegram_api_url).rstrip("/"),
            web_pictures=get("WEB_PICTURES"),
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
