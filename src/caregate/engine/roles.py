"""Roles: resolving inheritance into effective permissions, and compiling a member's roles into an index.

A custom role is stored as a `RoleSpec`: its parent and, per (feature, action), the permissions that
replace the parent's for that pair (an empty list removes what the parent gave). `resolve_roles` turns
specs into `Role`s with their effective permissions; `compile_index` turns the roles one member holds,
with the organisation's settings, into a `PermissionIndex` that `decide` reads with one dict lookup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from threading import Lock
from types import MappingProxyType

from caregate.engine.catalog import (
    ADMINISTRATOR,
    BUILTIN_ROLES,
    FEATURE_ACTIONS,
    OWNER,
    OWNERS_ONLY_FEATURES,
    OWNERS_ONLY_FROM_ADMINISTRATORS,
    TEMPLATE_MANAGER,
    VISIBILITY_PERMITS,
)
from caregate.engine.conditions import PlanAllows
from caregate.engine.errors import RoleValidationError
from caregate.engine.forbids import FORBIDS, Forbid
from caregate.engine.model import (
    Action,
    BillingPolicy,
    Condition,
    Context,
    Decision,
    Feature,
    OrgPolicy,
    Permission,
    PlanFeature,
    Reason,
    ReasonKind,
    Resource,
    Role,
    RoleAssignment,
    Scope,
    SeatType,
    Subject,
)
from caregate.engine.plans import PLAN_FEATURES

Key = tuple[Feature, Action]

# Permissions whose holder owns clinical work or administers the organisation: they need a standard seat.
_STANDARD_MARKERS = frozenset(
    {
        (Feature.SESSIONS, Action.CREATE, Scope.OWN),
        (Feature.SESSIONS, Action.RECORD, Scope.OWN),
        (Feature.PATIENTS, Action.READ, Scope.ASSIGNED),
        (Feature.MEMBERS, Action.INVITE, Scope.ORG),
        (Feature.MEMBERS, Action.CHANGE_ROLE, Scope.ORG),
    }
)


@dataclass(frozen=True, slots=True)
class RoleSpec:
    """A custom role as written by an organisation, before inheritance is resolved."""

    key: str
    name: str
    parent: str | None
    rank: int
    overrides: Mapping[Key, tuple[Permission, ...]] = field(default_factory=dict)
    description: str = ""
    version: int = 0


def _lineage(spec: RoleSpec, specs: Mapping[str, RoleSpec]) -> list[str]:
    """The chain of parents from `spec` upwards; raise on a cycle or an unknown parent."""
    chain = [spec.key]
    parent = spec.parent
    while parent is not None:
        if parent in chain:
            cycle = " -> ".join([*chain, parent])
            raise RoleValidationError([f"role inheritance has a cycle: {cycle}"])
        chain.append(parent)
        if parent in BUILTIN_ROLES:
            break
        nxt = specs.get(parent)
        if nxt is None:
            raise RoleValidationError([f"parent role {parent!r} does not exist"])
        parent = nxt.parent
    return chain


def resolve_role(spec: RoleSpec, specs: Mapping[str, RoleSpec]) -> Role:
    """Resolve one custom role through its parents (built-in or custom) into effective permissions."""
    chain = _lineage(spec, specs)
    top = chain[-1]
    if top in BUILTIN_ROLES:
        base = BUILTIN_ROLES[top]
        merged: dict[Key, tuple[Permission, ...]] = {}
        for perm in base.permissions:
            merged[perm.key] = (*merged.get(perm.key, ()), perm)
        seat = base.seat
        custom_chain = chain[:-1]
    else:
        merged, seat, custom_chain = {}, SeatType.SUPPORT, chain
    for key in reversed(custom_chain):
        merged.update(specs[key].overrides if key != spec.key else spec.overrides)
    permissions = tuple(p for perms in merged.values() for p in perms)
    if any((p.feature, p.action, p.scope) in _STANDARD_MARKERS for p in permissions):
        seat = SeatType.STANDARD
    return Role(
        key=spec.key,
        name=spec.name,
        rank=spec.rank,
        permissions=permissions,
        builtin=False,
        parent=spec.parent,
        seat=seat,
        description=spec.description,
        version=spec.version,
        lineage=tuple(chain[1:]),
    )


def resolve_roles(specs: Iterable[RoleSpec]) -> dict[str, Role]:
    """All roles of an organisation by key: the built-in ones and its resolved custom ones."""
    by_key = {s.key: s for s in specs}
    roles: dict[str, Role] = dict(BUILTIN_ROLES)
    for spec in by_key.values():
        roles[spec.key] = resolve_role(spec, by_key)
    return roles


@dataclass(frozen=True, slots=True)
class Until:
    """Only before a moment (an expiring role assignment)."""

    moment: datetime

    def holds(self, subject: Subject, resource: Resource, context: Context) -> bool:
        return context.now < self.moment

    def describe(self) -> str:
        return f"until {self.moment.isoformat()}"

    def to_data(self) -> dict[str, object]:
        return {"type": "until", "moment": self.moment.isoformat()}


@dataclass(frozen=True, slots=True)
class Rule:
    """One compiled permission of one assignment: where it reaches and the decision it gives."""

    scope: Scope
    team_id: str | None
    location_ids: frozenset[str] | None
    conditions: tuple[Condition, ...]
    hidden: frozenset[str]
    allow: Decision
    role_key: str
    hint: str
    # no limit, no condition, no hidden field: once the scope matches, the answer is `allow`
    plain: bool = False


def _scope_phrase(perm: Permission, assignment: RoleAssignment) -> str:
    where = {
        Scope.OWN: "their own",
        Scope.ASSIGNED: "assigned",
        Scope.TEAM: "their teams'",
        Scope.LOCATION: "their locations'",
        Scope.ORG: "all",
    }[perm.scope]
    text = f"{where} {perm.feature}"
    if assignment.team_id:
        text += f" in team {assignment.team_id}"
    if assignment.location_id:
        text += f" at location {assignment.location_id}"
    conditions = perm.conditions + assignment.conditions
    if conditions:
        text += " when " + " and ".join(c.describe() for c in conditions)
    return text


def _rule(perm: Permission, assignment: RoleAssignment, name: str, *, setting: str | None = None) -> Rule:
    conditions = perm.conditions + assignment.conditions
    if assignment.expires_at is not None:
        conditions = (*conditions, Until(assignment.expires_at))
    phrase = _scope_phrase(perm, assignment)
    if setting is None:
        reason = Reason(ReasonKind.ROLE, f"role:{assignment.role.key}",
                        f"role {name} allows {perm.feature}:{perm.action} on {phrase}")
    else:
        reason = Reason(ReasonKind.SETTING, f"setting:{setting}",
                        f"setting {setting} lets role {name} {perm.action} {phrase}")
    locations = assignment.location_ids or (
        frozenset({assignment.location_id}) if assignment.location_id else None
    )
    return Rule(
        scope=perm.scope,
        team_id=assignment.team_id,
        location_ids=locations,
        conditions=conditions,
        hidden=perm.hidden_fields,
        allow=Decision(True, (reason,), perm.hidden_fields),
        role_key=assignment.role.key,
        hint=f"{name} allows it only on {phrase}",
        plain=assignment.team_id is None and locations is None and not conditions and not perm.hidden_fields,
    )


Entry = tuple[tuple[Forbid, ...], tuple[Rule, ...], Decision]


def _denial(key: Key, rules: tuple[Rule, ...], withheld: tuple[str, ...]) -> Decision:
    """The default-deny decision for a key, naming the near misses so a person can read why."""
    feature, action = key
    reasons = [Reason(ReasonKind.DEFAULT, "default-deny",
                      f"no role or grant of this member allows {feature}:{action} here")]
    reasons += [Reason(ReasonKind.ROLE, f"role:{r.role_key}", r.hint) for r in rules]
    reasons += [Reason(ReasonKind.SETTING, "setting", text) for text in withheld]
    return Decision(False, tuple(reasons))


class PermissionIndex:
    """A member's effective permissions: per feature and action, the forbids, the rules and the denial."""

    __slots__ = ("features", "rank", "role_keys", "rules", "seat", "table", "withheld")

    def __init__(
        self,
        rules: Mapping[Key, tuple[Rule, ...]],
        *,
        rank: int,
        seat: SeatType,
        role_keys: frozenset[str],
        withheld: Mapping[Key, tuple[str, ...]],
    ) -> None:
        self.rules = rules
        self.rank = rank
        self.seat = seat
        self.role_keys = role_keys
        self.withheld = withheld
        self.features = frozenset(k[0] for k in rules)
        # plain dicts, not mapping proxies: this is read on every decision
        self.table: dict[Feature, dict[Action, Entry]] = {
            feature: {
                action: (FORBIDS.get((feature, action), ()), rules.get((feature, action), ()),
                         _denial((feature, action), rules.get((feature, action), ()),
                                 withheld.get((feature, action), ())))
                for action in actions
            }
            for feature, actions in FEATURE_ACTIONS.items()
        }

    def allows_somewhere(self, feature: Feature, action: Action) -> bool:
        return (feature, action) in self.rules

    def denial(self, key: Key) -> Decision:
        return self.table[key[0]][key[1]][2]


