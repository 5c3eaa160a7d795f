"""The one decision function.

Order of evaluation, as in Cedar: the member's status and organisation first, then the forbids (rules
that hold whatever the roles), then the permits of roles, settings and grants; nothing matching means
deny. A forbid beats any permit. Each answer carries the reasons that decided it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from caregate.engine.catalog import CLINICAL_FEATURES
from caregate.engine.model import (
    Action,
    Context,
    Decision,
    Feature,
    GrantKind,
    MemberStatus,
    PlanFeature,
    Reason,
    ReasonKind,
    Resource,
    Scope,
    Subject,
)
from caregate.engine.plans import minimum_plan, plan_allows
from caregate.engine.roles import Key

F, A = Feature, Action
Forbid = Callable[[Subject, Resource, Context], Decision | None]

_ACTIVE = MemberStatus.ACTIVE
_OWN, _ASSIGNED, _TEAM, _LOCATION = Scope.OWN, Scope.ASSIGNED, Scope.TEAM, Scope.LOCATION


def _deny(code: str, message: str, kind: ReasonKind = ReasonKind.FORBID) -> Decision:
    return Decision(False, (Reason(kind, code, message),))


_STATUS_DENIALS = {
    status: _deny(f"status:{status}", text, ReasonKind.STATUS)
    for status, text in {
        MemberStatus.INVITED: "the member has not accepted the invitation yet",
        MemberStatus.DISABLED: "the member is disabled",
        MemberStatus.ARCHIVED: "the member is archived",
    }.items()
}
CROSS_ORG = _deny("forbid:cross-org", "the object belongs to another organisation; nothing crosses organisations")


# --- forbids: each returns a denial or None ------------------------------------------------------

_ONLY_OWNER_DELETES = {
    F.SESSIONS: _deny("forbid:only-owner-deletes", "only the session's owner can delete a session"),
    F.NOTES: _deny("forbid:only-owner-deletes", "only the session's owner can delete its core note"),
    F.TRANSCRIPTS: _deny("forbid:only-owner-deletes", "only the session's owner can delete its transcript"),
}


def _only_owner_deletes(subject: Subject, resource: Resource, context: Context) -> Decision | None:
    if resource.owner_id == subject.member_id:
        return None
    return _ONLY_OWNER_DELETES[resource.kind]


_OWN_ROLES = _deny("forbid:own-roles", "nobody can change their own roles or seat type")


def _not_own_roles(subject: Subject, resource: Resource, context: Context) -> Decision | None:
    return _OWN_ROLES if resource.id == subject.member_id else None


def _attr_int(resource: Resource, name: str) -> int | None:
    value = resource.attrs.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _rank_of_target(subject: Subject, resource: Resource, context: Context) -> Decision | None:
    target = _attr_int(resource, "rank")
    if target is not None and target > subject.index.rank:
        owner = resource.attrs.get("is_owner") is True
        what = "an Owner" if owner else "a member whose role ranks above yours"
        return _deny("forbid:outranked", f"you cannot demote, disable or remove {what}")
    return None


def _rank_of_new_roles(subject: Subject, resource: Resource, context: Context) -> Decision | None:
    new = _attr_int(resource, "new_rank")
    if new is not None and new > subject.index.rank:
        return _deny("forbid:rank", "you can only assign roles at your own level or below")
    return None


_LAST_OWNER = _deny(
    "forbid:last-owner",
    "the organisation must keep at least one active Owner; make someone else an Owner first",
)


def _keeps_an_owner(subject: Subject, resource: Resource, context: Context) -> Decision | None:
    return _LAST_OWNER if resource.attrs.get("last_active_owner") is True else None


def _role_change_keeps_an_owner(subject: Subject, resource: Resource, context: Context) -> Decision | None:
    attrs = resource.attrs
    if attrs.get("last_active_owner") is True and attrs.get("removes_owner") is True:
        return _LAST_OWNER
    return None


_SEPARATION = _deny(
    "forbid:separation-of-duties", "separation of duties: the person who asked for it cannot approve it"
)


def _not_own_request(subject: Subject, resource: Resource, context: Context) -> Decision | None:
    requested_by = resource.attrs.get("requested_by")
    return _SEPARATION if requested_by is not None and requested_by == subject.member_id else None


_APPROVER_PROCESSES = _deny(
    "forbid:separation-of-duties", "separation of duties: the person who approved it cannot also process it"
)


def _not_own_approval(subject: Subject, resource: Resource, context: Context) -> Decision | None:
    approved_by = resource.attrs.get("approved_by")
    return _APPROVER_PROCESSES if approved_by is not None and approved_by == subject.member_id else None


_SUPPORT_OWNER = {
    F.SESSIONS: "a support-seat member cannot own a session",
    F.APPOINTMENTS: "a support-seat member cannot have a calendar of their own",
    F.PATIENTS: "a support-seat member cannot be assigned patients or join a care team",
    F.ROOMS: "a support-seat member cannot have a video room of their own",
}


def _owner_needs_standard_seat(subject: Subject, resource: Resource, context: Context) -> Decision | None:
    if resource.attrs.get("owner_seat") == "support":
        return _deny("forbid:support-seat", _SUPPORT_OWNER[resource.kind])
    return None


def _plan_gate(subject: Subject, resource: Resource, context: Context) -> Decision | None:
    needed = resource.attrs.get("plan_feature")
    if needed is None:
        return None
    try:
        feature = PlanFeature(str(needed))
    except ValueError:
        return _deny("forbid:plan", f"unknown plan feature {needed!r}")
    if plan_allows(subject.org, feature, context.now):
        return None
    return _deny(
        f"plan:{feature}",
        f"{feature.replace('_', ' ')} needs the {minimum_plan(feature)} plan or a running trial; "
        f"this organisation is on {subject.org.plan}",
    )


_GATED_GRANTS = frozenset({GrantKind.SHARE, GrantKind.PATIENT_ACCESS})

_MEMBER_REMOVALS = (A.CHANGE_ROLE, A.DISABLE, A.ARCHIVE, A.DELETE)

FORBIDS: Mapping[Key, tuple[Forbid, ...]] = MappingProxyType(
    {
        **{(f, A.DELETE): (_only_owner_deletes,) for f in _ONLY_OWNER_DELETES},
        (F.MEMBERS, A.CHANGE_ROLE): (
            _not_own_roles, _rank_of_target, _rank_of_new_roles, _role_change_keeps_an_owner),
        (F.MEMBERS, A.INVITE): (_rank_of_new_roles,),
        **{(F.MEMBERS, a): (_rank_of_target, _keeps_an_owner) for a in _MEMBER_REMOVALS if a != A.CHANGE_ROLE},
        (F.MEMBERS, A.RESTORE): (_rank_of_target,),
        **{(f, A.APPROVE): (_not_own_request,) for f in (F.REFUNDS, F.CHARGES, F.TIME_TRACKING)},
        (F.REFUNDS, A.PROCESS): (_not_own_approval,),
        (F.SESSIONS, A.CREATE): (_owner_needs_standard_seat,),
        (F.APPOINTMENTS, A.CREATE): (_owner_needs_standard_seat,),
        (F.PATIENTS, A.ASSIGN): (_owner_needs_standard_seat,),
        (F.PATIENTS, A.CREATE): (_owner_needs_standard_seat,),  # a creator joining the new patient's care team
        (F.ROOMS, A.CREATE): (_owner_needs_standard_seat,),
    }
)


def _api_scope_allows(scopes: frozenset[str], feature: Feature, action: Action) -> bool:
    return (
        f"{feature}:{action}" in scopes
        or f"{feature}:*" in scopes
        or f"*:{action}" in scopes
        or "*:*" in scopes
    )


def grant_reaches(kind: GrantKind, feature: Feature, features: frozenset[Feature]) -> bool:
    """Whether a grant of this kind can reach a member whose roles cover `features`, for `feature`.

    Shares never reach a member whose roles give no clinical sessions (a Template Manager). Explicit
    patient access reaches the patient only for members whose roles read patients at all, and the
    patient's clinical records only for members whose roles give clinical sessions: a grant widens
    the reach of a role, it does not turn Front Desk or Call Center into readers of medical records.
    """
    if kind is GrantKind.SHARE:
        return F.SESSIONS in features
    if kind is GrantKind.PATIENT_ACCESS:
        return (F.SESSIONS if feature in CLINICAL_FEATURES else feature) in features
    return True


def _grant_decision(subject: Subject, resource: Resource, key: Key, context: Context) -> Decision | None:
    mine = resource.grants.get(subject.member_id)
    if not mine:
        return None
    for g in mine:
        if key in g.permits and (g.until is None or context.now < g.until):
            if g.kind in _GATED_GRANTS and not grant_reaches(g.kind, key[0], subject.index.features):
                continue
            if g.kind is GrantKind.PATIENT_ACCESS:
                return _as_their_own(subject, key, g.decision)
            return g.decision
    return None


def _as_their_own(subject: Subject, key: Key, granted: Decision) -> Decision:
    """Explicit access shows a patient as the member's roles would show one of their own: it reaches the
    patient, but a field every one of their roles hides (Front Desk: SSN, insurance, clinical summary)
    stays hidden."""
    rules = subject.index.rules.get(key)
    if not rules:
        return granted
    hidden = frozenset.intersection(*(r.hidden for r in rules))
    return Decision(True, granted.reasons, hidden) if hidden else granted


def decide(subject: Subject, action: Action, resource: Resource, context: Context) -> Decision:  # noqa: PLR0912 -- one hot function, inlined on purpose
    """Decide whether `subject` may do `action` on `resource` in `context`. Never raises to say no."""
    if subject.status is not _ACTIVE:
        return _STATUS_DENIALS[subject.status]
    if resource.org_id != subject.org_id:
        return CROSS_ORG
    key = (resource.kind, action)
    forbids = FORBIDS.get(key)
    if forbids is not None:
        for forbid in forbids:
            denial = forbid(subject, resource, context)
            if denial is not None:
                return denial
    if resource.attrs and "plan_feature" in resource.attrs:  # any object can need a plan feature
        denial = _plan_gate(subject, resource, context)
        if denial is not None:
            return denial
    if subject.api_scopes is not None and not _api_scope_allows(subject.api_scopes, resource.kind, action):
        return _deny("scope:api-key", f"this API key's scopes do not include {resource.kind}:{action}",
                     ReasonKind.SCOPE)
    rules = subject.index.rules.get(key)
    partial: Decision | None = None
    if rules is not None:
        me = subject.member_id
        for rule in rules:
            scope = rule.scope
            if scope is _OWN:
                if resource.owner_id != me:
                    continue
            elif scope is _ASSIGNED:
                if me not in resource.assigned_ids:
                    continue
            elif scope is _TEAM:
                if subject.team_ids.isdisjoint(resource.team_ids):
                    continue
            elif scope is _LOCATION and subject.location_ids.isdisjoint(resource.location_ids):
                continue
            if rule.team_id is not None and rule.team_id not in resource.team_ids:
                continue
            if rule.location_ids is not None and rule.location_ids.isdisjoint(resource.location_ids):
                continue
            if rule.conditions and not all(c.holds(subject, resource, context) for c in rule.conditions):
                continue
            if not rule.hidden:
                return rule.allow
            partial = rule.allow if partial is None else _widen(partial, rule.allow)
    if resource.grants:
        granted = _grant_decision(subject, resource, key, context)
        if granted is not None:
            return granted
    if partial is not None:
        return partial
    return subject.index.denial(key)


def _widen(a: Decision, b: Decision) -> Decision:
    """Two permits that each hide fields: the member sees what either lets them see."""
    return Decision(True, a.reasons + b.reasons, a.hidden_fields & b.hidden_fields)

