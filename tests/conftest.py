"""Shared fixtures: real databases (SQLite and PostgreSQL), the store and the engine."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import Phase, settings
from sqlalchemy import create_engine, text

from tests.postgres import ThrowawayPostgres, server_bin
from voicebox.bot.engine import Engine
from voicebox.flows import load_builtin_flows
from voicebox.storage.consultations import (
    create_consultation,
    ensure_demo,
    get_consultation,
)
from voicebox.storage.database import Database, normalize_url
from voicebox.storage.store import SqlStore

SECRET = b"test-secret-key-for-pseudonyms-0123456789"


class BufferedClient(FlaskClient):
    """Flask's test client, reading each answer whole and closing it (no file left open)."""

    def open(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201 - FlaskClient.open's
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


Flask.test_client_class = BufferedClient  # warnings are errors here: an unclosed file too
# For mutation testing (pyproject.toml): report a failing example at once, without the
# minutes of shrinking, and without replaying examples that failed for another mutant.
settings.register_profile(
    "mutation", phases=[Phase.explicit, Phase.generate], database=None, deadline=None
)
REQUIRE_POSTGRES = os.environ.get("VOICEBOX_REQUIRE_POSTGRES") == "1"
# A throwaway cluster is deleted whole at the end; on a server we were given, clean up.
KEEP_POSTGRES_DATABASES = not os.environ.get("VOICEBOX_TEST_POSTGRES_URL")
_names = itertools.count()


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server URL: VOICEBOX_TEST_POSTGRES_URL, or a throwaway local cluster."""
    given = os.environ.get("VOICEBOX_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    bin_dir = server_bin()
    if bin_dir is None:
        message = (
            "PostgreSQL server programs not found (/usr/lib/postgresql/*/bin/initdb):"
            " apt-get install postgresql, or set VOICEBOX_TEST_POSTGRES_URL"
        )
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    server = ThrowawayPostgres(bin_dir)
    try:
        url = server.start()
    except RuntimeError as error:
        server.stop()
        if REQUIRE_POSTGRES:
            pytest.fail(str(error))
        pytest.skip(str(error))
    yield url
    server.stop()


@pytest.fixture(scope="session")
def postgres_template(postgres_server):
    """A migrated template database; each test copies it (much faster than migrating)."""
    admin = create_engine(normalize_url(postgres_server), isolation_level="AUTOCOMMIT")
    # One name per test run: runs side by side on one server must not drop each other's.
    template = f"voicebox_template_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {template}"))
        conn.execute(text(f"CREATE DATABASE {template}"))
    base = postgres_server.rsplit("/", 1)[0]
    migrated = Database(f"{base}/{template}")
    migrated.upgrade()
    migrated.dispose()
    yield admin, base, template
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {template} WITH (FORCE)"))
    admin.dispose()


def _postgres_database(postgres_template) -> tuple[Database, Callable[[], None]]:
    """A fresh copy of the template, and how to drop it afterwards."""
    admin, base, template = postgres_template
    name = f"voicebox_test_{os.getpid()}_{next(_names)}"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {template}"))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))

    return Database(f"{base}/{name}"), drop


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request, tmp_path):
    """An upgraded, empty database: SQLite in a temp folder, then PostgreSQL."""
    drop = None
    if request.param == "sqlite":
        db = _sqlite_database(request.getfixturevalue("sqlite_template"), tmp_path)
    else:
        db, drop = _postgres_database(request.getfixturevalue("postgres_template"))
    yield db
    db.dispose()
    if drop is not None and not KEEP_POSTGRES_DATABASES:
        drop()


@pytest.fixture
def postgres_database(request):
    """An upgraded, empty PostgreSQL database only (for tests that need its URL)."""
    db, drop = _postgres_database(request.getfixturevalue("postgres_template"))
    yield db
    db.dispose()
    if not KEEP_POSTGRES_DATABASES:
        drop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    """A migrated SQLite file; each test copies it (much faster than migrating)."""
    path = tmp_path_factory.mktemp("sqlite_template") / "voicebox.db"
    migrated = Database(f"sqlite:///{path}")
    migrated.upgrade()
    migrated.dispose()  # the last connection closing folds the WAL into the file
    return str(path)


def _sqlite_database(template: str, folder) -> Database:
    """A fresh copy of the migrated SQLite file in a test's own folder."""
    path = folder / "voicebox.db"
    shutil.copyfile(template, path)
    return Database(f"sqlite:///{path}")


@pytest.fixture
def sqlite_database(sqlite_template, tmp_path):
    """An upgraded SQLite database only."""
    db = _sqlite_database(sqlite_template, tmp_path)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def flows():
    """The built-in flows by id."""
    return load_builtin_flows()


@pytest.fixture
def store(database):
    """The SQL store on the test database."""
    return SqlStore(database, SECRET)


@pytest.fixture
def engine(store, flows):
    """The engine with the built-in flows, on the test database, with DEMO and CORNER open."""
    ensure_demo(store.database, flows)
    create_consultation(
        store.database,
        "CORNER",
        "four_cornerstones",
        flows["four_cornerstones"].version,
        "Four cornerstones test",
    )
    return Engine(flows.values(), store)


@pytest.fixture
def demo(store, flows):
    """The demo consultation DEMO (TOPS and PANTS), as `voicebox serve` creates it."""
    ensure_demo(store.database, flows)
    return get_consultation(store.database, "DEMO")
