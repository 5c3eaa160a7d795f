"""Just-in-time access requests: ask for access to one patient, for some hours; others approve it.

A member whose roles allow `patients:request` (Clinicians, Administrators, Owners, Assistants) asks for
access to one patient with a reason and a number of hours (at most the organisation's
`access_requests.max_hours`). The request needs `access_requests.approvals` approvals (1 to 3), each
from a different member the engine allows `patients:approve` on that patient, never the member who
asked (the separation-of-duties forbid): an approval chain. The last approval gives the access, a
`patient_access` row of kind `requested` until the hours are up, so every read, list and lookup
honours it through the engine and the list filters alike; one denial ends the request. The member
who asked can cancel it while it is pending.

Approvers are told when a request arrives, and the member when it is decided, in the app and by email,
without the reason or the patient.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from caregate.engine import Action, Feature, Resource
from caregate.service import resources
from caregate.service.actors import Actor
from caregate.service.audience import members_allowed
from caregate.service.authz import authorize, check
from caregate.service.clinical import common
from caregate.service.clinical import views as v
from caregate.service.clinical.kinds import Facts, patient_resource
from caregate.service.clinical.overview import my_name, people
from caregate.service.clinical.reading import kind as kind_of
from caregate.service.clinical.reading import load
from caregate.service.context import UnitOfWork
from caregate.service.errors import Conflict, Invalid, NotFound
from caregate.service.orgs import AccessRequests, settings_by_id
from caregate.service.views import Page
from caregate.store import records, repo
from caregate.store.clinical import AccessRequest, AccessRequestApproval, Patient, PatientAccess
from caregate.store.ids import new_id

KIND = "requested"  # the kind of the patient_access row an approved request creates
STATUSES = ("pending", "approved", "denied", "cancelled")
DEFAULT_HOURS = 24
MAX_PAGE = 200


def _resource(patient: Patient, facts: Facts, requester: str) -> Resource:
    """The patient, as the engine sees it for approving a request of `requester`."""
    base = patient_resource(patient, facts)
    return replace(base, attrs={**base.attrs, "requested_by": requester})


def _load(uow: UnitOfWork, actor: Actor, request_id: str, *, lock: bool = False) -> AccessRequest:
    return common.found(uow, actor, AccessRequest, request_id, what="access request", lock=lock)


def _views(uow: UnitOfWork, actor: Actor, rows: list[AccessRequest]) -> list[v.AccessRequestView]:
    """Views of a page of requests, their answers, grants and members loaded in a few queries."""
    answers = records.access_request_answers(uow.session, request_ids=[r.id for r in rows])
    grants = records.by_ids(uow.session, PatientAccess, org_id=actor.org_id, ids=[r.grant_id or "" for r in rows])
    who = people(uow, actor, {r.membership_id for r in rows})
    out = []
    for row in rows:
        grant = grants.get(row.grant_id or "")
        out.append(v.AccessRequestView(
            id=row.id, patient_id=row.patient_id, member_id=row.membership_id, member=who.get(row.membership_id),
            reason=row.reason, hours=row.hours, status=row.status, approvals_needed=row.approvals_needed,
            answers=[v.ApprovalView(approver_id=a.approver_id, decision=a.decision, note=a.note or None, at=a.at)
                     for a in answers.get(row.id, [])],
            grant_id=row.grant_id, until=grant.until if grant else None,
            active=bool(grant and grant.until and uow.now < grant.until), created_at=row.created_at,
            decided_at=row.decided_at))
    return out


def _view(uow: UnitOfWork, actor: Actor, row: AccessRequest) -> v.AccessRequestView:
    return _views(uow, actor, [row])[0]


def _may_approve_any(uow: UnitOfWork, actor: Actor) -> bool:
    """Whether the actor approves requests anywhere in the organisation (an organisation-wide permit)."""
    return check(uow, actor, Action.APPROVE, resources.org_object(Feature.PATIENTS, actor.org_id)).allowed


def ask(uow: UnitOfWork, actor: Actor, *, patient_id: str, reason: str,
        hours: int | None = None) -> v.AccessRequestView:
    """Ask for read access to one patient's record for `hours`; it waits for the approvals it needs."""
    policy = settings_by_id(uow, actor.org_id).access_requests
    patient, facts = load(uow, actor, kind_of("patients"), patient_id, lock=True)
    decision = authorize(uow, actor, Action.REQUEST, patient_resource(patient, facts), patient_id=patient.id)
    text = common.reason(reason, reader="the approver")
    hours = common.hours(hours, default=DEFAULT_HOURS, limit=policy.max_hours, what="access requests")
    held = [g for g in facts.access.get(patient.id, []) if g.membership_id == actor.member_id
            and (g.until is None or uow.now < g.until)]
    if held:
        until = held[0].until
        raise Conflict("you already have access to this patient"
                       + (f" until {until:%Y-%m-%d %H:%M} UTC" if until else "") + f" ({held[0].id})")
    waiting = records.pending_access_request(uow.session, org_id=actor.org_id, patient_id=patient.id,
                                             member_id=actor.member_id)
    if waiting is not None:
        raise Conflict(f"you already asked for access to this patient: request {waiting.id} is waiting for approval")
    row = AccessRequest(id=new_id("areq"), org_id=actor.org_id, patient_id=patient.id, membership_id=actor.member_id,
                        reason=text, hours=hours, approvals_needed=policy.approvals, status="pending",
                        created_at=uow.now)
    uow.session.add(row)
    uow.session.flush()
    uow.record("access_request.create", org_id=actor.org_id, actor=actor, object_type="access_request",
               object_id=row.id, patient_id=patient.id, decision=decision,
               after={"hours": hours, "reason": text, "approvals_needed": policy.approvals})
    name = my_name(uow, actor)
    for target, _ in members_allowed(uow, actor.org_id, Action.APPROVE, _resource(patient, facts, actor.member_id)):
        if target.id != actor.member_id:
            common.notify(uow, actor, target, kind="access_request", title="Access request to a patient record",
                          body=f"{name} asks for access to a patient record for {hours} hours. "
                               "The reason is in caregate, where you can approve or deny it.",
                          object_type="access_request", object_id=row.id,
                          link=f"/o/{actor.org_id}/access-requests/{row.id}")
    return _view(uow, actor, row)


