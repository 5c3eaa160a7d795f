"""Break-glass: emergency access to one patient's record, taken by the member, reviewed by someone else.

A member whose roles allow `patients:break_glass` (Clinicians, Administrators and Owners, or a custom
role) declares an emergency on one patient with a reason. They get read access to the patient and the
clinical records of the patient's sessions at once, for at most the organisation's `max_hours`; it is
the same reach as explicit patient access (a `patient_access` row of kind `break_glass`), so every
read, list and lookup honours it through the engine and the list filters alike, and every read made
through it is audited with purpose `break_glass`.

Everyone responsible is told at once, in the app and by email: the members who may review it
(`audit:review`, decided by the engine, which never picks the declarer) and the patient's care team.
Neither notice carries the reason or any clinical content. The audit trail raises a critical alert.

Afterwards a different person reviews it: appropriate, or inappropriate with a note (which ends the
access if it is still running). The member can end their access early; a reviewer can too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from caregate.engine import Action, Feature, Resource
from caregate.service import resources
from caregate.service.actors import Actor
from caregate.service.audience import members_allowed
from caregate.service.authz import authorize, check
from caregate.service.clinical import common
from caregate.service.clinical import views as v
from caregate.service.clinical.kinds import patient_resource
from caregate.service.clinical.overview import my_name, people
from caregate.service.clinical.reading import kind as kind_of
from caregate.service.clinical.reading import load
from caregate.service.context import UnitOfWork
from caregate.service.errors import Conflict, Invalid, NotFound
from caregate.service.orgs import EmergencyAccess, settings_by_id
from caregate.service.views import Page
from caregate.store import audit_repo, records, repo
from caregate.store.clinical import PatientAccess
from caregate.store.ids import new_id

KIND = "break_glass"
PURPOSE = "break_glass"  # the audit purpose of use (FHIR ETREAT) of the declaration and of every read under it
OUTCOMES = ("appropriate", "inappropriate")
STATUSES = ("active", "awaiting_review", "reviewed")
MAX_PAGE = 200


def _resource(row: PatientAccess) -> Resource:
    """The declaration as the engine sees it for a review: part of the audit log, asked for by its member."""
    return Resource(Feature.AUDIT, row.org_id, id=row.id, owner_id=row.membership_id,
                    attrs={"requested_by": row.membership_id})


def _status(row: PatientAccess, now: datetime) -> str:
    if row.review_outcome is not None:
        return "reviewed"
    return "active" if row.until is not None and now < row.until else "awaiting_review"


def _view(row: PatientAccess, now: datetime, who: dict[str, v.Person], reads: int | None = None
          ) -> v.EmergencyAccessView:
    assert row.until is not None  # emergency access always ends
    return v.EmergencyAccessView(
        id=row.id, patient_id=row.patient_id, member_id=row.membership_id, member=who.get(row.membership_id),
        reason=row.reason, declared_at=row.created_at, until=row.until, active=now < row.until,
        status=_status(row, now), ended_at=row.ended_at, ended_by=row.ended_by, review_outcome=row.review_outcome,
        reviewed_by=row.reviewed_by, reviewed_at=row.reviewed_at, review_note=row.review_note or None,
        reads=reads)


def _load(uow: UnitOfWork, actor: Actor, access_id: str, *, lock: bool = False) -> PatientAccess:
    row = common.found(uow, actor, PatientAccess, access_id, what="emergency access", lock=lock)
    if row.kind != KIND:  # explicit or requested access is not an emergency's
        raise NotFound(f"emergency access {access_id} not found in this organisation")
    return row


def _may_review(uow: UnitOfWork, actor: Actor) -> bool:
    return check(uow, actor, Action.REVIEW, resources.org_object(Feature.AUDIT, actor.org_id)).allowed


def declare(uow: UnitOfWork, actor: Actor, *, patient_id: str, reason: str,
            hours: int | None = None) -> v.EmergencyAccessView:
    """Take emergency read access to one patient's record for `hours` (at most the organisation's limit)."""
    policy = settings_by_id(uow, actor.org_id).emergency_access
    row, facts = load(uow, actor, kind_of("patients"), patient_id, lock=True)
    decision = authorize(uow, actor, Action.BREAK_GLASS, patient_resource(row, facts), patient_id=row.id)
    if not policy.enabled:
        raise Conflict("emergency access (break-glass) is switched off in this organisation's settings; "
                       "ask an administrator to give you access to the patient")
    text = common.reason(reason, reader="the review")
    hours = common.hours(hours, default=policy.max_hours, limit=policy.max_hours, what="emergency access")
    running = [g for g in facts.access.get(row.id, []) if g.kind == KIND and g.membership_id == actor.member_id
               and g.until is not None and uow.now < g.until]
    if running:
        raise Conflict(f"you already have emergency access to this patient until {running[0].until:%Y-%m-%d %H:%M} "
                       f"UTC ({running[0].id})")
    until = uow.now + timedelta(hours=hours)
    grant = PatientAccess(id=new_id("bgl"), org_id=actor.org_id, patient_id=row.id, membership_id=actor.member_id,
                          kind=KIND, until=until, reason=text,
                          granted_by=actor.member_id, created_at=uow.now, review_note="")
    uow.session.add(grant)
    uow.session.flush()
    who = people(uow, actor, [actor.member_id])
    uow.record("break_glass.declare", org_id=actor.org_id, actor=actor, object_type="patients", object_id=row.id,
               patient_id=row.id, decision=decision, purpose=PURPOSE,
               after={"access_id": grant.id, "hours": hours, "until": until.isoformat(), "reason": text})
    _tell_the_responsible(uow, actor, grant, until, care_team=facts.care.get(row.id, ()), name=my_name(uow, actor))
    return _view(grant, uow.now, who)


def _tell_the_responsible(uow: UnitOfWork, actor: Actor, grant: PatientAccess, until: datetime, *,
                          care_team: Iterable[str], name: str) -> None:
    """The reviewers (as the engine picks them) and the patient's care team, never the declarer."""
    reviewers = members_allowed(uow, actor.org_id, Action.REVIEW, _resource(grant))
    chosen = {m.id: m for m, _ in reviewers}
    for member_id in sorted(set(care_team) - set(chosen)):
        found = repo.get_member(uow.session, org_id=actor.org_id, member_id=member_id)
        if found is not None and found.status == "active":
            chosen[found.id] = found
    chosen.pop(actor.member_id, None)
    for target in chosen.values():
        common.notify(uow, actor, target, kind="break_glass", title="Emergency access to a patient record",
                      body=f"{name} declared an emergency and took access to a patient record until "
                           f"{until:%Y-%m-%d %H:%M} UTC. The reason and the review are in caregate.",
                      object_type="break_glass", object_id=grant.id,
                      link=f"/o/{actor.org_id}/emergency/{grant.id}")


