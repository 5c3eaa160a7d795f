"""Queries of the audit trail: chain heads, appends, verification reads, search, archives, alerts."""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

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
    CHAINED,
    MIRRORED,
    AuditAlert,
    AuditArchive,
    AuditChainHead,
    AuditCheckpoint,
    AuditEvent,
    AuditSettingsRow,
)
from caregate.store.tables import Membership


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


# PostgreSQL: each body parsed once (the LATERAL with OFFSET 0 is not inlined), then one key lookup per column.
_PG_CHECKED_FROM = "audit_events e CROSS JOIN LATERAL (SELECT e.body::jsonb AS j OFFSET 0) AS x"
_PG_DIFFERS = " OR ".join([*(f"x.j->>'{c}' IS DISTINCT FROM e.{c}" for c in MIRRORED),
                           "(x.j->>'seq')::bigint IS DISTINCT FROM e.seq",
                           "(x.j->>'at')::timestamptz IS DISTINCT FROM e.at"])
_AT_TEXT = type_coerce(AuditEvent.at, String)
# SQLite: each body parsed once (one json_extract of every path), compared as JSON text with the columns
# rendered by json_array. Equal texts mean equal values; different texts may be the same values written
# another way, so an event found is compared again field by field (`differences`).
_SQLITE_DIFFERS = func.json_array(
    *(getattr(AuditEvent, c) for c in MIRRORED), AuditEvent.seq,
    func.substr(_AT_TEXT, 1, 10) + "T" + func.substr(_AT_TEXT, 12) + "Z",
).is_distinct_from(func.json_extract(AuditEvent.body, *(f"$.{c}" for c in (*MIRRORED, "seq", "at"))))

# Verification reads, for each event, its hash and the exact bytes that hash covers: the previous hash,
# the body and (format 2) the columns as a JSON array, rendered by the database from the row itself
# (`chain.columns_text` renders the same array from the body when the event is written). The driver's
# own cursor streams them: SQLAlchemy's row processing would cost more than the hashing.
_PG_TIME = "to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
_PG_COLUMNS = ("array_to_json(ARRAY[" + ", ".join([*(f"e.{c}" for c in CHAINED[:-2]), "e.seq::text", _PG_TIME])
               + "]::text[])::text")
_SQLITE_COLUMNS = "json_array(" + ", ".join([*CHAINED[:-2], "CAST(seq AS TEXT)", "at"]) + ")"
_HASHED = {
    "postgresql": "SELECT e.seq, e.hash, convert_to(coalesce(e.prev_hash, '') || E'\\n' || coalesce(e.body, '') || "  # noqa: S608
                  f"E'\\n' || {_PG_COLUMNS}, 'UTF8') FROM audit_events e WHERE e.chain = %s AND e.seq > %s "
                  "ORDER BY e.seq",
    "sqlite": "SELECT seq, hash, CAST(coalesce(prev_hash, '') || char(10) || coalesce(body, '') || char(10) || "  # noqa: S608
              f"{_SQLITE_COLUMNS} AS BLOB) FROM audit_events WHERE chain = ? AND seq > ? ORDER BY seq",
}
HASHED_RANGE_PG = _HASHED["postgresql"].replace("AND e.seq > %s", "AND e.seq > %s AND e.seq <= %s")
_RAW = text("SELECT seq, hash, prev_hash, body, " + ", ".join(CHAINED[:-2]) + ", at FROM audit_events "  # noqa: S608
            "WHERE chain = :c AND seq > :a ORDER BY seq")
STREAM = 2_000  # rows per chunk the driver hands over


def _stream(s: Session, chain: str, after_seq: int) -> Generator[tuple[Any, Any, Any], None, None]:
    conn = s.connection()
    driver = conn.connection.dbapi_connection
    if conn.dialect.name == "postgresql":
        cursor = driver.cursor(binary=True)  # type: ignore[union-attr]
        # in index order: rows flow as they are read, while Python hashes, instead of after a sort
        cursor.execute("SET LOCAL enable_sort = off")
        try:
            yield from cursor.stream(_HASHED["postgresql"], (chain, after_seq), size=STREAM)
        finally:
            cursor.execute("SET LOCAL enable_sort TO DEFAULT")
            cursor.close()
    else:
        cursor = driver.execute(_HASHED["sqlite"], (chain, after_seq))  # type: ignore[union-attr]
        try:
            while batch := cursor.fetchmany(STREAM):
                yield from batch
        finally:
            cursor.close()


def _column_value(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"a column holds a {type(value).__name__}")


def _python_texts(s: Session, chain: str, after_seq: int) -> Generator[tuple[Any, Any, Any], None, None]:
    """The same bytes rendered in Python from the raw row: for a row the database could not render."""
    for row in s.execute(_RAW, {"c": chain, "a": after_seq}):
        seq, stated, prev, body, *values = row
        try:
            columns = json.dumps([*(_column_value(v) for v in values[:-1]), str(seq), _column_value(values[-1])],
                                 ensure_ascii=False, separators=(",", ":"))
        except TypeError:
            columns = "\x00"  # a value no event was written with: it cannot match the hash
        yield seq, stated, f"{prev or ''}\n{body or ''}\n{columns}".encode()


