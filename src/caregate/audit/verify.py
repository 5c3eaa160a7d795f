"""Verifying chains: every link, every signed checkpoint, the signed head, and the searchable columns.

The walk recomputes each event's hash from its predecessor and its body and stops at the first break,
naming the event and what kind of break it is. Rebuilding the chain without the key keeps the links
consistent but cannot reproduce the signatures: the head's signature fails and the first signed
checkpoint that no longer matches says how far back the rewrite reaches. The database then checks, in
one query, that the columns search uses still say what each event's body says.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from caregate.audit import archive, chain
from caregate.audit.keys import Keyring
from caregate.store import audit_repo
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
    return [verify_head(session, keyring, h) for h in audit_repo.heads(session, org_id=org_id)]


def verify_chain(session: Any, keyring: Keyring, chain_name: str) -> ChainReport:
    head = audit_repo.head(session, chain=chain_name)
    if head is None:
        first = audit_repo.first_seq(session, chain=chain_name)
        problem = None if first is None else Problem(
            "unsigned", "events exist but the chain has no head: the head was deleted", first,
            audit_repo.event_id_at(session, chain=chain_name, seq=first))
        return ChainReport(chain_name, None, 0, None, None, 0, 0, problem)
    return verify_head(session, keyring, head)


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
    """How far the walk got: the last good position and hash, and the first problems it met."""

    seq: int
    hash: str
    problem: Problem | None = None
    mismatch: audit_repo.Mismatch | None = None
    unchecked: bool = False  # some columns could not be compared by the database


def _walk(session: Any, keyring: Keyring, name: str, start_seq: int, start_hash: str,
          checkpoints: dict[int, Any]) -> _Walk:
    """Rehash every event in order; the database says, in the same read, whether its columns match its body."""
    walk, sha256 = _Walk(start_seq, start_hash), hashlib.sha256
    expected, prev = start_seq + 1, start_hash
    for seq, stored_prev, stated, body, differs in audit_repo.checked_links(session, chain=name, after_seq=start_seq):
        # the hot loop: one comparison chain per event; anything unusual goes the slow way
        if (differs is not False or seq != expected or stored_prev != prev or seq in checkpoints
                or sha256(f"{stored_prev}\n{body}".encode()).hexdigest() != stated):
            walk.seq, walk.hash = expected - 1, prev
            if _unusual(session, keyring, name, checkpoints, walk, (seq, stored_prev, stated, body, differs)):
                return walk
        prev, expected = stated, seq + 1
    walk.seq, walk.hash = expected - 1, prev
    return walk


def _unusual(session: Any, keyring: Keyring, name: str, checkpoints: dict[int, Any], walk: _Walk,
             row: tuple[int, str, str, str, bool | None]) -> bool:
    """Look closely at an event the hot loop stopped at; True when the walk must stop there."""
    seq, stored_prev, stated, body, differs = row
    walk.unchecked = walk.unchecked or differs is None
    if differs and walk.mismatch is None and seq == walk.seq + 1:
        walk.mismatch = audit_repo.differences(session, chain=name, seq=seq)
    walk.problem = _event_problem(session, keyring, name, checkpoints, seq, walk.seq + 1, walk.hash, stored_prev,
                                  stated, body)
    return walk.problem is not None


def verify_head(session: Any, keyring: Keyring, head: AuditChainHead) -> ChainReport:
    start_seq, prev, problem = _start(session, keyring, head)
    checkpoints = {c.seq: c for c in audit_repo.checkpoints(session, chain=head.chain, after_seq=start_seq)}
    walk, walked = _Walk(start_seq, prev, problem), problem is None
    if walked:
        walk = _walk(session, keyring, head.chain, start_seq, prev, checkpoints)
    problem, last_seq, count = walk.problem, walk.seq, walk.seq - start_seq
    if problem is None:
        problem = _head_problem(keyring, head, last_seq, walk.hash, checkpoints)
    mismatch = walk.mismatch
    if walk.unchecked or not walked:  # else the walk compared every event's columns it reached
        mismatch = audit_repo.first_mismatch(session, chain=head.chain, after_seq=start_seq,
                                             upto_seq=problem.seq if problem and problem.seq else None)
    if mismatch is not None and (problem is None or problem.seq is None or mismatch.seq <= problem.seq):
        kind = "reordered" if "seq" in mismatch.fields else "edited"
        problem = Problem(kind, f"event {mismatch.seq} ({mismatch.event_id}): {', '.join(mismatch.fields)} no longer "
                          "match the recorded event" + (" (events were moved)" if kind == "reordered" else ""),
                          mismatch.seq, mismatch.event_id)
    org_id = None if head.chain == SYSTEM_CHAIN else head.chain
    return ChainReport(head.chain, org_id, count, start_seq + 1 if count else None, last_seq if count else None,
                       head.seq, head.archived_seq, problem)


def _event_problem(session: Any, keyring: Keyring, name: str, checkpoints: dict[int, Any], seq: int,
                   expected: int, prev: str, stored_prev: str, stated: str, body: str) -> Problem | None:
    """What is wrong with this event, if anything (it may just carry a checkpoint)."""
    event_id = audit_repo.event_id_at(session, chain=name, seq=seq)
    problem = _link_problem(seq, event_id, expected, prev, stored_prev, stated, body)
    if problem is None and seq in checkpoints:
        problem = _checkpoint_problem(keyring, name, checkpoints[seq], stated, event_id)
    return problem


def _link_problem(seq: int, event_id: str, expected: int, prev: str, stored_prev: str, stated: str,
                  body: str) -> Problem | None:
    if seq != expected:
        return Problem("missing", f"events {expected} to {seq - 1} are missing before event {seq} ({event_id}): "
                       "they were deleted", expected, event_id)
    if chain.link(stored_prev, body) != stated:
        return Problem("edited", f"event {seq} ({event_id}) was changed: its content no longer matches its hash",
                       seq, event_id)
    if stored_prev != prev:
        return Problem("broken-link", f"event {seq} ({event_id}) does not follow event {seq - 1}: an event was "
                       "inserted, moved or rewritten before it", seq, event_id)
    return None


def _checkpoint_problem(keyring: Keyring, name: str, checkpoint: Any, stated: str, event_id: str) -> Problem | None:
    signed = keyring.verify(checkpoint.key_id, chain.head_message(name, checkpoint.seq, checkpoint.hash),
                            checkpoint.signature)
    if not signed or checkpoint.hash != stated:
        return Problem("rebuilt", f"the signed checkpoint at event {checkpoint.seq} ({event_id}) no longer matches: "
                       f"the chain up to event {checkpoint.seq} was rewritten and rehashed", checkpoint.seq, event_id)
    return None


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
