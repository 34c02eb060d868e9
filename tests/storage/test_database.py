"""The schema: migrations match the models, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from voicebox.storage.models import Base


def test_migrations_match_the_models(database):
    """Alembic's head schema is exactly what the models describe."""
    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_every_table_exists(database):
    """All tables are created by the first migration onwards."""
    tables = set(inspect(database.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_upgrade_twice_is_harmless(database):
    """Running the upgrade again changes nothing."""
    database.upgrade()
    assert database.ping()