def end(uow: UnitOfWork, actor: Actor, *, access_id: str) -> v.EmergencyAccessView:
    """End emergency access now: the member who holds it may, and so may whoever may review it."""
    row = _load(uow, actor, access_id, lock=True)
    decision = None
    if row.membership_id != actor.member_id:
        decision = authorize(uow, actor, Action.REVIEW, _resource(row), patient_id=row.patient_id)
    assert row.until is not None
    if uow.now >= row.until:
        raise Conflict(f"this emergency access already ended at {row.until:%Y-%m-%d %H:%M} UTC")
    _stop(uow, actor, row)
    uow.record("break_glass.end", org_id=actor.org_id, actor=actor, object_type="break_glass", object_id=row.id,
               patient_id=row.patient_id, decision=decision, purpose=PURPOSE,
               after={"ended_at": uow.now.isoformat()})
    return _view(row, uow.now, people(uow, actor, [row.membership_id]))


def _stop(uow: UnitOfWork, actor: Actor, row: PatientAccess) -> None:
    row.until, row.ended_at, row.ended_by = uow.now, uow.now, actor.member_id


def review(uow: UnitOfWork, actor: Actor, *, access_id: str, outcome: str, note: str = "") -> v.EmergencyAccessView:
    """Record whether the emergency access was appropriate; never by the member who took it."""
    row = _load(uow, actor, access_id, lock=True)
    decision = authorize(uow, actor, Action.REVIEW, _resource(row), patient_id=row.patient_id)
    if outcome not in OUTCOMES:
        raise Invalid(f"outcome is one of {', '.join(OUTCOMES)}")
    text = common.text(note, limit=1000, what="note", required=outcome == "inappropriate")
    if row.review_outcome is not None:
        raise Conflict(f"this emergency access was already reviewed ({row.review_outcome}) by {row.reviewed_by}")
    assert row.until is not None
    ended = outcome == "inappropriate" and uow.now < row.until
    if ended:
        _stop(uow, actor, row)
    row.review_outcome, row.reviewed_by, row.reviewed_at, row.review_note = outcome, actor.member_id, uow.now, text
    uow.record("break_glass.review", org_id=actor.org_id, actor=actor, object_type="break_glass", object_id=row.id,
               patient_id=row.patient_id, decision=decision, purpose=PURPOSE,
               after={"outcome": outcome, "note": text, "ended": ended})
    holder = repo.get_member(uow.session, org_id=actor.org_id, member_id=row.membership_id)
    if holder is not None:
        reviewer = my_name(uow, actor)
        common.notify(uow, actor, holder, kind="break_glass_review", title="Your emergency access was reviewed",
                      body=f"{reviewer} reviewed your emergency access of {row.created_at:%Y-%m-%d %H:%M} UTC: "
                           f"{outcome}." + (" It has been ended." if ended else ""),
                      object_type="break_glass", object_id=row.id, link=f"/o/{actor.org_id}/emergency/{row.id}")
    return _view(row, uow.now, people(uow, actor, [row.membership_id]))


