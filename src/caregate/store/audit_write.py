"""The audit trail's write path: chain heads, event rows, checkpoints and the bulk-access index.

Every audited transaction runs these statements, so they go straight to the driver's cursor on the
session's own connection (the same transaction): fixed SQL text, written once for both databases, no
SQLAlchemy compilation, parameter processing or events per statement. Measured on SQLite, that
machinery cost more than the database's work. Times are bound as each database's column holds them
(SQLite: the naive UTC text SQLAlchemy writes, so comparisons and ORM reads agree).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from caregate.store.audit import MIRRORED, AuditCheckpoint

_EVENT_COLUMNS = ("seq", "prev_hash", "hash", "body", "at", *MIRRORED)

_SQL = {
    "lock_head": "INSERT INTO audit_chain_heads (chain, org_id, seq, hash, archived_seq, archived_hash, updated_at) "
                 "VALUES (?, ?, 0, ?, 0, ?, ?) ON CONFLICT (chain) DO UPDATE SET chain = excluded.chain "
                 "RETURNING seq, hash",
    "insert_event": f"INSERT INTO audit_events ({', '.join(_EVENT_COLUMNS)}) "  # noqa: S608
                    f"VALUES ({', '.join('?' * len(_EVENT_COLUMNS))})",
    "set_head": "UPDATE audit_chain_heads SET seq = ?, hash = ?, key_id = ?, signature = ?, updated_at = ? "
                "WHERE chain = ?",
    "settings": "SELECT settings FROM audit_settings WHERE org_id = ?",
    "forget_seen": "DELETE FROM audit_patient_seen WHERE org_id = ? AND member_id = ? AND at < ?",
    "note_seen": "INSERT INTO audit_patient_seen (org_id, member_id, patient_id, at) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT (org_id, member_id, patient_id) DO UPDATE SET at = excluded.at",
    "count_seen": "SELECT count(*) FROM (SELECT 1 FROM audit_patient_seen WHERE org_id = ? AND member_id = ? "
                  "AND at >= ? LIMIT ?) AS recent",
    "recent_alert": "SELECT 1 FROM audit_alerts WHERE org_id = ? AND rule = ? AND dedupe_key = ? AND at >= ? LIMIT 1",
}
_BY_DIALECT = {"sqlite": _SQL, "postgresql": {k: v.replace("?", "%s") for k, v in _SQL.items()}}
# PostgreSQL: prune, note and count in one round trip. The count reads the snapshot from before the
# statement's own writes, so the patients of this batch are left out of it and added from what was noted
# (and out of the prune: one statement must not both delete and upsert a row).
_BY_DIALECT["postgresql"]["touch"] = """
WITH gone AS (DELETE FROM audit_patient_seen WHERE org_id = %(org)s AND member_id = %(member)s AND at < %(since)s
              AND patient_id <> ALL(%(patients)s::varchar[])),
noted AS (INSERT INTO audit_patient_seen (org_id, member_id, patient_id, at)
          SELECT %(org)s, %(member)s, p, %(now)s FROM unnest(%(patients)s::varchar[]) AS p
          ON CONFLICT (org_id, member_id, patient_id) DO UPDATE SET at = excluded.at RETURNING 1)
