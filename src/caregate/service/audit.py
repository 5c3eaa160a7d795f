"""Reading the audit trail: search (keyset pages), verification and alerts, for members with audit:read.

Reading the trail is itself recorded: a search writes one event naming the events it returned.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from pydantic import Field

from caregate.audit import verify as verifying
from caregate.engine import Action, Feature
from caregate.service import resources
from caregate.service.actors import Actor
from caregate.service.authz import authorize
from caregate.service.context import UnitOfWork
from caregate.service.errors import Conflict, Invalid, NotFound
from caregate.service.views import Page, View
from caregate.store import audit_repo
from caregate.store.audit import AuditAlert, AuditEvent
from caregate.store.audit_repo import EventFilter

MAX_PAGE = 200
OUTCOMES = ("allowed", "denied")


class AuditEventView(View):
    id: str
    seq: int
    at: datetime
    action: str
    outcome: str
    actor_user_id: str | None
    actor_member_id: str | None
    on_behalf_of: str | None
    object_type: str | None
    object_id: str | None
    patient_id: str | None
    purpose: str | None
    reasons: list[dict[str, str]] = Field(default_factory=list)
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    detail: dict[str, Any] = Field(default_factory=dict)
    ip: str | None
    user_agent: str | None
    request_id: str | None
    hash: str


class AlertView(View):
    id: str
    rule: str
    severity: str
    at: datetime
    summary: str
    member_id: str | None
    event_id: str | None
    detail: dict[str, Any]
    webhook_state: str
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    acknowledged_note: str | None = None


class ProblemView(View):
    kind: str
    message: str
    seq: int | None
    event_id: str | None


class VerifyView(View):
    chain: str
    intact: bool
    events: int
    first_seq: int | None
    last_seq: int | None
    head_seq: int
    archived_seq: int
    problem: ProblemView | None


def event_view(row: AuditEvent) -> AuditEventView:
    content = row.content
    return AuditEventView(
        id=row.id, seq=row.seq, at=row.at, action=row.action, outcome=row.outcome, actor_user_id=row.actor_user_id,
        actor_member_id=row.actor_member_id, on_behalf_of=row.on_behalf_of, object_type=row.object_type,
        object_id=row.object_id, patient_id=row.patient_id, purpose=row.purpose,
        reasons=content.get("reasons") or [], before=content.get("before"), after=content.get("after"),
        detail=content.get("detail") or {}, ip=row.ip, user_agent=row.user_agent, request_id=row.request_id,
        hash=row.hash)


def check_filter(f: EventFilter) -> EventFilter:
    problems = []
    if f.since and f.until and f.since >= f.until:
        problems.append("since must be before until")
    if f.outcome and f.outcome not in OUTCOMES:
        problems.append(f"outcome is one of {', '.join(OUTCOMES)}")
    for name in ("since", "until"):
        moment = getattr(f, name)
        if moment is not None and moment.tzinfo is None:
            problems.append(f"{name} needs a time zone, e.g. 2026-11-23T09:00:00Z")
    if problems:
        raise Invalid("; ".join(problems), problems)
    return f


def filter_detail(f: EventFilter) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(f).items() if v}


def search(uow: UnitOfWork, actor: Actor, *, filters: EventFilter, after: str | None = None,
           limit: int = 50) -> Page[AuditEventView]:
    """The organisation's events matching `filters`, newest first; `after` is the previous page's cursor."""
    authorize(uow, actor, Action.READ, resources.org_object(Feature.AUDIT, actor.org_id))
    check_filter(filters)
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid(f"limit is between 1 and {MAX_PAGE}")
    if after is not None and not after.isdigit():
        raise Invalid("after is the next_cursor of the previous page")
    rows = audit_repo.search(uow.session, org_id=actor.org_id, filters=filters,
                             before_seq=int(after) if after else None, limit=limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    total = audit_repo.count(uow.session, org_id=actor.org_id, filters=filters)
    uow.record("audit.list", org_id=actor.org_id, actor=actor, object_type="audit",
               detail={"returned": [r.id for r in rows], "total": total, "filter": filter_detail(filters)})
    return Page[AuditEventView](items=[event_view(r) for r in rows], total=total,
                                next_cursor=str(rows[-1].seq) if more and rows else None)


def report_view(report: verifying.ChainReport) -> VerifyView:
    p = report.problem
    problem = ProblemView(kind=p.kind, message=p.message, seq=p.seq, event_id=p.event_id) if p else None
    return VerifyView(chain=report.chain, intact=report.intact, events=report.events, first_seq=report.first_seq,
                      last_seq=report.last_seq, head_seq=report.head_seq, archived_seq=report.archived_seq,
                      problem=problem)


def verify(uow: UnitOfWork, actor: Actor) -> VerifyView:
    """Verify the organisation's chain (links, checkpoints, signed head, columns)."""
    authorize(uow, actor, Action.READ, resources.org_object(Feature.AUDIT, actor.org_id))
    report = verifying.verify_chain(uow.session, uow.services.keyring.get(), actor.org_id)
    uow.record("audit.verify", org_id=actor.org_id, actor=actor, object_type="audit",
               detail={"intact": report.intact, "events": report.events,
                       "problem": report.problem.message if report.problem else None})
    return report_view(report)