def _answer(uow: UnitOfWork, actor: Actor, request_id: str, answer: str, note: str) -> AccessRequest:
    """Record one approver's answer; the engine decides who may give it (never the member who asked)."""
    row = _load(uow, actor, request_id, lock=True)
    patient, facts = load(uow, actor, kind_of("patients"), row.patient_id)
    decision = authorize(uow, actor, Action.APPROVE, _resource(patient, facts, row.membership_id),
                         patient_id=patient.id)
    if row.status != "pending":
        raise Conflict(f"this access request is already {row.status}")
    answers = records.access_request_answers(uow.session, request_ids=[row.id]).get(row.id, [])
    if any(a.approver_id == actor.member_id for a in answers):
        raise Conflict("you already approved this request; it needs another approver")
    text = common.text(note, limit=1000, what="note", required=answer == "deny")
    uow.session.add(AccessRequestApproval(request_id=row.id, approver_id=actor.member_id, org_id=row.org_id,
                                          decision=answer, note=text, at=uow.now))
    approvals = 1 + sum(a.decision == "approve" for a in answers) if answer == "approve" else 0
    after: dict[str, object] = {"note": text, "approvals": approvals, "needed": row.approvals_needed}
    if answer == "deny":
        row.status, row.decided_at = "denied", uow.now
    elif approvals >= row.approvals_needed:
        until = uow.now + timedelta(hours=row.hours)
        grant = PatientAccess(id=new_id("pac"), org_id=row.org_id, patient_id=row.patient_id,
                              membership_id=row.membership_id, kind=KIND, until=until, reason=row.reason,
                              granted_by=actor.member_id, created_at=uow.now, review_note="")
        uow.session.add(grant)
        row.status, row.decided_at, row.grant_id = "approved", uow.now, grant.id
        after.update(grant_id=grant.id, until=until.isoformat())
    uow.session.flush()
    uow.record(f"access_request.{answer}", org_id=actor.org_id, actor=actor, object_type="access_request",
               object_id=row.id, patient_id=row.patient_id, decision=decision, after=after)
    if row.status != "pending":
        holder = repo.get_member(uow.session, org_id=actor.org_id, member_id=row.membership_id)
        if holder is not None:
            outcome = f"approved: you have access for {row.hours} hours" if row.status == "approved" else "denied"
            common.notify(uow, actor, holder, kind="access_request_decided",
                          title=f"Your access request was {row.status}",
                          body=f"Your request of {row.created_at:%Y-%m-%d %H:%M} UTC for access to a patient "
                               f"record was {outcome}.",
                          object_type="access_request", object_id=row.id,
                          link=f"/o/{actor.org_id}/access-requests/{row.id}")
    return row


