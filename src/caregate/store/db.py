"""Engines and transactions: an SQLite file by default, PostgreSQL by URL. Nothing is created at import."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from caregate.store import audit_guard


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself, so writes can take the lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A write transaction takes SQLite's write lock at BEGIN: two writers then queue instead of one
        # failing with "database is locked" when it upgrades a read lock half-way through.
        mode = "IMMEDIATE" if conn.get_execution_options().get("caregate_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """One database: its engine and the two kinds of transaction the service asks for."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        parsed = make_url(url)
        self.url = parsed
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(parsed, echo=echo, connect_args={"check_same_thread": False, "timeout": 15})
            _sqlite_setup(self.engine)
            audit_guard.install_sqlite(self.engine)
        else:
            self.engine = create_engine(parsed, echo=echo, pool_pre_ping=True, pool_size=pool_size,
                                        max_overflow=pool_size)
        self._writer = self.engine.execution_options(caregate_write=True)

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Session]:
        """A session inside one transaction: committed when the block ends, rolled back if it raises."""
        with Session(bind=self._writer if write else self.engine, expire_on_commit=False) as session, \
                session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