def alert_view(row: AuditAlert) -> AlertView:
    return AlertView(id=row.id, rule=row.rule, severity=row.severity, at=row.at, summary=row.summary,
                     member_id=row.member_id, event_id=row.event_id, detail=row.detail or {},
                     webhook_state=row.webhook_state, acknowledged_at=row.acknowledged_at,
                     acknowledged_by=row.acknowledged_by, acknowledged_note=row.acknowledged_note)


def alerts(uow: UnitOfWork, actor: Actor, *, after: str | None = None, limit: int = 50) -> Page[AlertView]:
    """The organisation's alerts, newest first (Owners and Administrators: audit:read)."""
    authorize(uow, actor, Action.READ, resources.org_object(Feature.AUDIT, actor.org_id))
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid(f"limit is between 1 and {MAX_PAGE}")
    rows = audit_repo.alerts(uow.session, org_id=actor.org_id, before_id=after, limit=limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    uow.record("audit.alerts_list", org_id=actor.org_id, actor=actor, object_type="audit_alerts",
               detail={"returned": [r.id for r in rows]})
    return Page[AlertView](items=[alert_view(r) for r in rows], total=len(rows),
                           next_cursor=rows[-1].id if more and rows else None)


MAX_NOTE = 500


def acknowledge(uow: UnitOfWork, actor: Actor, *, alert_id: str, note: str | None = None) -> AlertView:
    """Mark an alert as looked into; whoever is alerted (audit:read) may, once, and it is recorded."""
    authorize(uow, actor, Action.READ, resources.org_object(Feature.AUDIT, actor.org_id))
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE:
        raise Invalid(f"the note is at most {MAX_NOTE} characters")
    row = audit_repo.get_alert(uow.session, org_id=actor.org_id, alert_id=alert_id, lock=True)
    if row is None:
        raise NotFound(f"alert {alert_id} not found")
    if row.acknowledged_at is not None:
        raise Conflict(f"this alert was already acknowledged on {row.acknowledged_at:%d %b %Y at %H:%M} UTC")
    row.acknowledged_at, row.acknowledged_by, row.acknowledged_note = uow.now, actor.member_id, note
    uow.record("audit.alert_acknowledged", org_id=actor.org_id, actor=actor, object_type="audit_alerts",
               object_id=row.id, before={"acknowledged_at": None},
               after={"acknowledged_at": uow.now.isoformat(), "acknowledged_by": actor.member_id, "note": note},
               detail={"rule": row.rule, "event_id": row.event_id})
    return alert_view(row)
