"""A new, empty PostgreSQL database on the tests' server (not copied from the template)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

from voicebox.storage.database import normalize_url

_names = itertools.count()


@contextmanager
def empty_postgres(server_url: str) -> Iterator[str]:
    """The URL of an empty database made for one test, dropped afterwards."""
    admin = create_engine(normalize_url(server_url), isolation_level="AUTOCOMMIT")
    name = f"voicebox_empty_{os.getpid()}_{next(_names)}"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield f"{server_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
