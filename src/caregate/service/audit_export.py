"""Exporting the audit trail (CSV, JSON Lines, FHIR AuditEvent): audit:export, a fresh sign-in, and audited.

An export through the API is bounded (MAX_EXPORT events; narrow the dates beyond that) and built in the
transaction that records it, so the event names exactly the range that left. The operator's export
(`caregate audit export`) has no such bound and streams; it is recorded too, as done from the CLI.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from caregate.audit import export as formats
from caregate.engine import Action, Feature
from caregate.service import audit_settings, resources
from caregate.service.actors import Actor
from caregate.service.audit import check_filter, filter_detail
from caregate.service.authz import authorize
from caregate.service.context import UnitOfWork
from caregate.service.errors import Invalid
from caregate.service.security import require_fresh
from caregate.store import audit_repo
from caregate.store.audit_repo import EventFilter

MAX_EXPORT = 100_000
BATCH = 2000


@dataclass(frozen=True, slots=True)
class ExportResult:
    content: str
    media_type: str
    filename: str
    count: int


def _events(uow: UnitOfWork, org_id: str, filters: EventFilter, bound: int | None) -> Iterator[tuple[str, str, int]]:
    """(body, hash, seq) of matching events, oldest first, read in keyset batches."""
    cursor, seen = None, 0
    while True:
        rows = audit_repo.search(uow.session, org_id=org_id, filters=filters, before_seq=cursor, limit=BATCH,
                                 ascending=True)
        for row in rows:
            seen += 1
            if bound is not None and seen > bound:
                raise Invalid(f"the export would hold more than {bound} events; choose a shorter period "
                              "(since/until), or ask an operator for `caregate audit export`")
            yield row.body, row.hash, row.seq
        if len(rows) < BATCH:
            return
        cursor = rows[-1].seq


def export(uow: UnitOfWork, actor: Actor, *, filters: EventFilter, fmt: str) -> ExportResult:
    if fmt not in formats.FORMATS:
        raise Invalid(f"format is one of {', '.join(formats.FORMATS)}")
    authorize(uow, actor, Action.EXPORT, resources.org_object(Feature.AUDIT, actor.org_id))
    require_fresh(uow, actor, minutes=audit_settings.load(uow, actor.org_id).export_reauth_minutes)
    check_filter(filters)
    seqs: list[int] = []

    def pairs() -> Iterator[tuple[str, str]]:
        for body, event_hash, seq in _events(uow, actor.org_id, filters, MAX_EXPORT):
            seqs.append(seq)
            yield body, event_hash

    content = "".join(formats.lines(fmt, pairs()))
    uow.record("audit.export", org_id=actor.org_id, actor=actor, object_type="audit",
               detail={"format": fmt, "count": len(seqs), "filter": filter_detail(filters),
                       "first_seq": seqs[0] if seqs else None, "last_seq": seqs[-1] if seqs else None})
    extension = {"csv": "csv", "jsonl": "jsonl", "fhir": "ndjson"}[fmt]
    return ExportResult(content, formats.FORMATS[fmt], f"audit-{actor.org_id}.{extension}", len(seqs))


def operator_export(uow: UnitOfWork, *, org_id: str, filters: EventFilter, fmt: str) -> Iterator[str]:
    """Stream an export for the operator (CLI); the export is recorded in the organisation's chain."""
    if fmt not in formats.FORMATS:
        raise Invalid(f"format is one of {', '.join(formats.FORMATS)}")
    check_filter(filters)
    count = 0

    def pairs() -> Iterator[tuple[str, str]]:
        nonlocal count
        for body, event_hash, _ in _events(uow, org_id, filters, None):
            count += 1
            yield body, event_hash

    yield from formats.lines(fmt, pairs())
    uow.record("audit.export", org_id=org_id, object_type="audit",
               detail={"format": fmt, "count": count, "filter": filter_detail(filters), "channel": "cli"})
