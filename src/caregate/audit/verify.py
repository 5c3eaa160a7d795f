"""Verifying chains: every link, every signed checkpoint, the signed head, and the searchable columns.

The walk recomputes each event's hash from its predecessor and its body and stops at the first break,
naming the event and what kind of break it is. Rebuilding the chain without the key keeps the links
consistent but cannot reproduce the signatures: the head's signature fails and the first signed
checkpoint that no longer matches says how far back the rewrite reaches. Since format 2 an event's
hash covers its searchable columns too, rendered by the database from the row, so an edited column
breaks the walk like an edited body; format 1 events have their columns compared with their bodies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from caregate.audit import archive, chain
from caregate.audit.keys import Keyring
from caregate.store import audit_repo, audit_snapshot
from caregate.store.audit import SYSTEM_CHAIN, AuditChainHead


@dataclass(frozen=True, slots=True)
class Problem:
    kind: str  # edited, missing, broken-link, reordered, truncated, inserted, rebuilt, unsigned, archive
    message: str
    seq: int | None = None
    event_id: str | None = None


@dataclass(frozen=True, slots=True)
class ChainReport:
    chain: str
    org_id: str | None
    events: int
    first_seq: int | None
    last_seq: int | None
    head_seq: int
    archived_seq: int
    problem: Problem | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None


def verify_all(session: Any, keyring: Keyring, *, org_id: str | None = None) -> list[ChainReport]:
    with audit_snapshot.snapshot(session) as view:
        return [_verify_head(view, keyring, h) for h in audit_repo.heads(view.session, org_id=org_id)]


def verify_chain(session: Any, keyring: Keyring, chain_name: str) -> ChainReport:
    with audit_snapshot.snapshot(session) as view:
        head = audit_repo.head(view.session, chain=chain_name)
        if head is None:
            first = audit_repo.first_seq(view.session, chain=chain_name)
            problem = None if first is None else Problem(
                "unsigned", "events exist but the chain has no head: the head was deleted", first,
                audit_repo.event_id_at(view.session, chain=chain_name, seq=first))
            return ChainReport(chain_name, None, 0, None, None, 0, 0, problem)
        return _verify_head(view, keyring, head)


def _start(session: Any, keyring: Keyring, head: AuditChainHead) -> tuple[int, str, Problem | None]:
    """Where the chain in the database begins: its genesis, or the signed end of its last archive."""
    genesis = chain.genesis(head.chain)
    if not head.archived_seq:
        return 0, genesis, None
    row = audit_repo.latest_archive(session, chain=head.chain)
    start_hash = head.archived_hash or genesis
    if row is None:
        return head.archived_seq, start_hash, Problem(
            "archive", f"the chain starts after event {head.archived_seq}, but no archive of those events is recorded")
    doc = archive.manifest(chain_name=row.chain, org_id=row.org_id, first_seq=row.first_seq, last_seq=row.last_seq,
                           count=row.count, start_hash=row.start_hash, last_hash=row.last_hash,
                           file_name=row.path.rsplit("/", 1)[-1], file_sha256=row.file_sha256,
                           created_at=row.created_at)
    doc.update(key_id=row.key_id, signature=row.signature)
    if not archive.signature_ok(doc, keyring) or (row.last_seq, row.last_hash) != (head.archived_seq, start_hash):
        return head.archived_seq, start_hash, Problem(
            "archive", f"the archive record ending at event {row.last_seq} is not signed by a trusted key or does "
            "not match where the chain resumes: archived events were removed outside the retention procedure")
    return head.archived_seq, start_hash, None


@dataclass(slots=True)
class _Walk:
    """How far the walk got: the last good position and hash, the first problem, and the format 1 events."""

    seq: int
    hash: str
    problem: Problem | None = None
    legacy_upto: int | None = None  # the last format 1 event walked (its columns are compared separately)


@dataclass(frozen=True, slots=True)
class _Found:
    """A problem met during the walk, named once the stream is closed ({event} is "N (evt_...)")."""

    kind: str
    seq: int
    message: str
    at_seq: int  # the event the message names


@dataclass(slots=True)
class _Pass:
    """Where a pass over a run of events stands: the position it expects next, the hash it links to, and
    what it met (a problem, format 1 events, and for a later part of a chain its unchecked first event)."""

    expected: int
    prev: str
    found: _Found | None = None
    legacy_upto: int | None = None
    first: tuple[Any, Any, bytes] | None = None


_FORMAT_1 = '"v":1}'
PARALLEL_FROM = 20_000  # events: a chain this long is read in two parts at once, where the database allows


def _scan(keyring: Keyring, name: str, checkpoints: dict[int, Any], rows: Generator[tuple[Any, Any, bytes]],
          state: _Pass, *, joined_later: bool = False) -> _Pass:
    """Rehash every event in order from the exact bytes its hash covers, as the database streams them.

    `joined_later`: these events continue a part read elsewhere; their first event is kept in
    `state.first` and checked against the end of that part when the two are joined."""
    sha256, expected, prev = hashlib.sha256, state.expected, state.prev
    try:
        if joined_later and (row := next(rows, None)) is not None:
            state.first, prev, expected = row, row[1], row[0] + 1
        lead = f"{prev}\n".encode()
        for seq, stated, data in rows:
            # the hot loop: one comparison chain per event; anything unusual is looked at more closely
            if (seq != expected or seq in checkpoints or not data.startswith(lead)
                    or sha256(data).hexdigest() != stated):
                state.found = _look_closer(keyring, name, checkpoints, state, expected, prev, (seq, stated, data))
                if state.found is not None:
                    break
            prev, expected, lead = stated, seq + 1, f"{stated}\n".encode()
    finally:
        rows.close()  # before any other query on this connection
    state.expected, state.prev = expected, prev
    return state


def _walk(view: audit_snapshot.Snapshot, keyring: Keyring, name: str, start_seq: int, start_hash: str,
          checkpoints: dict[int, Any], head_seq: int) -> _Walk:
    state = None
    if view.shared and head_seq - start_seq >= PARALLEL_FROM:
        try:
            state = _in_two_parts(view, keyring, name, start_seq, start_hash, checkpoints, head_seq)
        except audit_snapshot.StreamFailed:
            state = None  # a row the database cannot render: the single walk below reads it another way
    if state is None:
        rows = audit_repo.hashed_texts(view.session, chain=name, after_seq=start_seq)
        state = _scan(keyring, name, checkpoints, rows, _Pass(start_seq + 1, start_hash))
    walk = _Walk(state.expected - 1, state.prev, legacy_upto=state.legacy_upto)
    if state.found is not None:
        walk.problem = _named(view.session, name, state.found)
    return walk


def _in_two_parts(view: audit_snapshot.Snapshot, keyring: Keyring, name: str, start_seq: int, start_hash: str,
                  checkpoints: dict[int, Any], head_seq: int) -> _Pass:
    """Walk the two halves of a long chain at once, on two connections that see the same snapshot (each
    link can be checked on its own), then join them: the second half's first event must follow the first
    half's last. The first problem in chain order is the one reported, as a single walk would."""
    middle = start_seq + (head_seq - start_seq) // 2

    def part(after: int, upto: int | None, state: _Pass, joined_later: bool) -> _Pass:
        rows = view.stream(chain=name, after_seq=after, upto_seq=upto)
        return _scan(keyring, name, checkpoints, rows, state, joined_later=joined_later)

    with ThreadPoolExecutor(2, thread_name_prefix="caregate-verify") as pool:
        first_half = pool.submit(part, start_seq, middle, _Pass(start_seq + 1, start_hash), False)
        second_half = pool.submit(part, middle, None, _Pass(middle + 1, ""), True)
        one, two = first_half.result(), second_half.result()
    if one.found is not None or two.first is None:
        return one
    one.found = _look_closer(keyring, name, checkpoints, one, one.expected, one.prev, two.first)
    if one.found is not None:
        return one
    two.legacy_upto = max((s for s in (one.legacy_upto, two.legacy_upto) if s is not None), default=None)
    return two


