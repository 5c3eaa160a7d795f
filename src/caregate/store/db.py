"""Engines and transactions: an SQLite file by default, PostgreSQL by URL. Nothing is created at import."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from caregate.store import audit_guard
from caregate.store.turns import DatabaseBusy, Turns


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
        # on the driver itself: SQLAlchemy's statement pipeline cost more than SQLite's BEGIN (~40 us)
        conn.connection.dbapi_connection.execute(f"BEGIN {mode}")


class Database:
    """One database: its engine and the two kinds of transaction the service asks for."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        parsed = make_url(url)
        self.url = parsed
        self.dialect = parsed.get_backend_name()
        self.turns: Turns | None = None  # SQLite: writers queue here rather than in SQLite's busy handler
        if self.dialect == "sqlite":
            on_disk = bool(parsed.database) and parsed.database != ":memory:"
            if on_disk:
                Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
            self.turns = Turns(Path(f"{parsed.database}.writers") if on_disk else None)
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
        """A session inside one transaction: committed when the block ends, rolled back if it raises.

        Raises DatabaseBusy when another writer kept an SQLite database for longer than its timeout.
        """
        turn: AbstractContextManager[None] = self.turns.turn() if write and self.turns else nullcontext()
        try:
            with turn, Session(bind=self._writer if write else self.engine, expire_on_commit=False) as session, \
                    session.begin():
                yield session
        except OperationalError as exc:
            if self.dialect == "sqlite" and "database is locked" in str(exc.orig):
                raise DatabaseBusy("another program kept the database locked for more than 15 s") from exc
            raise

    def dispose(self) -> None:
        self.engine.dispose()
        if self.turns is not None:
            self.turns.close()