SELECT (SELECT count(*) FROM noted) + (SELECT count(*) FROM (
    SELECT 1 FROM audit_patient_seen WHERE org_id = %(org)s AND member_id = %(member)s AND at >= %(since)s
    AND patient_id <> ALL(%(patients)s::varchar[]) LIMIT %(cap)s) AS earlier)"""
_DRIVER = "caregate_audit_driver"
_ADD_CHECKPOINT = insert(cast(Table, AuditCheckpoint.__table__))


class _Driver:
    """The session connection's driver cursor, with this database's SQL and time binding."""

    __slots__ = ("cursor", "sql", "sqlite")

    def __init__(self, s: Session) -> None:
        # asking the session for its connection costs more than a statement: once per transaction
        transaction = s.get_transaction()
        known = s.info.get(_DRIVER)
        if known is None or known[0] is not transaction:
            conn = s.connection()
            known = (s.get_transaction(), conn.dialect.name, conn.connection.dbapi_connection)
            s.info[_DRIVER] = known
        _, dialect, driver = known
        self.sqlite = dialect == "sqlite"
        self.sql = _BY_DIALECT[dialect]
        self.cursor: Any = driver.cursor()  # type: ignore[union-attr]

    def time(self, moment: datetime) -> Any:
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else moment

    def run(self, name: str, params: Sequence[Any] | dict[str, Any]) -> list[Any]:
        """Run one statement and read all it returns (an SQLite statement left half-read blocks the commit)."""
        try:
            self.cursor.execute(self.sql[name], params)
            return list(self.cursor.fetchall()) if self.cursor.description else []
        finally:
            self.cursor.close()

    def run_many(self, name: str, rows: Sequence[Sequence[Any]]) -> None:
        """One statement, many rows: prepared once (SQLite), pipelined (psycopg)."""
        try:
            if len(rows) == 1:
                self.cursor.execute(self.sql[name], rows[0])
            else:
                self.cursor.executemany(self.sql[name], rows)
        finally:
            self.cursor.close()


def lock_head(s: Session, *, chain: str, org_id: str | None, genesis: str, now: datetime) -> tuple[int, str]:
    """The chain's last (seq, hash), its row locked until commit; the head is created on first use."""
    db = _Driver(s)
    [(seq, head_hash)] = db.run("lock_head", (chain, org_id, genesis, genesis, db.time(now)))
    return int(seq), str(head_hash)


def append(s: Session, *, chain: str, rows: Sequence[dict[str, Any]], key_id: str, signature: str,
           now: datetime) -> None:
    """Insert the chained rows and move the chain's head to the last of them, signed."""
    db = _Driver(s)
    db.run_many("insert_event", [[db.time(r[c]) if c == "at" else r[c] for c in _EVENT_COLUMNS] for r in rows])
    last = rows[-1]
    _Driver(s).run("set_head", (last["seq"], last["hash"], key_id, signature, db.time(now), chain))


def add_checkpoint(s: Session, **values: Any) -> None:
    s.connection().execute(_ADD_CHECKPOINT, values)


def touch_patients(s: Session, *, org_id: str, member_id: str, patients: Sequence[str], now: datetime,
                   since: datetime, cap: int) -> int:
    """Note that the member touched these patients now; how many distinct patients it touched since `since`,
    counted up to `cap` (the threshold's business ends there: the count stops reading).

    The index keeps one row per member and patient, when last touched, and loses rows older than `since`
    as it goes, so it only ever holds one window.
    """
    db, touched = _Driver(s), sorted(set(patients))
    if not db.sqlite:
        [(count,)] = db.run("touch", {"org": org_id, "member": member_id, "since": since, "now": now,
                                      "patients": touched, "cap": cap})
        return int(count)
    window_start, at = db.time(since), db.time(now)
    db.run("forget_seen", (org_id, member_id, window_start))
    _Driver(s).run_many("note_seen", [(org_id, member_id, p, at) for p in touched])
    [(count,)] = _Driver(s).run("count_seen", (org_id, member_id, window_start, cap))
    return int(count)


def settings_of(s: Session, *, org_id: str) -> dict[str, Any] | None:
    """An organisation's stored audit settings (None: the defaults), read on every alertable seal."""
    rows = _Driver(s).run("settings", (org_id,))
    if not rows or rows[0][0] is None:
        return None
    doc = rows[0][0]
    return dict(json.loads(doc) if isinstance(doc, str | bytes) else doc)  # SQLite: JSON text


def recent_alert(s: Session, *, org_id: str, rule: str, dedupe_key: str, since: datetime) -> bool:
    s.flush()  # alerts raised earlier in this transaction count too
    db = _Driver(s)
    return bool(db.run("recent_alert", (org_id, rule, dedupe_key, db.time(since))))