def get(uow: UnitOfWork, actor: Actor, *, access_id: str) -> v.EmergencyAccessView:
    """One declaration, for its member, for reviewers and for the patient's care team (who were told of
    it); 404 for anyone else, as if it did not exist.

    A reviewer who may read the audit log also gets `reads`: how many audited actions the member took
    on the patient while the access ran."""
    row = _load(uow, actor, access_id)
    if row.membership_id != actor.member_id and not _may_review(uow, actor) and actor.member_id not in \
            records.care_teams(uow.session, patient_ids=[row.patient_id]).get(row.patient_id, ()):
        raise NotFound(f"emergency access {access_id} not found in this organisation")
    reads = None
    if check(uow, actor, Action.READ, resources.org_object(Feature.AUDIT, actor.org_id)).allowed:
        assert row.until is not None
        reads = audit_repo.count(uow.session, org_id=actor.org_id, filters=during(row))
    uow.record("break_glass.read", org_id=actor.org_id, actor=actor, object_type="break_glass", object_id=row.id,
               patient_id=row.patient_id)
    return _view(row, uow.now, people(uow, actor, [row.membership_id]), reads)


def during(row: PatientAccess) -> audit_repo.EventFilter:
    """The audit search for what the member did on the patient while the access ran."""
    return audit_repo.EventFilter(member_id=row.membership_id, patient_id=row.patient_id, since=row.created_at,
                                  until=row.until + timedelta(seconds=1) if row.until else None, outcome="allowed")


def page(uow: UnitOfWork, actor: Actor, *, status: str | None = None, mine: bool = False,
         after: str | None = None, limit: int = 50) -> Page[v.EmergencyAccessView]:
    """Emergency access in the organisation for reviewers; a member's own for everybody else (or with `mine`)."""
    if status is not None and status not in STATUSES:
        raise Invalid(f"status is one of {', '.join(STATUSES)}")
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid(f"limit is between 1 and {MAX_PAGE}")
    member_id = actor.member_id if mine or not _may_review(uow, actor) else None
    rows, total = records.emergency_access(uow.session, org_id=actor.org_id, member_id=member_id, status=status,
                                           now=uow.now, before_id=after, limit=limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    uow.record("break_glass.list", org_id=actor.org_id, actor=actor, object_type="break_glass",
               detail={"returned": [r.id for r in rows], "total": total, "status": status,
                       "mine": member_id is not None})
    who = people(uow, actor, {r.membership_id for r in rows})
    return Page[v.EmergencyAccessView](items=[_view(r, uow.now, who) for r in rows], total=total,
                                       next_cursor=rows[-1].id if more and rows else None)


def policy(uow: UnitOfWork, actor: Actor) -> EmergencyAccess:
    """The organisation's break-glass settings, for anyone who may declare emergency access or review it."""
    if not (check(uow, actor, Action.BREAK_GLASS, resources.org_object(Feature.PATIENTS, actor.org_id)).allowed
            or _may_review(uow, actor)):
        authorize(uow, actor, Action.READ, resources.org_object(Feature.SETTINGS, actor.org_id))
    return settings_by_id(uow, actor.org_id).emergency_access


__all__ = ["OUTCOMES", "STATUSES", "declare", "during", "end", "get", "page", "policy", "review"]