def _look_closer(keyring: Keyring, name: str, checkpoints: dict[int, Any], walk: _Pass, expected: int, prev: str,
                 row: tuple[Any, Any, bytes]) -> _Found | None:
    """What is wrong with an event the hot loop stopped at, if anything (it may carry a checkpoint, or
    be a format 1 event). Pure Python: the walk's stream is still open."""
    seq, stated, data = row
    if not isinstance(seq, int) or seq < expected:
        return _Found("reordered", expected, f"the event after event {expected - 1} is out of place: events were "
                      "moved", expected)
    if seq > expected:
        return _Found("missing", expected, f"events {expected} to {seq - 1} are missing before event {{event}}: "
                      "they were deleted", seq)
    stored_prev, _, rest = data.decode("utf-8", "replace").partition("\n")
    body = rest.rpartition("\n")[0]
    legacy = body.endswith(_FORMAT_1) and chain.link(stored_prev, body) == stated
    if not legacy and hashlib.sha256(data).hexdigest() != stated:
        return _Found("edited", seq, "event {event} was changed: its content no longer matches its hash", seq)
    if stored_prev != prev:
        return _Found("broken-link", seq, f"event {{event}} does not follow event {seq - 1}: an event was inserted, "
                      "moved or rewritten before it", seq)
    if legacy:
        walk.legacy_upto = seq
    checkpoint = checkpoints.get(seq)
    if checkpoint is not None and not _checkpoint_ok(keyring, name, checkpoint, stated):
        return _Found("rebuilt", seq, f"the signed checkpoint at event {{event}} no longer matches: the chain up to "
                      f"event {seq} was rewritten and rehashed", seq)
    return None