def _label(role: Role, labels: Mapping[str, str]) -> str:
    return labels.get(role.key, role.name)


def compile_index(
    assignments: Iterable[RoleAssignment],
    org: OrgPolicy,
    labels: Mapping[str, str] = MappingProxyType({}),
) -> PermissionIndex:
    """Compile the roles a member holds, under the organisation's settings, into a `PermissionIndex`."""
    rules: dict[Key, list[Rule]] = {}
    withheld: dict[Key, list[str]] = {}
    rank, seat, keys = 0, SeatType.SUPPORT, set()
    for assignment in assignments:
        role = assignment.role
        lineage = {role.key, *role.lineage}
        name = _label(role, labels)
        if TEMPLATE_MANAGER in lineage and not org.template_manager_enabled:
            for perm in role.permissions:
                withheld.setdefault(perm.key, []).append(
                    f"the Template Manager role is switched off in this organisation ({name} gives nothing)")
            continue
        keys.add(role.key)
        rank = max(rank, role.rank)
        if role.seat is SeatType.STANDARD:
            seat = SeatType.STANDARD
        withhold: frozenset[Feature] = frozenset()
        if org.billing_policy is BillingPolicy.OWNERS_ONLY and OWNER not in lineage:
            withhold = OWNERS_ONLY_FROM_ADMINISTRATORS if ADMINISTRATOR in lineage else OWNERS_ONLY_FEATURES
        for perm in role.permissions:
            if perm.feature in withhold:
                withheld.setdefault(perm.key, []).append(
                    f"billing policy 'owners only' keeps {perm.feature} from {name}")
                continue
            rules.setdefault(perm.key, []).append(_rule(perm, assignment, name))
        # Template Managers never reach sessions, whatever roles the setting names (the first seed)
        if org.session_visibility and lineage & org.visibility_roles and TEMPLATE_MANAGER not in lineage:
            # the plan either has the feature (no condition needed) or only a trial may open it (checked per request)
            gate = () if PlanFeature.SESSION_VISIBILITY in PLAN_FEATURES[org.plan] else (
                PlanAllows(PlanFeature.SESSION_VISIBILITY),)
            for feature, action in VISIBILITY_PERMITS:
                perm = Permission(feature, action, Scope.TEAM, gate)
                rules.setdefault(perm.key, []).append(
                    _rule(perm, assignment, name, setting="session_visibility"))
    # Cheapest first: plain rules, then conditional ones, then those hiding fields (the first match that
    # hides nothing ends the search). The order never changes the answer, only how fast it comes.
    ordered = {k: tuple(sorted(v, key=lambda r: (bool(r.hidden), not r.plain))) for k, v in rules.items()}
    return PermissionIndex(
        MappingProxyType(ordered),
        rank=rank,
        seat=seat,
        role_keys=frozenset(keys),
        withheld=MappingProxyType({k: tuple(v) for k, v in withheld.items()}),
    )


class IndexCache:
    """Compiled indexes keyed by the full value of the assignments, settings and labels.

    Nothing here can go stale: the key is the roles' content (not an id or a version that someone must
    remember to bump), so any change of a role, an assignment or a setting is a new key and the next
    request compiles afresh. The cache is cleared when full.
    """

    def __init__(self, max_entries: int = 4096) -> None:
        self._entries: dict[object, PermissionIndex] = {}
        self._max = max_entries
        self._lock = Lock()

    def get(
        self,
        assignments: tuple[RoleAssignment, ...],
        org: OrgPolicy,
        labels: Mapping[str, str] = MappingProxyType({}),
    ) -> PermissionIndex:
        key = (assignments, org, tuple(sorted(labels.items())))
        found = self._entries.get(key)
        if found is not None:
            return found
        index = compile_index(assignments, org, labels)
        with self._lock:
            if len(self._entries) >= self._max:
                self._entries.clear()
            self._entries[key] = index
        return index
