"""Queries of the audit trail: chain heads, appends, verification reads, search, archives, alerts."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    delete,
    event,
    func,
    or_,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from caregate.store.audit import (
    AuditAlert,
    AuditArchive,
    AuditChainHead,
    AuditCheckpoint,
    AuditEvent,
    AuditSettingsRow,
)
from caregate.store.tables import Membership

# Columns that repeat a field of the body; verification checks each still says what the body says.
MIRRORED = ("id", "chain", "org_id", "actor_user_id", "actor_member_id", "on_behalf_of", "action", "object_type",
            "object_id", "patient_id", "outcome", "ip", "user_agent", "request_id", "purpose")


def before_every_commit(callback: Callable[[Session], None]) -> None:
    """Run `callback` just before any session commits (registered once, for every session)."""
    if not event.contains(Session, "before_commit", callback):
        event.listen(Session, "before_commit", callback)


def after_commit(session: Session, callback: Callable[[Session], None], *, key: str) -> None:
    """Run `callback` once this session has committed (once per session and key)."""
    flag = f"caregate_after_commit_{key}"
    if not session.info.get(flag):
        session.info[flag] = True
        event.listen(session, "after_commit", callback)


# --- appending ----------------------------------------------------------------------------------

def memberships_of_users(s: Session, *, user_ids: Iterable[str]) -> list[tuple[str, str, str]]:
    """(user_id, org_id, member_id) for every membership of these users."""
    ids = sorted(set(user_ids))
    if not ids:
        return []
    rows = s.execute(select(Membership.user_id, Membership.org_id, Membership.id)
                     .where(Membership.user_id.in_(ids)).order_by(Membership.org_id))
    return [(u, o, m) for u, o, m in rows]


# --- verification reads -------------------------------------------------------------------------

def head(s: Session, *, chain: str) -> AuditChainHead | None:
    return s.get(AuditChainHead, chain)


def heads(s: Session, *, org_id: str | None = None) -> list[AuditChainHead]:
    query = select(AuditChainHead).order_by(AuditChainHead.chain)
    if org_id is not None:
        query = query.where(AuditChainHead.chain == org_id)
    return list(s.scalars(query))


def links(s: Session, *, chain: str, after_seq: int, batch: int = 5000) -> Iterator[tuple[int, str, str, str, str]]:
    """(seq, id, prev_hash, hash, body) of the chain in order, read in batches by keyset."""
    cursor = after_seq
    while True:
        rows = s.execute(select(AuditEvent.seq, AuditEvent.id, AuditEvent.prev_hash, AuditEvent.hash,
                                AuditEvent.body)
                         .where(AuditEvent.chain == chain, AuditEvent.seq > cursor)
                         .order_by(AuditEvent.seq).limit(batch)).all()
        yield from ((int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4])) for r in rows)
        if len(rows) < batch:
            return
        cursor = rows[-1][0]


def _pg_first_mismatch(s: Session, *, chain: str, after_seq: int, upto_seq: int | None) -> tuple[int, str] | None:
    """PostgreSQL: parse each body once and compare all columns in one containment test."""
    columns = ", ".join(f"'{c}', {c}" for c in MIRRORED)
    upto = "AND seq <= :upto" if upto_seq is not None else ""
    row = s.execute(text(
        f"SELECT seq, id FROM audit_events WHERE chain = :chain AND seq > :after {upto} AND NOT "  # noqa: S608
        f"(body::jsonb @> jsonb_build_object({columns}, 'seq', seq, "
        """'at', to_char(timezone('UTC', at), 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))) ORDER BY seq LIMIT 1"""),
        {"chain": chain, "after": after_seq, "upto": upto_seq}).first()
    return (int(row[0]), str(row[1])) if row else None


def _sqlite_first_mismatch(s: Session, *, chain: str, after_seq: int, upto_seq: int | None) -> tuple[int, str] | None:
    body = AuditEvent.body
    checks = [func.json_extract(body, f"$.{c}").is_distinct_from(getattr(AuditEvent, c)) for c in MIRRORED]
    checks.append(func.json_extract(body, "$.seq").is_distinct_from(AuditEvent.seq))
    at_text = func.replace(func.replace(func.json_extract(body, "$.at"), "T", " "), "Z", "")
    checks.append(at_text.is_distinct_from(type_coerce(AuditEvent.at, String)))
    where = [AuditEvent.chain == chain, AuditEvent.seq > after_seq, or_(*checks)]
    if upto_seq is not None:
        where.append(AuditEvent.seq <= upto_seq)
    row = s.execute(select(AuditEvent.seq, AuditEvent.id).where(and_(*where)).order_by(AuditEvent.seq).limit(1)
                    ).first()
    return (int(row[0]), str(row[1])) if row else None


@dataclass(frozen=True, slots=True)
class Mismatch:
    seq: int
    event_id: str
    fields: tuple[str, ...]


def first_mismatch(s: Session, *, chain: str, after_seq: int, upto_seq: int | None = None) -> Mismatch | None:
    """The first event whose columns no longer say what its body says (found by the database)."""
    find = _pg_first_mismatch if s.get_bind().dialect.name == "postgresql" else _sqlite_first_mismatch
    try:
        with s.begin_nested():
            found = find(s, chain=chain, after_seq=after_seq, upto_seq=upto_seq)
    except DBAPIError:
        return None  # a body that is not JSON; the hash check names that event
    if found is None:
        return None
    row = s.get(AuditEvent, found[1])
    if row is None:
        return Mismatch(found[0], found[1], ())
    try:
        doc = json.loads(row.body)
    except ValueError:
        return Mismatch(found[0], found[1], ("body",))
    at = row.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    differ = [c for c in (*MIRRORED, "seq") if doc.get(c) != getattr(row, c)]
    differ += ["at"] if doc.get("at") != at else []
    return Mismatch(found[0], found[1], tuple(differ))


def checkpoints(s: Session, *, chain: str, after_seq: int) -> list[AuditCheckpoint]:
    return list(s.scalars(select(AuditCheckpoint).where(AuditCheckpoint.chain == chain,
                                                        AuditCheckpoint.seq > after_seq)
                          .order_by(AuditCheckpoint.seq)))


def latest_archive(s: Session, *, chain: str) -> AuditArchive | None:
    return s.scalars(select(AuditArchive).where(AuditArchive.chain == chain)
                     .order_by(AuditArchive.last_seq.desc()).limit(1)).first()


# --- search -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class EventFilter:
    member_id: str | None = None
    user_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    action: str | None = None
    patient_id: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    outcome: str | None = None


def _where(org_id: str, f: EventFilter) -> list[ColumnElement[bool]]:
    where = [AuditEvent.org_id == org_id, AuditEvent.chain == org_id]
    if f.member_id:
        where.append(AuditEvent.actor_member_id == f.member_id)
    if f.user_id:
        where.append(AuditEvent.actor_user_id == f.user_id)
    if f.since:
        where.append(AuditEvent.at >= f.since)
    if f.until:
        where.append(AuditEvent.at < f.until)
    if f.action:
        prefix = f.action.removesuffix("*")
        where.append(AuditEvent.action.startswith(prefix, autoescape=True) if f.action.endswith(("*", "."))
                     else AuditEvent.action == f.action)
    for column, value in ((AuditEvent.patient_id, f.patient_id), (AuditEvent.object_type, f.object_type),
                          (AuditEvent.object_id, f.object_id), (AuditEvent.outcome, f.outcome)):
        if value:
            where.append(column == value)
    return where


def search(s: Session, *, org_id: str, filters: EventFilter, before_seq: int | None, limit: int,
           ascending: bool = False) -> list[AuditEvent]:
    where = _where(org_id, filters)
    if before_seq is not None:
        where.append(AuditEvent.seq > before_seq if ascending else AuditEvent.seq < before_seq)
    order = AuditEvent.seq.asc() if ascending else AuditEvent.seq.desc()
    return list(s.scalars(select(AuditEvent).where(*where).order_by(order).limit(limit)))


def count(s: Session, *, org_id: str, filters: EventFilter) -> int:
    return int(s.scalar(select(func.count()).select_from(AuditEvent).where(*_where(org_id, filters))) or 0)


def count_actions(s: Session, *, org_id: str, actions: Sequence[str], since: datetime,
                  user_id: str | None = None) -> int:
    query = select(func.count()).select_from(AuditEvent).where(
        AuditEvent.org_id == org_id, AuditEvent.at >= since, AuditEvent.action.in_(actions))
    if user_id is not None:
        query = query.where(AuditEvent.actor_user_id == user_id)
    return int(s.scalar(query) or 0)


# --- archives -----------------------------------------------------------------------------------

def archivable(s: Session, *, chain: str, after_seq: int, cutoff: datetime, limit: int
               ) -> list[tuple[int, str, str, str, datetime]]:
    """(seq, hash, prev_hash, body, at) from the start of the chain while events are older than cutoff."""
    rows = s.execute(select(AuditEvent.seq, AuditEvent.hash, AuditEvent.prev_hash, AuditEvent.body, AuditEvent.at)
                     .where(AuditEvent.chain == chain, AuditEvent.seq > after_seq)
                     .order_by(AuditEvent.seq).limit(limit)).all()
    kept = []
    for row in rows:
        if row[4] >= cutoff:
            break
        kept.append((int(row[0]), str(row[1]), str(row[2]), str(row[3]), row[4]))
    return kept


def remove_archived(s: Session, *, chain: str, upto_seq: int, archived_hash: str) -> int:
    """Delete the archived events (the caller has opened the guard) and move the chain's start."""
    result = s.execute(delete(AuditEvent).where(AuditEvent.chain == chain, AuditEvent.seq <= upto_seq))
    s.execute(update(AuditChainHead).where(AuditChainHead.chain == chain)
              .values(archived_seq=upto_seq, archived_hash=archived_hash))
    return int(getattr(result, "rowcount", 0) or 0)


