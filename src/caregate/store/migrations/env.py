"""Alembic environment: run by `caregate migrate` (and at `serve`) on the connection it is given."""

from __future__ import annotations

from alembic import context

from caregate.store.schema import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through caregate.store.migrate.upgrade(), which passes a connection")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
