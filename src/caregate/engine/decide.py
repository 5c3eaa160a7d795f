"""The one decision function.

Order of evaluation, as in Cedar: the member's status and organisation first, then the forbids (rules
that hold whatever the roles), then the permits of roles, settings and grants; nothing matching means
deny. A forbid beats any permit. Each answer carries the reasons that decided it.

This is the hot path (benchmarked in bench/decide.py): the member's index holds, per feature and action,
the forbids, the compiled rules and the ready-made denial, so a decision is one nested dict lookup and a
short loop, with no allocation when the answer is one of the prepared ones.
"""

from __future__ import annotations

from caregate.engine.catalog import CLINICAL_FEATURES
from caregate.engine.forbids import FORBIDS, Forbid, deny, plan_gate
from caregate.engine.model import (
    EMPTY,
    NO_GRANTS,
    Action,
    Context,
    Decision,
    Feature,
    Grant,
    GrantKind,
    MemberStatus,
    ReasonKind,
    Resource,
    Scope,
    Subject,
)
from caregate.engine.roles import Key

_ACTIVE = MemberStatus.ACTIVE
_ORG, _OWN, _ASSIGNED, _TEAM, _LOCATION = Scope.ORG, Scope.OWN, Scope.ASSIGNED, Scope.TEAM, Scope.LOCATION
_SHARE = GrantKind.SHARE
_GATED_GRANTS = frozenset({GrantKind.SHARE, GrantKind.PATIENT_ACCESS, GrantKind.BREAK_GLASS})
# access to one patient, given by an administrator or taken in an emergency: the same reach, the same fields
_PATIENT_GRANTS = frozenset({GrantKind.PATIENT_ACCESS, GrantKind.BREAK_GLASS})

_STATUS_DENIALS = {
    status: deny(f"status:{status}", text, ReasonKind.STATUS)
    for status, text in {
        MemberStatus.INVITED: "the member has not accepted the invitation yet",
        MemberStatus.DISABLED: "the member is disabled",
        MemberStatus.ARCHIVED: "the member is archived",
    }.items()
}
CROSS_ORG = deny("forbid:cross-org", "the object belongs to another organisation; nothing crosses organisations")
UNKNOWN_ACTION = deny("default-deny", "that action does not exist for this kind of object", ReasonKind.DEFAULT)

__all__ = ["CROSS_ORG", "FORBIDS", "Forbid", "api_scope_allows", "decide"]


def api_scope_allows(scopes: frozenset[str], feature: Feature, action: Action) -> bool:
    return (
        f"{feature}:{action}" in scopes
        or f"{feature}:*" in scopes
        or f"*:{action}" in scopes
        or "*:*" in scopes
    )


def grant_reaches(kind: GrantKind, feature: Feature, features: frozenset[Feature]) -> bool:
    """Whether a grant of this kind can reach a member whose roles cover `features`, for `feature`.

    Shares never reach a member whose roles give no clinical sessions (a Template Manager). Explicit
    patient access, and break-glass access (explicit access taken in an emergency), reach the patient
    only for members whose roles read patients at all, and the patient's clinical records only for
    members whose roles give clinical sessions: a grant widens the reach of a role, it does not turn
    Front Desk or Call Center into readers of medical records.
    """
    if kind is GrantKind.SHARE:
        return Feature.SESSIONS in features
    if kind in _PATIENT_GRANTS:
        return (Feature.SESSIONS if feature in CLINICAL_FEATURES else feature) in features
    return True


def _grant_decision(subject: Subject, mine: tuple[Grant, ...], key: Key, context: Context) -> Decision | None:
    for g in mine:
        if key in g.permits and (g.until is None or context.now < g.until):
            if g.kind in _GATED_GRANTS and not grant_reaches(g.kind, key[0], subject.index.features):
                continue
            if g.kind in _PATIENT_GRANTS:
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


def decide(subject: Subject, action: Action, resource: Resource, context: Context) -> Decision:  # noqa: PLR0912
    """Decide whether `subject` may do `action` on `resource` in `context`. Never raises to say no."""
    if subject.status is not _ACTIVE:
        return _STATUS_DENIALS[subject.status]
    if resource.org_id != subject.org_id:
        return CROSS_ORG
    entry = subject.index.table[resource.kind].get(action)  # every feature is in the table
    if entry is None:
        return UNKNOWN_ACTION
    forbids, rules, denial = entry
    if forbids:
        for forbid in forbids:
            refused = forbid(subject, resource, context)
            if refused is not None:
                return refused
    attrs = resource.attrs
    if attrs is not EMPTY and "plan_feature" in attrs:  # any object can need a plan feature
        refused = plan_gate(subject, resource, context)
        if refused is not None:
            return refused
    if subject.api_scopes is not None and not api_scope_allows(subject.api_scopes, resource.kind, action):
        return deny("scope:api-key", f"this API key's scopes do not include {resource.kind}:{action}",
                    ReasonKind.SCOPE)
    partial: Decision | None = None
    for rule in rules:
        scope = rule.scope
        if scope is _ORG:
            pass
        elif scope is _OWN:
            if resource.owner_id != subject.member_id:
                continue
        elif scope is _TEAM:
            if subject.team_ids.isdisjoint(resource.team_ids):
                continue
        elif scope is _ASSIGNED:
            if subject.member_id not in resource.assigned_ids:
                continue
        elif subject.location_ids.isdisjoint(resource.location_ids):
            continue
        if rule.plain:
            return rule.allow
        if rule.team_id is not None and rule.team_id not in resource.team_ids:
            continue
        if rule.location_ids is not None and rule.location_ids.isdisjoint(resource.location_ids):
            continue
        if rule.conditions:
            for condition in rule.conditions:  # a loop, not all(<generator>): this is the hot path
                if not condition.holds(subject, resource, context):
                    break
            else:
                condition = None
            if condition is not None:
                continue
        if not rule.hidden:
            return rule.allow
        partial = rule.allow if partial is None else _widen(partial, rule.allow)
    grants = resource.grants
    if grants is not NO_GRANTS:
        mine = grants.get(subject.member_id)
        if mine:
            granted = _grant_decision(subject, mine, (resource.kind, action), context)
            if granted is not None:
                return granted
    return partial if partial is not None else denial


def _widen(a: Decision, b: Decision) -> Decision:
    """Two permits that each hide fields: the member sees what either lets them see."""
    return Decision(True, a.reasons + b.reasons, a.hidden_fields & b.hidden_fields)
