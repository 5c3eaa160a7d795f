"""Roles: built-in and custom side by side, the permission matrix, and custom role create / edit / delete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from caregate.engine import BUILTIN_ROLES, FEATURE_ACTIONS, Action, Feature, Role, RoleSpec, RoleValidationError
from caregate.engine.catalog import role_label
from caregate.engine.roles import resolve_roles
from caregate.engine.validate import overrides_to_data, validate_role
from caregate.service import resources
from caregate.service.actors import Actor, org_roles, role_spec
from caregate.service.authz import authorize
from caregate.service.context import UnitOfWork
from caregate.service.errors import Conflict, Invalid, NotFound
from caregate.service.views import MatrixView, PermissionView, RoleView
from caregate.store import repo
from caregate.store.ids import new_id
from caregate.store.tables import CustomRole, Organisation


def _permissions(role: Role) -> dict[str, dict[str, list[PermissionView]]]:
    out: dict[str, dict[str, list[PermissionView]]] = {}
    for perm in role.permissions:
        out.setdefault(str(perm.feature), {}).setdefault(str(perm.action), []).append(PermissionView(
            scope=str(perm.scope),
            conditions=[c.to_data() for c in perm.conditions],
            condition_text=" and ".join(c.describe() for c in perm.conditions),
            hidden_fields=sorted(perm.hidden_fields)))
    return out


def _view(role: Role, org: Organisation, holders: int) -> RoleView:
    name = role_label(role.key, org.preset) if role.builtin else role.name
    return RoleView(key=role.key, name=name, builtin=role.builtin, rank=role.rank, seat_type=str(role.seat),
                    parent=role.parent, description=role.description, holders=holders, version=role.version,
                    permissions=_permissions(role))


def _org(uow: UnitOfWork, actor: Actor, *, lock: bool = False) -> Organisation:
    org = repo.get_org(uow.session, org_id=actor.org_id, lock=lock)
    if org is None:
        raise NotFound("organisation not found")
    return org


def list_roles(uow: UnitOfWork, actor: Actor) -> list[RoleView]:
    org = _org(uow, actor)
    authorize(uow, actor, Action.READ, resources.org_object(Feature.ROLES, org.id))
    roles = org_roles(uow, org.id)
    return [_view(r, org, repo.role_holders(uow.session, org_id=org.id, role_key=r.key)) for r in roles.values()]


def get_role(uow: UnitOfWork, actor: Actor, *, key: str) -> RoleView:
    org = _org(uow, actor)
    authorize(uow, actor, Action.READ, resources.org_object(Feature.ROLES, org.id))
    role = org_roles(uow, org.id).get(key)
    if role is None:
        raise NotFound(f"role {key} not found")
    return _view(role, org, repo.role_holders(uow.session, org_id=org.id, role_key=key))


def matrix(uow: UnitOfWork, actor: Actor) -> MatrixView:
    """Every role's permissions, feature by feature and action by action, with scopes and conditions."""
    views = list_roles(uow, actor)
    return MatrixView(features={str(f): sorted(str(a) for a in actions) for f, actions in FEATURE_ACTIONS.items()},
                      roles=views)


def _specs(uow: UnitOfWork, org_id: str) -> dict[str, RoleSpec]:
    return {r.id: role_spec(r) for r in repo.custom_roles(uow.session, org_id=org_id)}


def _validated(uow: UnitOfWork, actor: Actor, data: Mapping[str, Any], *, key: str, version: int
               ) -> tuple[RoleSpec, Role]:
    specs = _specs(uow, actor.org_id)
    try:
        spec, role = validate_role(data, key=key, existing=specs, creator=actor.subject.index, version=version)
        resolve_roles([*(s for k, s in specs.items() if k != key), spec])  # dependants still resolve
    except RoleValidationError as exc:
        raise Invalid("the role is not valid", exc.problems) from None
    return spec, role


def create(uow: UnitOfWork, actor: Actor, *, data: Mapping[str, Any]) -> RoleView:
    org = _org(uow, actor, lock=True)
    authorize(uow, actor, Action.CREATE, resources.org_object(Feature.ROLES, org.id))
    key = new_id("role")
    spec, role = _validated(uow, actor, data, key=key, version=1)
    row = CustomRole(id=key, org_id=org.id, name=spec.name, parent=spec.parent, rank=spec.rank,
                     permissions=overrides_to_data(spec.overrides), description=spec.description, version=1,
                     created_at=uow.now, updated_at=uow.now, created_by=actor.member_id)
    uow.session.add(row)
    uow.record("roles.create", org_id=org.id, actor=actor, object_type="roles", object_id=key,
               after={"name": spec.name, "parent": spec.parent, "rank": spec.rank, "permissions": row.permissions})
    return _view(role, org, 0)


def _custom(uow: UnitOfWork, actor: Actor, key: str) -> CustomRole:
    if key in BUILTIN_ROLES:
        raise Conflict(f"{key} is a built-in role; built-in roles cannot be changed, create a custom role "
                       "with it as parent instead")
    row = repo.get_custom_role(uow.session, org_id=actor.org_id, role_id=key)
    if row is None:
        raise NotFound(f"role {key} not found")
    return row


def update(uow: UnitOfWork, actor: Actor, *, key: str, data: Mapping[str, Any]) -> RoleView:
    org = _org(uow, actor, lock=True)
    row = _custom(uow, actor, key)
    authorize(uow, actor, Action.EDIT, resources.org_object(Feature.ROLES, org.id))
    if row.rank > actor.subject.rank:
        raise Invalid(f"this role ranks above yours ({row.rank} > {actor.subject.rank}); you cannot edit it")
    before = {"name": row.name, "parent": row.parent, "rank": row.rank, "permissions": row.permissions}
    spec, role = _validated(uow, actor, data, key=key, version=row.version + 1)
    row.name, row.parent, row.rank = spec.name, spec.parent, spec.rank
    row.permissions, row.description = overrides_to_data(spec.overrides), spec.description
    row.version, row.updated_at = row.version + 1, uow.now
    uow.record("roles.edit", org_id=org.id, actor=actor, object_type="roles", object_id=key, before=before,
               after={"name": row.name, "parent": row.parent, "rank": row.rank, "permissions": row.permissions})
    return _view(role, org, repo.role_holders(uow.session, org_id=org.id, role_key=key))


def delete(uow: UnitOfWork, actor: Actor, *, key: str) -> None:
    org = _org(uow, actor, lock=True)
    row = _custom(uow, actor, key)
    authorize(uow, actor, Action.DELETE, resources.org_object(Feature.ROLES, org.id))
    holders = repo.role_holders(uow.session, org_id=org.id, role_key=key)
    if holders:
        raise Conflict(f"{holders} member(s) hold the role {row.name!r}; give them another role first")
    children = [r.name for r in repo.custom_roles(uow.session, org_id=org.id) if r.parent == key]
    if children:
        raise Conflict(f"the role {row.name!r} is the parent of {', '.join(children)}; change their parent first")
    uow.record("roles.delete", org_id=org.id, actor=actor, object_type="roles", object_id=key,
               before={"name": row.name, "parent": row.parent, "rank": row.rank, "permissions": row.permissions})
    uow.session.delete(row)
