"""Forbids: rules that hold whatever the roles. Each returns a denial, or None to let the decision go on.

A forbid beats any permit. `FORBIDS` lists them per (feature, action); `compile_index` copies them into
each member's index so `decide` finds forbids and permits with one lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from caregate.engine.model import (
    Action,
    Context,
    Decision,
    Feature,
    PlanFeature,
    Reason,
    ReasonKind,
    Resource,
    Subject,
)
from caregate.engine.plans import minimum_plan, plan_allows

F, A = Feature, Action
Forbid = Callable[[Subject, Resource, Context], Decision | None]
Key = tuple[Feature, Action]


def deny(code: str, message: str, kind: ReasonKind = ReasonKind.FORBID) -> Decision:
    return Decision(False, (Reason(kind, code, message),))


_ONLY_OWNER_DELETES = {
    F.SESSIONS: deny("forbid:only-owner-deletes", "only the session's owner can delete a session"),
    F.NOTES: deny("forbid:only-owner-deletes", "only the session's owner can delete its core note"),
    F.TRANSCRIPTS: deny("forbid:only-owner-deletes", "only the session's owner can delete its transcript"),
}


def only_owner_deletes(subject: Subject, resource: Resource, context: Context) -> Decision | None:
    if resource.owner_id == subject.member_id:
        return None
    return _ONLY_OWNER_DELETES[resource.kind]


_OWN_ROLES = deny("forbid:own-roles", "nobody can change their own roles or seat type")


def not_own_roles(subject: Subject, resource: Resource, context: Context) -> Decision | None:
    return _OWN_ROLES if resource.id == subject.member_id else None


_OWN_ACCESS_REVIEW = deny("forbid:own-access-review", "nobody reviews their own access")


def not_own_access_review(subject: Subject, resource: Resource, context: Context) -> Decision | None:
    return _OWN_ACCESS_REVIEW if resource.id == subject.member_id else None


def _attr_int(resource: Resource, name: str) -> int | None:
    value = resource.attrs.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def rank_of_target(subject: Subject, resource: Resource, context: Context) -> Decision | None:
    target = _attr_int(resource, "rank")
    if target is not None and target > subject.index.rank:
        owner = resource.attrs.get("is_owner") is True
        what = "an Owner" if owner else "a member whose role ranks above yours"
        return deny("forbid:outranked", f"you cannot demote, disable or remove {what}")
    return None


def rank_of_new_roles(subject: Subject, resource: Resource, context: Context) -> Decision | None:
    new = _attr_int(resource, "new_rank")
    if new is not None and new > subject.index.rank:
        return deny("forbid:rank", "you can only assign roles at your own level or below")
    return None


_LAST_OWNER = deny(
    "forbid:last-owner",
    "the organisation must keep at least one active Owner; make someone else an Owner first",
)


def keeps_an_owner(subject: Subject, resource: Resource, context: Context) -> Decision | None:
    return _LAST_OWNER if resource.attrs.get("last_active_owner") is True else None


def role_change_keeps_an_owner(subject: Subject, resource: Resource, context: Context) -> Decision | None:
    attrs = resource.attrs
    if attrs.get("last_active_owner") is True and attrs.get("removes_owner") is True:
        return _LAST_OWNER
    return None


_SEPARATION = deny(
    "forbid:separation-of-duties", "separation of duties: the person who asked for it cannot approve it"
)


def not_own_request(subject: Subject, resource: Resource, context: Context) -> Decision | None:
    requested_by = resource.attrs.get("requested_by")
    return _SEPARATION if requested_by is not None and requested_by == subject.member_id else None


_APPROVER_PROCESSES = deny(
    "forbid:separation-of-duties", "separation of duties: the person who approved it cannot also process it"
)


def not_own_approval(subject: Subject, resource: Resource, context: Context) -> Decision | None:
    approved_by = resource.attrs.get("approved_by")
    return _APPROVER_PROCESSES if approved_by is not None and approved_by == subject.member_id else None


_SUPPORT_OWNER = {
    F.SESSIONS: "a support-seat member cannot own a session",
    F.APPOINTMENTS: "a support-seat member cannot have a calendar of their own",
    F.PATIENTS: "a support-seat member cannot be assigned patients or join a care team",
    F.ROOMS: "a support-seat member cannot have a video room of their own",
}


def owner_needs_standard_seat(subject: Subject, resource: Resource, context: Context) -> Decision | None:
    if resource.attrs.get("owner_seat") == "support":
        return deny("forbid:support-seat", _SUPPORT_OWNER[resource.kind])
    return None


def plan_gate(subject: Subject, resource: Resource, context: Context) -> Decision | None:
    needed = resource.attrs.get("plan_feature")
    if needed is None:
        return None
    try:
        feature = PlanFeature(str(needed))
    except ValueError:
        return deny("forbid:plan", f"unknown plan feature {needed!r}")
    if plan_allows(subject.org, feature, context.now):
        return None
    return deny(
        f"plan:{feature}",
        f"{feature.replace('_', ' ')} needs the {minimum_plan(feature)} plan or a running trial; "
        f"this organisation is on {subject.org.plan}",
    )


_MEMBER_REMOVALS = (A.CHANGE_ROLE, A.DISABLE, A.ARCHIVE, A.DELETE)

FORBIDS: Mapping[Key, tuple[Forbid, ...]] = MappingProxyType(
    {
        **{(f, A.DELETE): (only_owner_deletes,) for f in _ONLY_OWNER_DELETES},
        (F.MEMBERS, A.CHANGE_ROLE): (
            not_own_roles, rank_of_target, rank_of_new_roles, role_change_keeps_an_owner),
        (F.MEMBERS, A.INVITE): (rank_of_new_roles,),
        **{(F.MEMBERS, a): (rank_of_target, keeps_an_owner) for a in _MEMBER_REMOVALS if a != A.CHANGE_ROLE},
        (F.MEMBERS, A.RESTORE): (rank_of_target,),
        (F.MEMBERS, A.REVIEW): (not_own_access_review,),  # separation of duties in access reviews
        (F.MEMBERS, A.DELEGATE): (not_own_roles,),  # nobody hands a role to themselves
        **{(f, A.APPROVE): (not_own_request,) for f in (F.REFUNDS, F.CHARGES, F.TIME_TRACKING)},
        (F.REFUNDS, A.PROCESS): (not_own_approval,),
        (F.AUDIT, A.REVIEW): (not_own_request,),  # nobody reviews their own emergency access
        (F.PATIENTS, A.APPROVE): (not_own_request,),  # nobody approves their own access request
        (F.SESSIONS, A.CREATE): (owner_needs_standard_seat,),
        (F.APPOINTMENTS, A.CREATE): (owner_needs_standard_seat,),
        (F.PATIENTS, A.ASSIGN): (owner_needs_standard_seat,),
        (F.PATIENTS, A.CREATE): (owner_needs_standard_seat,),  # a creator joining the new patient's care team
        (F.ROOMS, A.CREATE): (owner_needs_standard_seat,),
    }
)