def hashed_texts(s: Session, *, chain: str, after_seq: int) -> Generator[tuple[Any, Any, Any], None, None]:
    """(seq, hash, the bytes the hash covers) for each event of the chain after `after_seq`, in order.

    A format 1 event's hash covers only the part before the last newline. Where the database cannot
    render a row (SQLite: a column turned into a BLOB), the rest is rendered in Python from the raw rows.
    """
    last = after_seq
    errors = s.get_bind().dialect.dbapi.Error  # type: ignore[union-attr]
    try:
        with s.begin_nested():  # a failed read is rolled back to here, and the walk goes on
            for row in _stream(s, chain, after_seq):
                yield row
                last = row[0]
            return
    except (DBAPIError, errors):
        pass
    yield from _python_texts(s, chain, last)


def first_seq(s: Session, *, chain: str) -> int | None:
    return s.scalar(select(func.min(AuditEvent.seq)).where(AuditEvent.chain == chain))


def event_id_at(s: Session, *, chain: str, seq: int) -> str:
    """The id of the event at this position (to name it in a problem)."""
    return str(s.scalar(select(AuditEvent.id).where(AuditEvent.chain == chain, AuditEvent.seq == seq)) or "")


def _fast_mismatch(s: Session, *, chain: str, after_seq: int, upto_seq: int | None) -> tuple[int, str] | None:
    params = {"chain": chain, "after": after_seq, "upto": upto_seq}
    if s.get_bind().dialect.name == "postgresql":
        upto = "AND e.seq <= :upto" if upto_seq is not None else ""
        row = s.execute(text(f"SELECT e.seq, e.id FROM {_PG_CHECKED_FROM} WHERE e.chain = :chain "  # noqa: S608
                             f"AND e.seq > :after {upto} AND ({_PG_DIFFERS}) ORDER BY e.seq LIMIT 1"), params).first()
    else:
        where = [AuditEvent.chain == chain, AuditEvent.seq > after_seq, _SQLITE_DIFFERS]
        if upto_seq is not None:
            where.append(AuditEvent.seq <= upto_seq)
        row = s.execute(select(AuditEvent.seq, AuditEvent.id).where(*where).order_by(AuditEvent.seq).limit(1)).first()
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


def _first_candidate(s: Session, chain: str, after_seq: int, upto_seq: int | None) -> tuple[int, str] | None:
    finders = [_fast_mismatch] if s.get_bind().dialect.name == "postgresql" else [_fast_mismatch,
                                                                                  _sqlite_first_mismatch]
    for find in finders:
        try:
            with s.begin_nested():
                return find(s, chain=chain, after_seq=after_seq, upto_seq=upto_seq)
        except DBAPIError:
            continue  # a value the database cannot read (a BLOB, a body that is not JSON)
    return _python_mismatch(s, chain=chain, after_seq=after_seq, upto_seq=upto_seq)


def _python_mismatch(s: Session, *, chain: str, after_seq: int, upto_seq: int | None) -> tuple[int, str] | None:
    """The slow, exact comparison, for a chain the database cannot compare (only ever a tampered one)."""
    where = [AuditEvent.chain == chain, AuditEvent.seq > after_seq]
    if upto_seq is not None:
        where.append(AuditEvent.seq <= upto_seq)
    for seq in s.scalars(select(AuditEvent.seq).where(*where).order_by(AuditEvent.seq)).all():
        found = differences(s, chain=chain, seq=seq)
        if found is not None and found.fields != ("body",):  # a body that is not JSON: its hash names it
            return found.seq, found.event_id
    return None


def differences(s: Session, *, chain: str, seq: int) -> Mismatch | None:
    """Which columns of the event at `seq` no longer say what its body says (None: they all do)."""
    row = s.scalars(select(AuditEvent).where(AuditEvent.chain == chain, AuditEvent.seq == seq)).first()
    if row is None:
        return None
    try:
        doc = json.loads(row.body)
    except ValueError:
        return Mismatch(seq, row.id, ("body",))
    at = row.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    differ = [c for c in (*MIRRORED, "seq") if doc.get(c) != getattr(row, c)]
    differ += ["at"] if doc.get("at") != at else []
    return Mismatch(seq, row.id, tuple(differ)) if differ else None


def first_mismatch(s: Session, *, chain: str, after_seq: int, upto_seq: int | None = None) -> Mismatch | None:
    """The first event whose columns no longer say what its body says (found by the database)."""
    while (found := _first_candidate(s, chain, after_seq, upto_seq)) is not None:
        mismatch = differences(s, chain=chain, seq=found[0])
        if mismatch is not None:
            return mismatch
        after_seq = found[0]  # the same values written another way (SQLite's JSON text): look further
    return None


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


def get_alert(s: Session, *, org_id: str, alert_id: str, lock: bool = False) -> AuditAlert | None:
    query = select(AuditAlert).where(AuditAlert.org_id == org_id, AuditAlert.id == alert_id)
    return s.scalars(query.with_for_update() if lock else query).first()


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
