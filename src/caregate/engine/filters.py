"""A decision turned into a query predicate: "which objects of this kind may this member <action>?".

`predicate_for(subject, feature, action, context)` reads the same compiled rules and forbids as
`decide` and returns a small predicate tree over the fields of a `Resource` (owner, creator, teams,
locations, assigned members, attributes, grants). The store compiles it to SQL, so list endpoints,
counts and lookups are filtered in the database by exactly the rules that decide single reads.

Conditions that do not depend on the object (time windows, IP ranges, MFA recency, the plan, an
expiring assignment) are evaluated here, once, to true or false. The property tests check that, for
random data, the set a predicate selects equals the set `decide` allows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from caregate.engine.conditions import AttrCompare, CreatedBySelf, Op, OwnedByOther, attr_holds
from caregate.engine.decide import api_scope_allows, grant_reaches
from caregate.engine.forbids import FORBIDS, Forbid, not_own_approval, not_own_request, only_owner_deletes
from caregate.engine.model import (
    Action,
    Condition,
    Context,
    Feature,
    GrantKind,
    MemberStatus,
    PlanFeature,
    Resource,
    Scope,
    Subject,
)
from caregate.engine.plans import plan_allows
from caregate.engine.roles import Key, Rule


@dataclass(frozen=True, slots=True)
class Always:
    def __str__(self) -> str:
        return "true"


@dataclass(frozen=True, slots=True)
class Never:
    def __str__(self) -> str:
        return "false"


@dataclass(frozen=True, slots=True)
class OwnerIs:
    member_id: str
    negate: bool = False


@dataclass(frozen=True, slots=True)
class CreatedBy:
    member_id: str


@dataclass(frozen=True, slots=True)
class AssignedTo:
    member_id: str


@dataclass(frozen=True, slots=True)
class InTeams:
    team_ids: frozenset[str]


@dataclass(frozen=True, slots=True)
class AtLocations:
    location_ids: frozenset[str]


@dataclass(frozen=True, slots=True)
class Attr:
    attr: str
    op: Op
    value: object


@dataclass(frozen=True, slots=True)
class HasGrant:
    """The object carries an unexpired grant for the member that permits this (feature, action).

    `shares_allowed` / `patient_access_allowed` say whether grants of those kinds can reach the member
    at all (see `decide.grant_reaches`); `at` is the moment a grant's `until` is compared with.
    """

    member_id: str
    key: Key
    shares_allowed: bool
    patient_access_allowed: bool = True
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class And:
    parts: tuple[Predicate, ...]


@dataclass(frozen=True, slots=True)
class Or:
    parts: tuple[Predicate, ...]


@dataclass(frozen=True, slots=True)
class Not:
    part: Predicate


Predicate = Always | Never | OwnerIs | CreatedBy | AssignedTo | InTeams | AtLocations | Attr | HasGrant | And | Or | Not
TRUE, FALSE = Always(), Never()


def all_of(*parts: Predicate) -> Predicate:
    flat: list[Predicate] = []
    for part in parts:
        if isinstance(part, Never):
            return FALSE
        if isinstance(part, And):
            flat.extend(part.parts)
        elif not isinstance(part, Always):
            flat.append(part)
    if not flat:
        return TRUE
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def any_of(*parts: Predicate) -> Predicate:
    flat: list[Predicate] = []
    for part in parts:
        if isinstance(part, Always):
            return TRUE
        if isinstance(part, Or):
            flat.extend(part.parts)
        elif not isinstance(part, Never):
            flat.append(part)
    if not flat:
        return FALSE
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


_PROBE = Resource(Feature.ORGANISATION, "")  # an object about which nothing is known


def _condition(cond: Condition, subject: Subject, context: Context) -> Predicate:
    if isinstance(cond, AttrCompare):
        return Attr(cond.attr, cond.op, cond.value)
    if isinstance(cond, CreatedBySelf):
        return CreatedBy(subject.member_id)
    if isinstance(cond, OwnedByOther):
        return OwnerIs(subject.member_id, negate=True)
    # Every other condition reads only the subject and the context: settle it now.
    return TRUE if cond.holds(subject, _PROBE, context) else FALSE


def _scope(rule: Rule, subject: Subject) -> Predicate:
    scope = rule.scope
    if scope is Scope.OWN:
        return OwnerIs(subject.member_id)
    if scope is Scope.ASSIGNED:
        return AssignedTo(subject.member_id)
    if scope is Scope.TEAM:
        return InTeams(subject.team_ids) if subject.team_ids else FALSE
    if scope is Scope.LOCATION:
        return AtLocations(subject.location_ids) if subject.location_ids else FALSE
    return TRUE


def _rule(rule: Rule, subject: Subject, context: Context) -> Predicate:
    parts = [_scope(rule, subject)]
    if rule.team_id is not None:
        parts.append(InTeams(frozenset({rule.team_id})))
    if rule.location_ids is not None:
        parts.append(AtLocations(rule.location_ids))
    parts += [_condition(c, subject, context) for c in rule.conditions]
    return all_of(*parts)


def _owner_only(subject: Subject, context: Context) -> Predicate:
    return OwnerIs(subject.member_id)


def _not_requested_by_me(subject: Subject, context: Context) -> Predicate:
    return Not(Attr("requested_by", Op.EQ, subject.member_id))


def _not_approved_by_me(subject: Subject, context: Context) -> Predicate:
    return Not(Attr("approved_by", Op.EQ, subject.member_id))


def _plan_allows_it(subject: Subject, context: Context) -> Predicate:
    missing = tuple(str(f) for f in PlanFeature if not plan_allows(subject.org, f, context.now))
    return Not(Attr("plan_feature", Op.IN, missing)) if missing else TRUE


# For each forbid of `decide`, where it lets objects through, as a predicate. Forbids that read
# attributes only a single write has (ranks, new roles, seats) have no list form: lookups refuse them.
# Nor has members:review's own-access forbid: members are no lookup type, and no list is filtered by it.
_FORBID_FILTERS: Mapping[Forbid, Callable[[Subject, Context], Predicate]] = MappingProxyType({
    only_owner_deletes: _owner_only,
    not_own_request: _not_requested_by_me,
    not_own_approval: _not_approved_by_me,
})


class NotFilterable(ValueError):
    """The action's rules read facts that exist only for a single write; ask `decide` per object."""