def _named(session: Any, name: str, found: _Found) -> Problem:
    event_id = audit_repo.event_id_at(session, chain=name, seq=found.at_seq)
    message = found.message.replace("{event}", f"{found.at_seq} ({event_id})")
    kind = found.kind
    if kind == "edited":
        mismatch = audit_repo.differences(session, chain=name, seq=found.seq)
        if mismatch is not None and mismatch.fields != ("body",):
            message += f" ({', '.join(mismatch.fields)} no longer match what was recorded)"
            if "seq" in mismatch.fields:
                kind, message = "reordered", message + ": events were moved"
    return Problem(kind, message, found.seq, event_id)


def _verify_head(view: audit_snapshot.Snapshot, keyring: Keyring, head: AuditChainHead) -> ChainReport:
    session = view.session
    start_seq, prev, problem = _start(session, keyring, head)
    checkpoints = {c.seq: c for c in audit_repo.checkpoints(session, chain=head.chain, after_seq=start_seq)}
    walk = _Walk(start_seq, prev, problem)
    if problem is None:
        walk = _walk(view, keyring, head.chain, start_seq, prev, checkpoints, head.seq)
    problem, last_seq, count = walk.problem, walk.seq, walk.seq - start_seq
    if problem is None:
        problem = _head_problem(keyring, head, last_seq, walk.hash, checkpoints)
    if walk.legacy_upto is not None:  # format 1 events: their hash does not cover the columns
        upto = min(walk.legacy_upto, problem.seq) if problem and problem.seq else walk.legacy_upto
        mismatch = audit_repo.first_mismatch(session, chain=head.chain, after_seq=start_seq, upto_seq=upto)
        if mismatch is not None and (problem is None or problem.seq is None or mismatch.seq <= problem.seq):
            kind = "reordered" if "seq" in mismatch.fields else "edited"
            problem = Problem(kind, f"event {mismatch.seq} ({mismatch.event_id}): {', '.join(mismatch.fields)} no "
                              "longer match the recorded event" + (" (events were moved)" if kind == "reordered"
                                                                    else ""), mismatch.seq, mismatch.event_id)
    org_id = None if head.chain == SYSTEM_CHAIN else head.chain
    return ChainReport(head.chain, org_id, count, start_seq + 1 if count else None, last_seq if count else None,
                       head.seq, head.archived_seq, problem)


def _checkpoint_ok(keyring: Keyring, name: str, checkpoint: Any, stated: str) -> bool:
    signed = keyring.verify(checkpoint.key_id, chain.head_message(name, checkpoint.seq, checkpoint.hash),
                            checkpoint.signature)
    return bool(signed) and checkpoint.hash == stated


def _head_problem(keyring: Keyring, head: AuditChainHead, last_seq: int, last_hash: str,
                  checkpoints: dict[int, Any]) -> Problem | None:
    beyond = [s for s in checkpoints if s > last_seq]
    if last_seq < head.seq or beyond:
        end = max([head.seq, *beyond])
        return Problem("truncated", f"events {last_seq + 1} to {end} are missing at the end: the chain was "
                       "truncated", last_seq + 1)
    if last_seq > head.seq:
        return Problem("inserted", f"events {head.seq + 1} to {last_seq} come after the signed head (event "
                       f"{head.seq}): they were added outside caregate", head.seq + 1)
    if head.signature is None:
        return Problem("unsigned", f"the head (event {head.seq}) has not been signed yet: it is signed when the "
                       "next event is written", head.seq)
    signed = keyring.verify(head.key_id, chain.head_message(head.chain, head.seq, head.hash), head.signature)
    if not signed or head.hash != last_hash:
        latest = max((s for s in checkpoints if s <= last_seq), default=None)
        since = f"after the last good checkpoint (event {latest})" if latest else "anywhere in the chain"
        return Problem("rebuilt", f"the head (event {head.seq}) is not signed by a trusted key for this chain's "
                       f"content: the chain was rebuilt {since}", head.seq)
    return None
