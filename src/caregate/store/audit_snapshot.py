"""One consistent, read-only view of the audit tables for a verification, which parallel readers share.

Verification compares a chain's signed head with the events after it; read in two snapshots (READ
COMMITTED, PostgreSQL's default, takes one per statement), events committed in between looked
"inserted after the signed head". So on PostgreSQL a verification reads everything in one REPEATABLE
READ, READ ONLY transaction of its own, and exports that snapshot: extra connections import it and
stream other parts of a long chain at the same time (`stream`), each seeing exactly the same rows.
SQLite needs none of this: a read transaction sees one snapshot until it ends, and the caller's
session is used as it is (one reader is also faster there: its cursor releases the GIL only briefly).
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from caregate.store import audit_repo

_SNAPSHOT_ID = re.compile(r"^[0-9A-F]+-[0-9A-F]+(-[0-9]+)?$")


class StreamFailed(Exception):
    """The database could not render part of a chain (a column changed into something it cannot read)."""


class Snapshot:
    """The view a verification reads: `session` for single reads, `stream` for parts of a chain."""

    def __init__(self, session: Session, engine: Engine | None = None, snapshot_id: str | None = None) -> None:
        self.session = session
        self._engine = engine
        self._id = snapshot_id

    @property
    def shared(self) -> bool:
        """Whether other connections can read this same view (`stream`)."""
        return self._id is not None

    def stream(self, *, chain: str, after_seq: int, upto_seq: int | None) -> Generator[tuple[Any, Any, Any]]:
        """(seq, hash, the bytes the hash covers) for events after `after_seq` up to `upto_seq` (None: all),
        in order, read on a connection of its own that sees this snapshot."""
        if self._engine is None or self._id is None:
            raise RuntimeError("this snapshot cannot be shared")
        errors = self._engine.dialect.dbapi.Error  # type: ignore[union-attr]
        raw = self._engine.raw_connection()
        try:
            driver: Any = raw.driver_connection
            cursor = driver.cursor(binary=True)
            try:
                # the first statements of the transaction the driver begins: the exported view, read only
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute(f"SET TRANSACTION SNAPSHOT '{self._id}'")
                cursor.execute("SET LOCAL enable_sort = off")  # in index order, rows flow while Python hashes
                upto = (1 << 63) - 1 if upto_seq is None else upto_seq
                yield from cursor.stream(audit_repo.HASHED_RANGE_PG, (chain, after_seq, upto), size=audit_repo.STREAM)
            except errors as exc:
                raise StreamFailed(str(exc)) from exc
            finally:
                cursor.close()
                driver.rollback()
        finally:
            raw.close()


@contextmanager
def snapshot(s: Session) -> Iterator[Snapshot]:
    """The audit tables as of now, unchanging until the block ends (nothing can be written through it)."""
    bind = s.get_bind()
    if bind.dialect.name != "postgresql":
        yield Snapshot(s)
        return
    engine = bind.engine if isinstance(bind, Connection) else bind
    with engine.connect() as conn:
        view_conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with Session(bind=view_conn) as view:
            try:
                snapshot_id = str(view.scalar(text("SELECT pg_export_snapshot()")))
                if not _SNAPSHOT_ID.match(snapshot_id):  # it is written into SQL text: make sure of its shape
                    raise RuntimeError(f"unexpected snapshot id {snapshot_id!r}")
                yield Snapshot(view, engine, snapshot_id)
            finally:
                view.rollback()