def add_archive(s: Session, row: AuditArchive) -> None:
    s.add(row)
    s.flush()


# --- alerts and settings ------------------------------------------------------------------------

def add_alert(s: Session, row: AuditAlert) -> None:
    s.add(row)


def alerts(s: Session, *, org_id: str, before_id: str | None, limit: int) -> list[AuditAlert]:
    query = select(AuditAlert).where(AuditAlert.org_id == org_id)
    if before_id:
        query = query.where(AuditAlert.id < before_id)
    return list(s.scalars(query.order_by(AuditAlert.id.desc()).limit(limit)))


def alerts_by_id(s: Session, *, alert_ids: Sequence[str]) -> list[AuditAlert]:
    return list(s.scalars(select(AuditAlert).where(AuditAlert.id.in_(alert_ids)))) if alert_ids else []


def pending_webhooks(s: Session, *, limit: int, max_attempts: int) -> list[AuditAlert]:
    return list(s.scalars(select(AuditAlert).where(AuditAlert.webhook_state == "pending",
                                                   AuditAlert.webhook_attempts < max_attempts)
                          .order_by(AuditAlert.id).limit(limit).with_for_update(skip_locked=True)))


def get_settings_row(s: Session, *, org_id: str, lock: bool = False) -> AuditSettingsRow | None:
    query = select(AuditSettingsRow).where(AuditSettingsRow.org_id == org_id)
    return s.scalars(query.with_for_update() if lock else query).first()


def add_settings_row(s: Session, row: AuditSettingsRow) -> None:
    s.add(row)
    s.flush()


def org_ids_with_settings(s: Session) -> list[str]:
    return list(s.scalars(select(AuditSettingsRow.org_id)))
