"""Checks on a custom role before it is saved: every problem found, each said plainly.

A custom role is written as plain data::

    {"name": "Lead Therapist", "parent": "clinician", "rank": 55,
     "permissions": {"patients": {"read": "org", "edit": {"scope": "assigned"}},
                     "charges": {"approve": {"scope": "org", "conditions": [
                         {"type": "attr", "attr": "amount", "op": "lt", "value": 500}]}},
                     "notes": {"delete": null}}}

Per feature and action, a scope, an object (scope, conditions, hidden_fields), a list of those, or
null to remove what the parent gives. Validation refuses unknown features, actions and scopes,
inheritance cycles, a rank above the creator's, and permissions the creator does not hold.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from caregate.engine.catalog import BUILTIN_ROLES, FEATURE_ACTIONS, STORED_ATTRIBUTES
from caregate.engine.conditions import AttrCompare, condition_from_data
from caregate.engine.errors import PolicyError, RoleValidationError
from caregate.engine.model import Action, Feature, Permission, Role, Scope
from caregate.engine.roles import Key, PermissionIndex, RoleSpec, Rule, resolve_role

PATIENT_FIELDS = frozenset(
    {"ssn", "insurance", "clinical_summary", "date_of_birth", "sex", "address", "phone", "email"}
)
HIDEABLE_FIELDS: Mapping[Feature, frozenset[str]] = {Feature.PATIENTS: PATIENT_FIELDS}
MAX_RANK = 100
_NAME = re.compile(r"^[\w][\w .'&()/-]{0,59}$")


def _parse_grant(feature: Feature, action: Action, raw: object, problems: list[str]) -> Permission | None:
    where = f"{feature}:{action}"
    if isinstance(raw, str):
        raw = {"scope": raw}
    if not isinstance(raw, dict):
        problems.append(f"{where}: give a scope such as 'own' or an object with 'scope'")
        return None
    unknown = set(raw) - {"scope", "conditions", "hidden_fields"}
    if unknown:
        problems.append(f"{where}: unknown keys {', '.join(sorted(map(str, unknown)))}")
    try:
        scope = Scope(str(raw.get("scope")))
    except ValueError:
        problems.append(f"{where}: scope must be one of {', '.join(Scope)}")
        return None
    conditions = []
    raw_conditions = raw.get("conditions", [])
    if not isinstance(raw_conditions, list) or len(raw_conditions) > 10:
        problems.append(f"{where}: conditions must be a list of at most 10")
        raw_conditions = []
    for item in raw_conditions:
        try:
            condition = condition_from_data(item)
        except PolicyError as exc:
            problems.append(f"{where}: {exc}")
            continue
        known = STORED_ATTRIBUTES.get(feature)
        if isinstance(condition, AttrCompare) and known is not None and condition.attr not in known:
            names = ", ".join(sorted(known)) or "none"
            problems.append(f"{where}: {feature} have no attribute {condition.attr!r} a condition can test "
                            f"(known: {names})")
            continue
        conditions.append(condition)
    hidden = raw.get("hidden_fields", [])
    allowed = HIDEABLE_FIELDS.get(feature, frozenset())
    if not isinstance(hidden, list) or any(not isinstance(h, str) or h not in allowed for h in hidden):
        names = ", ".join(sorted(allowed)) or "none"
        problems.append(f"{where}: hidden_fields must be a list of fields of {feature} ({names})")
        hidden = []
    return Permission(feature, action, scope, tuple(conditions), frozenset(hidden))


def parse_overrides(data: object, problems: list[str]) -> dict[Key, tuple[Permission, ...]]:
    """Turn the 'permissions' object into overrides, appending every problem found."""
    overrides: dict[Key, tuple[Permission, ...]] = {}
    if not isinstance(data, dict):
        problems.append("permissions must be an object of features, each an object of actions")
        return overrides
    for feature_name, actions in data.items():
        try:
            feature = Feature(str(feature_name))
        except ValueError:
            problems.append(f"unknown feature {feature_name!r}")
            continue
        if not isinstance(actions, dict):
            problems.append(f"{feature}: give an object of actions, e.g. {{\"read\": \"org\"}}")
            continue
        for action_name, raw in actions.items():
            try:
                action = Action(str(action_name))
            except ValueError:
                action = None
            if action is None or action not in FEATURE_ACTIONS[feature]:
                known = ", ".join(sorted(FEATURE_ACTIONS[feature]))
                problems.append(f"{feature}: unknown action {action_name!r} (known: {known})")
                continue
            items = raw if isinstance(raw, list) else ([] if raw is None else [raw])
            parsed = [_parse_grant(feature, action, item, problems) for item in items]
            overrides[(feature, action)] = tuple(p for p in parsed if p is not None)
    return overrides


def _covers(rule: Rule, perm: Permission) -> bool:
    """Whether the creator's rule already allows everything `perm` would: as wide a scope, no limit the
    permission drops, no condition it drops, no field it would show that the creator cannot see."""
    if rule.team_id is not None or rule.location_ids is not None:
        return False
    if rule.scope is not Scope.ORG and rule.scope is not perm.scope:
        return False
    if not set(rule.conditions) <= set(perm.conditions):
        return False
    return rule.hidden <= perm.hidden_fields


def _exceeds_creator(role: Role, creator: PermissionIndex) -> list[str]:
    """Permissions in `role` broader than anything the creator holds: nobody gives what they lack."""
    problems = []
    for perm in role.permissions:
        if not any(_covers(rule, perm) for rule in creator.rules.get(perm.key, ())):
            problems.append(f"{perm.feature}:{perm.action} ({perm.scope}) is more than you hold yourself")
    return problems


def validate_role(
    data: Mapping[str, object],
    *,
    key: str,
    existing: Mapping[str, RoleSpec],
    creator: PermissionIndex,
    version: int = 0,
) -> tuple[RoleSpec, Role]:
    """Validate a custom role written as data; return its spec and resolved role or raise with all problems."""
    problems: list[str] = []
    name = data.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name.strip()):
        problems.append("name must be 1 to 60 letters, digits, spaces or . ' & ( ) / -")
        name = ""
    name = name.strip()
    taken = {r.name.lower() for r in BUILTIN_ROLES.values()} | {
        s.name.lower() for k, s in existing.items() if k != key
    }
    if name and name.lower() in taken:
        problems.append(f"a role called {name!r} already exists")
    parent = data.get("parent")
    if parent is not None and (not isinstance(parent, str) or (
            parent not in BUILTIN_ROLES and parent not in existing)):
        problems.append(f"parent role {parent!r} does not exist")
        parent = None
    parent_rank = 1
    if isinstance(parent, str):
        parent_rank = BUILTIN_ROLES[parent].rank if parent in BUILTIN_ROLES else existing[parent].rank
    rank = data.get("rank", parent_rank)
    if not isinstance(rank, int) or isinstance(rank, bool) or not 1 <= rank <= MAX_RANK:
        problems.append(f"rank must be a whole number from 1 to {MAX_RANK}")
        rank = 1
    elif rank > creator.rank:
        problems.append(f"rank {rank} is above your own ({creator.rank}); you can only create roles at "
                        "your level or below")
    description = data.get("description", "")
    if not isinstance(description, str) or len(description) > 500:
        problems.append("description must be text of at most 500 characters")
        description = ""
    overrides = parse_overrides(data.get("permissions", {}), problems)
    if problems:
        raise RoleValidationError(problems)
    spec = RoleSpec(key, name, parent if isinstance(parent, str) else None, rank, overrides, description, version)
    role = resolve_role(spec, {**existing, key: spec})  # raises on a cycle
    problems += _exceeds_creator(role, creator)
    if problems:
        raise RoleValidationError(problems)
    return spec, role


def overrides_to_data(overrides: Mapping[Key, tuple[Permission, ...]]) -> dict[str, dict[str, object]]:
    """The inverse of `parse_overrides`, for storing a spec as JSON."""
    out: dict[str, dict[str, object]] = {}
    for (feature, action), perms in overrides.items():
        items: list[dict[str, object]] = [
            {
                "scope": str(p.scope),
                "conditions": [c.to_data() for c in p.conditions],
                "hidden_fields": sorted(p.hidden_fields),
            }
            for p in perms
        ]
        out.setdefault(str(feature), {})[str(action)] = items or None
    return out