def predicate_for(subject: Subject, feature: Feature, action: Action, context: Context) -> Predicate:
    """The objects of `feature` on which `subject` may do `action`, as a predicate; same rules as decide."""
    if subject.status is not MemberStatus.ACTIVE:
        return FALSE
    key = (feature, action)
    if subject.api_scopes is not None and not api_scope_allows(subject.api_scopes, feature, action):
        return FALSE
    forbid_parts: list[Predicate] = []
    for forbid in FORBIDS.get(key, ()):
        translate = _FORBID_FILTERS.get(forbid)
        if translate is None:
            raise NotFilterable(f"{feature}:{action} cannot be answered as a list; check each object")
        forbid_parts.append(translate(subject, context))
    permits = [_rule(rule, subject, context) for rule in subject.index.rules.get(key, ())]
    features = subject.index.features
    permits.append(HasGrant(subject.member_id, key, grant_reaches(GrantKind.SHARE, feature, features),
                            grant_reaches(GrantKind.PATIENT_ACCESS, feature, features), context.now))
    return all_of(*forbid_parts, _plan_allows_it(subject, context), any_of(*permits))


def evaluate(pred: Predicate, resource: Resource, context: Context) -> bool:  # noqa: PLR0912 -- one branch per node
    """Evaluate a predicate on one object in Python (for tests and for objects outside the database)."""
    if isinstance(pred, Always):
        return True
    if isinstance(pred, Never):
        return False
    if isinstance(pred, OwnerIs):
        return (resource.owner_id is not None and resource.owner_id != pred.member_id) if pred.negate \
            else resource.owner_id == pred.member_id
    if isinstance(pred, CreatedBy):
        return resource.created_by == pred.member_id
    if isinstance(pred, AssignedTo):
        return pred.member_id in resource.assigned_ids
    if isinstance(pred, InTeams):
        return not pred.team_ids.isdisjoint(resource.team_ids)
    if isinstance(pred, AtLocations):
        return not pred.location_ids.isdisjoint(resource.location_ids)
    if isinstance(pred, Attr):
        return attr_holds(resource.attrs, pred.attr, pred.op, pred.value)
    if isinstance(pred, HasGrant):
        for g in resource.grants.get(pred.member_id, ()):
            if pred.key in g.permits and (g.until is None or context.now < g.until):
                if g.kind is GrantKind.SHARE and not pred.shares_allowed:
                    continue
                if g.kind in (GrantKind.PATIENT_ACCESS, GrantKind.BREAK_GLASS) and not pred.patient_access_allowed:
                    continue
                return True
        return False
    if isinstance(pred, And):
        return all(evaluate(p, resource, context) for p in pred.parts)
    if isinstance(pred, Or):
        return any(evaluate(p, resource, context) for p in pred.parts)
    return not evaluate(pred.part, resource, context)


__all__ = ["FALSE", "TRUE", "NotFilterable", "Predicate", "evaluate", "predicate_for"]
