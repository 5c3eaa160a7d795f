"""Appending audit events: queued in the caller's transaction, chained and signed just before it commits.

`append` only queues; `seal` gives the queued events their place in their organisation's chain. Sealing
happens at the end of the transaction, so the chain head's row lock (PostgreSQL) is held only from the
seal to the commit, a few milliseconds, instead of for the whole request; the chain order is then the
commit order. An event that belongs to no organisation (a login, a failed login) goes to the "system"
chain and, when it names a user, a copy goes to the chain of every organisation the user belongs to, so
each organisation sees (and is alerted on) its own members' sign-ins.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from caregate.audit import chain
from caregate.audit.keys import Keyring
from caregate.store import audit_repo, audit_write
from caregate.store.audit import MIRRORED, SYSTEM_CHAIN
from caregate.store.ids import new_id

PENDING = "caregate_audit_pending"
CHECKPOINT_EVERY = 1000
# Column sizes: longer values are cut, in the body and the columns alike, rather than fail the change.
LIMITS = {"action": 60, "object_type": 40, "object_id": 80, "on_behalf_of": 80, "purpose": 40, "ip": 45,
          "user_agent": 300, "request_id": 64, "outcome": 10, "actor_user_id": 40, "actor_member_id": 40,
          "patient_id": 40}


@dataclass(frozen=True, slots=True)
class Record:
    """One thing that happened: who, on whose behalf, did what to which object, with what outcome and why."""

    action: str
    at: datetime
    org_id: str | None
    outcome: str = "allowed"
    actor_user_id: str | None = None
    actor_member_id: str | None = None
    on_behalf_of: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    patient_id: str | None = None
    reasons: tuple[dict[str, str], ...] = ()
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    purpose: str | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """A queued record with its id and the chain it goes to."""

    id: str
    chain: str
    record: Record


Observer = Callable[[Any, Sequence[Entry]], None]


def patients_named(action: str, patient_id: str | None, detail: dict[str, Any] | None) -> list[str]:
    """The patients an event touched: its patient, `detail.patient_ids`, and what a patient list returned."""
    found = {patient_id} if patient_id else set()
    detail = detail or {}
    found.update(str(p) for p in detail.get("patient_ids") or [] if p)
    if action.startswith("patients.") and isinstance(detail.get("returned"), list):
        found.update(str(p) for p in detail["returned"] if p)
    return sorted(found)


def append(session: Any, record: Record) -> str:
    """Queue an event in this transaction; it is chained when the transaction is sealed."""
    entry = Entry(new_id("evt"), record.org_id or SYSTEM_CHAIN, record)
    session.info.setdefault(PENDING, []).append(entry)
    return entry.id


def pending(session: Any) -> list[Entry]:
    return list(session.info.get(PENDING, []))


def _unsealed(session: Any) -> None:
    if session.info.get(PENDING):
        raise RuntimeError("audit events were appended but not sealed; write them through Services.unit(), "
                           "which seals them before committing")


audit_repo.before_every_commit(_unsealed)  # a session committed with events still queued raises


def body_of(entry: Entry, seq: int) -> dict[str, Any]:
    r = entry.record
    values: dict[str, Any] = {
        "v": chain.EVENT_FORMAT, "id": entry.id, "chain": entry.chain, "seq": seq, "org_id": r.org_id,
        "at": chain.timestamp(r.at), "action": r.action, "outcome": r.outcome, "actor_user_id": r.actor_user_id,
        "actor_member_id": r.actor_member_id, "on_behalf_of": r.on_behalf_of, "object_type": r.object_type,
        "object_id": None if r.object_id is None else str(r.object_id), "patient_id": r.patient_id,
        "reasons": list(r.reasons), "before": r.before, "after": r.after, "detail": r.detail or {}, "ip": r.ip,
        "user_agent": r.user_agent, "request_id": r.request_id, "purpose": r.purpose}
    for name, size in LIMITS.items():
        if isinstance(values[name], str):
            values[name] = values[name][:size]
            if not values[name].isprintable():  # (a fast test: most values are)
                values[name] = chain.clean(values[name])
    return values


def _row(entry: Entry, seq: int, prev_hash: str) -> dict[str, Any]:
    values = body_of(entry, seq)
    body = chain.canonical(values)
    row = {k: values[k] for k in MIRRORED}
    row.update(seq=seq, at=entry.record.at, prev_hash=prev_hash, body=body,
               hash=chain.link_columns(prev_hash, body, chain.columns_text(values)))
    return row


def fan_out(session: Any, entries: Sequence[Entry]) -> list[Entry]:
    """Add, for each user-level event, a copy in each organisation of its user."""
    users = {e.record.actor_user_id for e in entries if e.chain == SYSTEM_CHAIN and e.record.actor_user_id}
    if not users:
        return list(entries)
    by_user: dict[str, list[tuple[str, str]]] = {}
    for user_id, org_id, member_id in audit_repo.memberships_of_users(session, user_ids=users):
        by_user.setdefault(user_id, []).append((org_id, member_id))
    out = list(entries)
    for e in entries:
        if e.chain != SYSTEM_CHAIN or not e.record.actor_user_id:
            continue
        for org_id, member_id in by_user.get(e.record.actor_user_id, []):
            copy = replace(e.record, org_id=org_id, actor_member_id=member_id,
                           detail={**(e.record.detail or {}), "system_event": e.id})
            out.append(Entry(new_id("evt"), org_id, copy))
    return out


def seal(session: Any, keyring: Keyring, *, now: datetime, observer: Observer | None = None,
         checkpoint_every: int = CHECKPOINT_EVERY) -> list[Entry]:
    """Chain, sign and insert what this transaction appended; call last, just before commit."""
    queued = session.info.pop(PENDING, [])
    if not queued:
        return []
    session.flush()  # the rules and the chain's Core statements see what this transaction changed
    entries = fan_out(session, queued)
    if observer is not None:
        observer(session, entries)  # alerts read the database: do it before taking any head lock
    by_chain: dict[str, list[Entry]] = {}
    for e in entries:
        by_chain.setdefault(e.chain, []).append(e)
    for name in sorted(by_chain):  # one lock order for every writer: no deadlock between chains
        _seal_chain(session, keyring, name, by_chain[name], now, checkpoint_every)
    return entries


def _seal_chain(session: Any, keyring: Keyring, name: str, entries: list[Entry], now: datetime,
                checkpoint_every: int) -> None:
    org_id = None if name == SYSTEM_CHAIN else name
    seq, prev = audit_write.lock_head(session, chain=name, org_id=org_id, genesis=chain.genesis(name), now=now)
    first = seq + 1
    rows = []
    for entry in entries:
        seq += 1
        row = _row(entry, seq, prev)
        prev = row["hash"]
        rows.append(row)
    signature = keyring.sign(chain.head_message(name, seq, prev))
    audit_write.append(session, chain=name, rows=rows, key_id=keyring.key_id, signature=signature, now=now)
    if (first - 1) // checkpoint_every != seq // checkpoint_every:
        audit_write.add_checkpoint(session, id=new_id("ckp"), chain=name, seq=seq, hash=prev,
                                   key_id=keyring.key_id, signature=signature, created_at=now)
