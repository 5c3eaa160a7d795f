"""Constants and small helpers shared by test modules (import as `support`; conftest files are not modules)."""

from __future__ import annotations

from sqlalchemy import text

from caregate.store.audit_guard import allow_removal
from caregate.store.db import Database
from caregate.store.schema import metadata

PASSWORD = "correct horse battery staple"


def empty(db: Database) -> None:
    """Remove every row of every table (the audit tables are opened for it, as retention does)."""
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with db.engine.begin() as conn:
        allow_removal(conn)  # the audit tables refuse DELETE and TRUNCATE otherwise
        if db.is_postgres:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            conn.execute(text("PRAGMA defer_foreign_keys=ON"))
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
