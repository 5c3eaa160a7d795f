"""The audit trail's write path: chain heads, event rows, checkpoints and the bulk-access index.

Every audited transaction runs these statements, so they are SQLAlchemy Core statements built once
(their compiled form is cached) and run on the session's connection: no ORM unit of work, no
statement built per call. On PostgreSQL the bulk-access index is kept and counted in one statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from caregate.store.audit import (
    AuditAlert,
    AuditChainHead,
    AuditCheckpoint,
    AuditEvent,
    AuditPatientAccess,
    AuditSettingsRow,
)

_HEADS = cast(Table, AuditChainHead.__table__)
_EVENTS = cast(Table, AuditEvent.__table__)
_ACCESS = cast(Table, AuditPatientAccess.__table__)


def _lock_head_statement(dialect: str) -> Any:
    """Create the head on first use; otherwise a no-op update takes its row lock and returns it."""
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = make(_HEADS).values(chain=bindparam("h_chain"), org_id=bindparam("h_org"), seq=0,
                               hash=bindparam("h_genesis"), archived_seq=0, archived_hash=bindparam("h_genesis"),
                               updated_at=bindparam("h_now", type_=_HEADS.c.updated_at.type))
    stmt = stmt.on_conflict_do_update(index_elements=["chain"], set_={"chain": stmt.excluded.chain})
    return stmt.returning(_HEADS.c.seq, _HEADS.c.hash)


_LOCK_HEAD = {name: _lock_head_statement(name) for name in ("postgresql", "sqlite")}
_INSERT_EVENTS = insert(_EVENTS)
_SET_HEAD = update(_HEADS).where(_HEADS.c.chain == bindparam("h_chain")).values(
    seq=bindparam("h_seq"), hash=bindparam("h_hash"), key_id=bindparam("h_key"), signature=bindparam("h_sig"),
    updated_at=bindparam("h_now", type_=_HEADS.c.updated_at.type))
_ADD_CHECKPOINT = insert(cast(Table, AuditCheckpoint.__table__))
_NOTE_ACCESS = insert(_ACCESS)
_FORGET_ACCESS = delete(_ACCESS).where(_ACCESS.c.org_id == bindparam("a_org"),
                                       _ACCESS.c.member_id == bindparam("a_member"),
                                       _ACCESS.c.at < bindparam("a_since", type_=_ACCESS.c.at.type))
_COUNT_ACCESS = select(func.count(_ACCESS.c.patient_id.distinct())).where(
    _ACCESS.c.org_id == bindparam("a_org"), _ACCESS.c.member_id == bindparam("a_member"),
    _ACCESS.c.at >= bindparam("a_since", type_=_ACCESS.c.at.type))
_SETTINGS = select(AuditSettingsRow.settings).where(AuditSettingsRow.org_id == bindparam("s_org"))
_ALERTS = cast(Table, AuditAlert.__table__)
_RECENT_ALERT = select(_ALERTS.c.id).where(
    _ALERTS.c.org_id == bindparam("r_org"), _ALERTS.c.rule == bindparam("r_rule"),
    _ALERTS.c.dedupe_key == bindparam("r_key"), _ALERTS.c.at >= bindparam("r_since", type_=_ALERTS.c.at.type)
).limit(1)
# PostgreSQL: prune, add and count in one round trip. The count runs on the snapshot taken before
# the statement's own insert, hence the union with what it inserted.
_PG_ACCESS = text("""
WITH gone AS (DELETE FROM audit_patient_access WHERE org_id = :org AND member_id = :member AND at < :since),
added AS (INSERT INTO audit_patient_access (org_id, member_id, patient_id, at)
          SELECT :org, :member, p, :now FROM unnest(CAST(:patients AS varchar[])) AS p RETURNING patient_id)
SELECT count(DISTINCT patient_id) FROM (
    SELECT patient_id FROM audit_patient_access WHERE org_id = :org AND member_id = :member AND at >= :since
    UNION ALL SELECT patient_id FROM added) AS touched""").bindparams(
    bindparam("since", type_=_ACCESS.c.at.type), bindparam("now", type_=_ACCESS.c.at.type))


def _conn(s: Session) -> Connection:
    return s.connection()


def lock_head(s: Session, *, chain: str, org_id: str | None, genesis: str, now: datetime) -> tuple[int, str]:
    """The chain's last (seq, hash), its row locked until commit; the head is created on first use."""
    conn = _conn(s)
    seq, head_hash = conn.execute(_LOCK_HEAD[conn.dialect.name], {
        "h_chain": chain, "h_org": org_id, "h_genesis": genesis, "h_now": now}).one()
    return int(seq), str(head_hash)


def append(s: Session, *, chain: str, rows: Sequence[dict[str, Any]], key_id: str, signature: str,
           now: datetime) -> None:
    """Insert the chained rows and move the chain's head to the last of them, signed."""
    conn = _conn(s)
    conn.execute(_INSERT_EVENTS, list(rows) if len(rows) > 1 else rows[0])
    last = rows[-1]
    conn.execute(_SET_HEAD, {"h_chain": chain, "h_seq": last["seq"], "h_hash": last["hash"], "h_key": key_id,
                             "h_sig": signature, "h_now": now})


def add_checkpoint(s: Session, **values: Any) -> None:
    _conn(s).execute(_ADD_CHECKPOINT, values)


def touch_patients(s: Session, *, org_id: str, member_id: str, patients: Sequence[str], now: datetime,
                   since: datetime) -> int:
    """Note that the member touched these patients now; how many distinct patients it touched since `since`.

    Rows older than `since` are removed as it goes: the index only ever holds one window.
    """
    conn = _conn(s)
    if conn.dialect.name == "postgresql":
        return int(conn.execute(_PG_ACCESS, {"org": org_id, "member": member_id, "since": since, "now": now,
                                             "patients": list(patients)}).scalar_one())
    keys = {"a_org": org_id, "a_member": member_id, "a_since": since}
    conn.execute(_FORGET_ACCESS, keys)
    conn.execute(_NOTE_ACCESS, [{"org_id": org_id, "member_id": member_id, "patient_id": p, "at": now}
                                for p in patients])
    return int(conn.execute(_COUNT_ACCESS, keys).scalar_one())


def settings_of(s: Session, *, org_id: str) -> dict[str, Any] | None:
    """An organisation's stored audit settings (None: the defaults), read on every alertable seal."""
    doc = _conn(s).execute(_SETTINGS, {"s_org": org_id}).scalar()
    return dict(doc) if doc is not None else None


def recent_alert(s: Session, *, org_id: str, rule: str, dedupe_key: str, since: datetime) -> bool:
    s.flush()  # alerts raised earlier in this transaction count too
    found = _conn(s).execute(_RECENT_ALERT, {"r_org": org_id, "r_rule": rule, "r_key": dedupe_key, "r_since": since})
    return found.first() is not None
