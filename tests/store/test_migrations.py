"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from caregate.store import migrate
from caregate.store.schema import metadata


def test_migrated_schema_matches_the_models(database):
    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert diff == [], diff


def test_at_head_and_upgrade_is_idempotent(database):
    assert migrate.current(database) == migrate.head()
    migrate.upgrade(database)
    assert migrate.current(database) == migrate.head()
