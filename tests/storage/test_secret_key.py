"""The secret key's fingerprint: kept by the first process, checked by every other one."""

from __future__ import annotations

import stat

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import select, text

from voicebox.app import build_services
from voicebox.channels.registry import build_channels
from voicebox.settings import Settings, SettingsError
from voicebox.storage.consultations import get_consultation
from voicebox.storage.database import MIGRATIONS_DIR, Database
from voicebox.storage.models import DatabaseFact
from voicebox.storage.secret_key import (
    DIFFERENT_KEY,
    FINGERPRINT,
    DifferentSecretKey,
    fingerprint,
    remember_key,
)


def test_the_first_key_is_kept_and_another_is_refused(database):
    """Only the fingerprint is kept, never the key; the same key is welcome again."""
    remember_key(database, b"first-key")
    remember_key(database, b"first-key")
    with pytest.raises(DifferentSecretKey) as refused:
        remember_key(database, b"second-key")
    assert str(refused.value) == DIFFERENT_KEY
    with database.reading() as connection:
        kept = connection.execute(select(DatabaseFact.name, DatabaseFact.value)).all()
    assert [tuple(row) for row in kept] == [(FINGERPRINT, fingerprint(b"first-key"))]
    assert "first-key" not in kept[0].value


def test_build_services_checks_the_key(database):
    """Every command that uses the key builds its services this way."""
    first = build_services(
        Settings(database_url=database.url, secret_key="key-a"), build_channels({})
    )
    first.database.dispose()
    with pytest.raises(DifferentSecretKey):
        build_services(Settings(database_url=database.url, secret_key="key-b"), build_channels({}))


def test_an_old_database_with_data_adopts_the_key_of_its_first_start(tmp_path):
    """A database from before the fingerprint keeps its data and takes the current key."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = Database(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with old.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0012")
        # The columns of 0012: today's model has more than that schema.
        connection.execute(
            text(
                "INSERT INTO consultations (code, title, flow_id, flow_version, status, "
                "created_at, intro) VALUES ('OLD1', 'Before the fingerprint', "
                "'tops_and_pants', 1, 'open', '2026-11-01 09:00:00', '')"
            )
        )
    old.dispose()
    services = build_services(Settings(database_url=url, secret_key="kept-key"))
    services.database.upgrade()
    remember_key(services.database, services.secret)
    assert get_consultation(services.database, "OLD1") is not None
    with pytest.raises(DifferentSecretKey):
        remember_key(services.database, b"another-key")
    services.database.dispose()


def test_a_database_server_needs_the_key_set(tmp_path, monkeypatch):
    """No VOICEBOX_SECRET_KEY with PostgreSQL: one clear line, and no key file anywhere."""
    monkeypatch.chdir(tmp_path)
    settings = Settings(database_url="postgresql://voicebox@db.example.org/voicebox")
    with pytest.raises(SettingsError, match="^VOICEBOX_SECRET_KEY is not set"):
        settings.resolve_secret()
    assert list(tmp_path.iterdir()) == []


def test_a_new_sqlite_database_and_its_files_are_private(tmp_path):
    """The file, its -wal and -shm, the lock and the generated key: owner only (0600)."""
    url = f"sqlite:///{tmp_path / 'voicebox.db'}"
    database = Database(url)
    database.upgrade()
    Settings(database_url=url).resolve_secret()
    with database.transaction() as connection:  # a write leaves the -wal and -shm files
        connection.execute(
            text("INSERT INTO groups (name, created_at) VALUES ('Youth club', '2026-01-01')")
        )
        names = sorted(path.name for path in tmp_path.iterdir())
        assert names == [
            "voicebox.db",
            "voicebox.db-shm",
            "voicebox.db-wal",
            "voicebox.db.lock",
            "voicebox.db.secret",
        ]
        for path in tmp_path.iterdir():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    database.dispose()