def approve(uow: UnitOfWork, actor: Actor, *, request_id: str, note: str = "") -> v.AccessRequestView:
    """Approve; the last approval the organisation needs gives the access."""
    return _view(uow, actor, _answer(uow, actor, request_id, "approve", note))


def deny(uow: UnitOfWork, actor: Actor, *, request_id: str, note: str) -> v.AccessRequestView:
    """Deny, with a note for the member who asked; one denial ends the request."""
    return _view(uow, actor, _answer(uow, actor, request_id, "deny", note))


def cancel(uow: UnitOfWork, actor: Actor, *, request_id: str) -> v.AccessRequestView:
    """The member who asked withdraws a pending request."""
    row = _load(uow, actor, request_id, lock=True)
    if row.membership_id != actor.member_id:
        raise NotFound(f"access request {request_id} not found among yours")
    if row.status != "pending":
        raise Conflict(f"this access request is already {row.status}")
    row.status, row.decided_at = "cancelled", uow.now
    uow.record("access_request.cancel", org_id=actor.org_id, actor=actor, object_type="access_request",
               object_id=row.id, patient_id=row.patient_id)
    return _view(uow, actor, row)


def get(uow: UnitOfWork, actor: Actor, *, request_id: str) -> v.AccessRequestView:
    """One request, for the member who asked and for whoever may approve it (404 for anyone else)."""
    row = _load(uow, actor, request_id)
    if row.membership_id != actor.member_id:
        patient, facts = load(uow, actor, kind_of("patients"), row.patient_id)
        if not check(uow, actor, Action.APPROVE, _resource(patient, facts, row.membership_id)).allowed \
                and not _may_approve_any(uow, actor):
            raise NotFound(f"access request {request_id} not found in this organisation")
    uow.record("access_request.read", org_id=actor.org_id, actor=actor, object_type="access_request",
               object_id=row.id, patient_id=row.patient_id)
    return _view(uow, actor, row)


def page(uow: UnitOfWork, actor: Actor, *, status: str | None = None, mine: bool = False,
         after: str | None = None, limit: int = 50) -> Page[v.AccessRequestView]:
    """Requests of the whole organisation for organisation-wide approvers; one's own for everyone else."""
    if status is not None and status not in STATUSES:
        raise Invalid(f"status is one of {', '.join(STATUSES)}")
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid(f"limit is between 1 and {MAX_PAGE}")
    member_id = actor.member_id if mine or not _may_approve_any(uow, actor) else None
    rows, total = records.access_requests(uow.session, org_id=actor.org_id, member_id=member_id, status=status,
                                          before_id=after, limit=limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    uow.record("access_request.list", org_id=actor.org_id, actor=actor, object_type="access_request",
               detail={"returned": [r.id for r in rows], "total": total, "status": status,
                       "mine": member_id is not None})
    return Page[v.AccessRequestView](items=_views(uow, actor, rows), total=total,
                                     next_cursor=rows[-1].id if more and rows else None)


def policy(uow: UnitOfWork, actor: Actor) -> AccessRequests:
    """The organisation's limits (approvals needed, longest access), for anyone who may ask or approve."""
    may = any(check(uow, actor, action, resources.org_object(Feature.PATIENTS, actor.org_id)).allowed
              for action in (Action.REQUEST, Action.APPROVE))
    if not may:
        authorize(uow, actor, Action.READ, resources.org_object(Feature.SETTINGS, actor.org_id))
    return settings_by_id(uow, actor.org_id).access_requests


__all__ = ["STATUSES", "approve", "ask", "cancel", "deny", "get", "page", "policy"]
