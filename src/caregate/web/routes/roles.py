"""Roles: the permission matrix of every role, the presets, and the custom role editor."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from caregate.engine import FEATURE_ACTIONS, PRESETS, Scope
from caregate.engine.catalog import role_label
from caregate.service import roles
from caregate.service.errors import Conflict, Invalid, ServiceError
from caregate.service.views import RoleView
from caregate.web.edge import Page, WebRoute, done, page
from caregate.web.forms import AMOUNT_ACTIONS, INHERIT, NONE, RoleForm, cell, form_from_role, role_data, role_form

router = APIRouter(route_class=WebRoute, include_in_schema=False)
OrgId = Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_]+$")]
RoleKey = Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_]+$")]
FEATURES = {str(f): sorted(str(a) for a in actions) for f, actions in FEATURE_ACTIONS.items()}


async def form_data(request: Request) -> FormData:
    return await request.form(max_fields=2000)


Form = Annotated[FormData, Depends(form_data)]


def _ordered(views: list[RoleView]) -> list[RoleView]:
    """Built-in roles first, by rank; then the organisation's own, by rank."""
    return sorted(views, key=lambda r: (not r.builtin, -r.rank, r.name.lower()))


@router.get("/o/{org_id}/roles")
def matrix(request: Request, org_id: OrgId, feature: Annotated[str, Query(max_length=40)] = "") -> Response:
    with page(request, org_id, "roles") as p:
        view = roles.matrix(p.uow, p.actor)
        shown = {f: a for f, a in view.features.items() if not feature or f == feature}
        presets = [{"preset": pr, "labels": [role_label(k, pr.key) for k in pr.roles]} for pr in PRESETS.values()]
        return p.render("roles/matrix.html", roles=_ordered(view.roles), features=view.features, shown=shown,
                        feature=feature if feature in view.features else "", presets=presets)


def _editor(p: Page, form: RoleForm, *, key: str | None = None, status: int = 200,
            problems: list[str] | None = None) -> Response:
    all_roles = _ordered(roles.list_roles(p.uow, p.actor))
    parents = [r for r in all_roles if r.key != key]
    parent_view = next((r for r in all_roles if r.key == form.parent), None)
    inherited = {cell(f, a): ", ".join(sorted({x.scope for x in perms}))
                 for f, actions in (parent_view.permissions.items() if parent_view else ())
                 for a, perms in actions.items()}
    changes: dict[str, int] = {}
    for choice in form.choices:
        feature_name = choice.partition(":")[0]
        changes[feature_name] = changes.get(feature_name, 0) + 1
    return p.render("roles/edit.html", status, form=form, key=key, parents=parents, features=FEATURES, changes=changes,
                    inherited=inherited, scopes=[str(s) for s in Scope], inherit=INHERIT, none=NONE,
                    amount_actions=[cell(f, a) for f, a in AMOUNT_ACTIONS], problems=problems or [])


@router.get("/o/{org_id}/roles/new")
def new_role(request: Request, org_id: OrgId, parent: Annotated[str, Query(max_length=40)] = "clinician"
             ) -> Response:
    with page(request, org_id, "roles") as p:
        return _editor(p, RoleForm(parent=parent))


def _save(request: Request, org_id: str, form: FormData, key: str | None) -> Response:
    values = role_form(form)
    data, problems = role_data(values)
    error: ServiceError | None = None
    if not problems:
        try:
            with page(request, org_id, "roles") as p:
                saved: Any = roles.update(p.uow, p.actor, key=key, data=data) if key else \
                    roles.create(p.uow, p.actor, data=data)
            verb = "saved" if key else "created"
            return done(request, f"/o/{org_id}/roles#role-{saved.key}", f"The role {saved.name} was {verb}.")
        except (Invalid, Conflict) as exc:
            error = exc
            problems = exc.problems if isinstance(exc, Invalid) else [exc.detail]
    with page(request, org_id, "roles") as p:
        return _editor(p, values, key=key, status=409 if isinstance(error, Conflict) else 422, problems=problems)


@router.post("/o/{org_id}/roles/new")
def create_role(request: Request, org_id: OrgId, form: Form) -> Response:
    return _save(request, org_id, form, None)


@router.get("/o/{org_id}/roles/{key}/edit")
def edit_role(request: Request, org_id: OrgId, key: RoleKey) -> Response:
    with page(request, org_id, "roles") as p:
        role = roles.get_role(p.uow, p.actor, key=key)
        if role.builtin:
            raise Conflict(f"{role.name} is a built-in role and cannot be changed; create a custom role with it "
                           "as parent instead")
        parent = roles.get_role(p.uow, p.actor, key=role.parent) if role.parent else None
        return _editor(p, form_from_role(role, parent), key=key)


@router.post("/o/{org_id}/roles/{key}/edit")
def update_role(request: Request, org_id: OrgId, key: RoleKey, form: Form) -> Response:
    return _save(request, org_id, form, key)


@router.post("/o/{org_id}/roles/{key}/delete")
def delete_role(request: Request, org_id: OrgId, key: RoleKey) -> Response:
    with page(request, org_id, "roles") as p:
        name = roles.get_role(p.uow, p.actor, key=key).name
        roles.delete(p.uow, p.actor, key=key)
    return done(request, f"/o/{org_id}/roles", f"The role {name} was deleted.")
