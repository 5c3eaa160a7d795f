"""The database's own refusal to change audit records, and the one way past it (the retention procedure).

PostgreSQL: triggers on the audit tables refuse UPDATE, DELETE and TRUNCATE unless the transaction has
`SET LOCAL caregate.audit_retention = 'on'`. SQLite: triggers refuse UPDATE and DELETE unless the
connection's `caregate_audit_retention()` function says so; the function exists only in caregate's own
connections, so an edit made with another SQLite client fails too ("no such function"). Neither stops
someone who can drop the triggers (the table owner, a superuser, anyone with the SQLite file): the
hash chain and the signed heads are what detect such edits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.orm import Session

GUARDED_TABLES = ("audit_events", "audit_checkpoints", "audit_archives")
SQLITE_FUNCTION = "caregate_audit_retention"


@dataclass
class _Flag:
    """Whether this SQLite connection's current transaction may remove audit records."""

    open: bool = False


def install_sqlite(engine: Engine) -> None:
    """Give every SQLite connection the guard function; close the way again at each BEGIN."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        flag = _Flag()
        record.info["caregate_audit_flag"] = flag
        dbapi_connection.create_function(SQLITE_FUNCTION, 0, lambda: int(flag.open))

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        flag = conn.connection.info.get("caregate_audit_flag")
        if flag is not None:
            flag.open = False  # like SET LOCAL: the permission never outlives its transaction


def allow_removal(target: Connection | Session) -> None:
    """Let this transaction delete audit records (the retention procedure; test teardown)."""
    conn = target.connection() if isinstance(target, Session) else target
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL caregate.audit_retention = 'on'"))
        return
    flag = conn.connection.info.get("caregate_audit_flag")
    if flag is None:
        raise RuntimeError("this SQLite connection was not opened by caregate.store.db.Database")
    flag.open = True
