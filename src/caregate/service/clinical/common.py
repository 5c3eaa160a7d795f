"""Checks the clinical use cases share: that what a request names exists in the caller's organisation,
the seat of a member, another member as the engine sees them, and in-app + email notifications."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from caregate.engine import Action, Resource, SeatType, Subject
from caregate.service import mail, seats
from caregate.service.actors import Actor, actor_for_member, org_roles
from caregate.service.authz import authorize
from caregate.service.clinical.kinds import patient_facts, patient_resource
from caregate.service.context import UnitOfWork
from caregate.service.errors import Invalid, NotFound
from caregate.store import records, repo
from caregate.store.clinical import Notification, Patient
from caregate.store.ids import new_id
from caregate.store.tables import Membership

PEOPLE_STATUSES = ("active", "invited")


def text(value: str | None, *, limit: int, what: str, required: bool = False) -> str:
    """Whitespace-trimmed text within a limit (bodies keep their line breaks)."""
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise Invalid(f"{what} must not be empty")
    if len(cleaned) > limit:
        raise Invalid(f"{what} must be at most {limit} characters")
    return cleaned


MIN_REASON = 10
T = TypeVar("T")


def found(uow: UnitOfWork, actor: Actor, model: type[T], object_id: str, *, what: str, lock: bool = False) -> T:
    """A row of the actor's organisation by id, or NotFound naming `what` (an implausible id is never looked up)."""
    row = records.get(uow.session, model, org_id=actor.org_id, object_id=object_id, lock=lock) \
        if 3 <= len(object_id) <= 40 else None
    if row is None:
        raise NotFound(f"{what} {object_id} not found in this organisation")
    return row


def reason(value: str, *, reader: str) -> str:
    """The reason a member gives for asking or taking access: said in at least MIN_REASON characters."""
    cleaned = text(value, limit=500, what="reason", required=True)
    if len(cleaned) < MIN_REASON:
        raise Invalid(f"say why in at least {MIN_REASON} characters: {reader} reads it first")
    return cleaned


def hours(value: int | None, *, default: int, limit: int, what: str) -> int:
    """How many hours some access lasts: `default` when not given, never more than the organisation's `limit`."""
    chosen = min(default, limit) if value is None else value
    if not 1 <= chosen <= limit:
        raise Invalid(f"hours must be between 1 and {limit}, this organisation's limit for {what}")
    return chosen


def member(uow: UnitOfWork, actor: Actor, member_id: str, *, what: str = "member",
           statuses: tuple[str, ...] = PEOPLE_STATUSES) -> Membership:
    """A member of the caller's organisation, in one of `statuses`; nobody outside it is ever found."""
    found = repo.get_member(uow.session, org_id=actor.org_id, member_id=member_id)
    if found is None:
        raise NotFound(f"{what} {member_id} is not a member of this organisation")
    if found.status not in statuses:
        raise Invalid(f"{what} {member_id} is {found.status}; only {' or '.join(statuses)} members can be chosen")
    return found


def team(uow: UnitOfWork, actor: Actor, team_id: str | None) -> str | None:
    if team_id is not None and repo.get_team(uow.session, org_id=actor.org_id, team_id=team_id) is None:
        raise Invalid(f"unknown team {team_id!r}")
    return team_id


def location(uow: UnitOfWork, actor: Actor, location_id: str | None) -> str | None:
    if location_id is not None and repo.get_location(uow.session, org_id=actor.org_id,
                                                     location_id=location_id) is None:
        raise Invalid(f"unknown location {location_id!r}")
    return location_id


def patient(uow: UnitOfWork, actor: Actor, patient_id: str | None) -> Patient | None:
    if patient_id is None:
        return None
    found = records.get(uow.session, Patient, org_id=actor.org_id, object_id=patient_id)
    if found is None:
        raise Invalid(f"unknown patient {patient_id!r}")
    return found


def readable_patient(uow: UnitOfWork, actor: Actor, patient_id: str | None) -> Patient | None:
    """A patient the caller may read. Linking a session or an appointment to a patient changes who reaches
    what (shares of a session reach its patient's profile; the care team reaches its appointments), so
    nobody links an object to a patient they may not read themselves."""
    row = patient(uow, actor, patient_id)
    if row is not None:
        facts = patient_facts(uow.session, actor.org_id, [row])
        authorize(uow, actor, Action.READ, patient_resource(row, facts), patient_id=row.id)
    return row


def seat(uow: UnitOfWork, org_id: str, member_id: str) -> SeatType:
    keys = [r.role_key for r in repo.roles_of(uow.session, member_ids=[member_id])[member_id]]
    return seats.seat_type(keys, org_roles(uow, org_id))


def with_seat(resource: Resource, uow: UnitOfWork, org_id: str, member_id: str) -> Resource:
    """The resource marked with the seat of the member who would own it (support seats own nothing)."""
    return replace(resource, attrs={**resource.attrs, "owner_seat": str(seat(uow, org_id, member_id))})


def subject_of(uow: UnitOfWork, actor: Actor, target: Membership) -> Subject:
    """Another member as the engine sees them now (their roles, teams and settings)."""
    if target.id == actor.member_id:
        return actor.subject
    org = repo.get_org(uow.session, org_id=actor.org_id)
    user = repo.get_user(uow.session, user_id=target.user_id)
    if org is None or user is None:
        raise NotFound(f"member {target.id} not found")
    return actor_for_member(uow, org, target, user).subject


def future(moment: datetime | None, now: datetime, what: str) -> datetime | None:
    if moment is not None and moment <= now:
        raise Invalid(f"{what} must be in the future")
    return moment


def notify(uow: UnitOfWork, actor: Actor, target: Membership, *, kind: str, title: str, body: str,
           object_type: str, object_id: str, link: str) -> None:
    """Tell a member in the app and by email. Neither carries clinical content: only who did what, and where."""
    tell(uow, target, org_id=actor.org_id, by=actor.member_id, kind=kind, title=title, body=body,
         object_type=object_type, object_id=object_id, link=link)


def tell(uow: UnitOfWork, target: Membership, *, org_id: str, by: str | None, kind: str, title: str, body: str,
         object_type: str, object_id: str, link: str) -> None:
    """`notify` from a member (`by`), or from caregate itself (None: what a schedule did)."""
    uow.session.add(Notification(id=new_id("ntf"), org_id=org_id, membership_id=target.id, kind=kind,
                                 title=title[:200], body=body, object_type=object_type, object_id=object_id,
                                 created_by=by, created_at=uow.now))
    user = repo.get_user(uow.session, user_id=target.user_id)
    if user is not None:
        url = f"{uow.services.settings.public_url.rstrip('/')}{link}"
        mail.enqueue(uow, to=user.email, subject=title[:200], body=f"{body}\n\nOpen it in caregate: {url}\n",
                     kind=kind, org_id=org_id)
