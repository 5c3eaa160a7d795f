"""Form fields to use-case arguments: role grants with where they apply, and custom role definitions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from caregate.engine import FEATURE_ACTIONS, Action, Feature, Scope
from caregate.service.members import RoleGrant
from caregate.service.views import MemberView, PermissionView, RoleView

AMOUNT_ACTIONS: tuple[tuple[Feature, Action], ...] = tuple(
    (f, a) for f in (Feature.CHARGES, Feature.REFUNDS, Feature.PAYMENTS, Feature.INVOICES)
    for a in sorted(FEATURE_ACTIONS[f]) if a in (Action.APPROVE, Action.CREATE, Action.PROCESS, Action.EDIT))
INHERIT, NONE = "inherit", "none"


def where_value(team_id: str | None, location_id: str | None) -> str:
    if team_id:
        return f"team:{team_id}"
    if location_id:
        return f"location:{location_id}"
    return ""


def grants_from_form(form: FormData, current: MemberView | None = None) -> list[RoleGrant]:
    """The checked roles, each organisation-wide or limited to the team or location chosen beside it.

    An unchanged grant keeps its expiry date: the form does not show it, so it must not drop it.
    """
    expiries = {(g.role, g.team_id, g.location_id): g.expires_at for g in (current.roles if current else [])}
    out = []
    for key in list(dict.fromkeys(str(v) for v in form.getlist("role")))[:20]:
        where = str(form.get(f"where_{key}", "") or "")
        kind, _, ident = where.partition(":")
        team_id = ident if kind == "team" and ident else None
        location_id = ident if kind == "location" and ident else None
        out.append(RoleGrant(role=key, team_id=team_id, location_id=location_id,
                             expires_at=expiries.get((key, team_id, location_id))))
    return out


def strings(form: FormData, name: str, limit: int = 50) -> list[str]:
    return [str(v) for v in form.getlist(name)][:limit]


@dataclass
class RoleForm:
    """A custom role as the form shows it: the choices per (feature, action) and the amount limit."""

    name: str = ""
    description: str = ""
    parent: str = ""
    rank: str = ""
    choices: dict[str, str] = field(default_factory=dict)  # "feature:action" -> inherit | none | scope
    limit_on: str = ""
    limit_amount: str = ""


def cell(feature: object, action: object) -> str:
    return f"{feature}:{action}"


def _scopes(perms: Sequence[PermissionView]) -> list[str]:
    return sorted({p.scope for p in perms})


def form_from_role(role: RoleView, parent: RoleView | None) -> RoleForm:
    """Prefill the editor: wherever the role differs from its parent, show what the role gives."""
    form = RoleForm(name=role.name, description=role.description, parent=role.parent or "", rank=str(role.rank))
    for feature, actions in FEATURE_ACTIONS.items():
        for action in actions:
            mine = role.permissions.get(str(feature), {}).get(str(action), [])
            theirs = parent.permissions.get(str(feature), {}).get(str(action), []) if parent else []
            if [p.model_dump() for p in mine] == [p.model_dump() for p in theirs]:
                continue
            scopes = _scopes(mine)
            form.choices[cell(feature, action)] = scopes[-1] if scopes else NONE
            amount = next((c.get("value") for p in mine for c in p.conditions
                           if c.get("type") == "attr" and c.get("attr") == "amount" and c.get("op") == "lt"), None)
            if amount is not None:
                form.limit_on, form.limit_amount = cell(feature, action), str(amount)
    return form


def role_form(form: FormData) -> RoleForm:
    out = RoleForm(name=str(form.get("name", "")), description=str(form.get("description", "")),
                   parent=str(form.get("parent", "")), rank=str(form.get("rank", "")),
                   limit_on=str(form.get("limit_on", "")), limit_amount=str(form.get("limit_amount", "")).strip())
    for feature, actions in FEATURE_ACTIONS.items():
        for action in actions:
            value = str(form.get(f"perm_{feature}_{action}", INHERIT))
            if value != INHERIT:
                out.choices[cell(feature, action)] = value
    return out


def role_data(form: RoleForm) -> tuple[dict[str, Any], list[str]]:
    """The definition the roles use case takes, and the problems only the form can see."""
    problems: list[str] = []
    data: dict[str, Any] = {"name": form.name.strip(), "description": form.description.strip(),
                            "parent": form.parent or None}
    if form.rank.strip():
        try:
            data["rank"] = int(form.rank)
        except ValueError:
            problems.append("rank must be a whole number")
    permissions: dict[str, dict[str, Any]] = {}
    scopes = {str(s) for s in Scope}
    for key, value in form.choices.items():
        feature, _, action = key.partition(":")
        if value == NONE:
            permissions.setdefault(feature, {})[action] = None
        elif value in scopes:
            permissions.setdefault(feature, {})[action] = {"scope": value}
        else:
            problems.append(f"{feature} {action}: choose a scope from the list")
    if form.limit_amount:
        _add_limit(form, permissions, problems)
    data["permissions"] = permissions
    return data, problems


def _add_limit(form: RoleForm, permissions: dict[str, dict[str, Any]], problems: list[str]) -> None:
    try:
        amount = float(form.limit_amount)
    except ValueError:
        problems.append("the amount limit must be a number, e.g. 500")
        return
    if amount <= 0:
        problems.append("the amount limit must be more than 0")
        return
    feature, _, action = form.limit_on.partition(":")
    if (feature, action) not in {(str(f), str(a)) for f, a in AMOUNT_ACTIONS}:
        problems.append("choose which permission the amount limit applies to")
        return
    grant = permissions.get(feature, {}).get(action)
    if not isinstance(grant, Mapping):
        problems.append(f"to limit {feature} {action} by amount, choose its scope in the table (not "
                        "'as parent' or 'none')")
        return
    value: int | float = int(amount) if amount.is_integer() else amount
    permissions[feature][action] = {**grant, "conditions": [
        {"type": "attr", "attr": "amount", "op": "lt", "value": value}]}
