from __future__ import annotations

from fastapi import APIRouter, status

from caregate.api.deps import CallerDep, Svc, run
from caregate.api.schemas import CustomRoleIn
from caregate.service import roles
from caregate.service.views import MatrixView, RoleView

router = APIRouter(tags=["roles"])


@router.get("/orgs/{org_id}/roles", response_model=list[RoleView], summary="Built-in and custom roles")
def list_roles(org_id: str, svc: Svc, caller: CallerDep) -> list[RoleView]:
    return run(svc, caller, org_id, roles.list_roles)


@router.get("/orgs/{org_id}/roles/matrix", response_model=MatrixView,
            summary="The permission matrix of every role: features x actions, with scopes")
def matrix(org_id: str, svc: Svc, caller: CallerDep) -> MatrixView:
    return run(svc, caller, org_id, roles.matrix)


@router.get("/orgs/{org_id}/roles/{key}", response_model=RoleView)
def get_role(org_id: str, key: str, svc: Svc, caller: CallerDep) -> RoleView:
    return run(svc, caller, org_id, roles.get_role, key=key)


@router.post("/orgs/{org_id}/roles", response_model=RoleView, status_code=status.HTTP_201_CREATED,
             summary="Create a custom role (validated before it is saved)")
def create_role(org_id: str, body: CustomRoleIn, svc: Svc, caller: CallerDep) -> RoleView:
    return run(svc, caller, org_id, roles.create, data=body.data())


@router.put("/orgs/{org_id}/roles/{key}", response_model=RoleView, summary="Replace a custom role's definition")
def update_role(org_id: str, key: str, body: CustomRoleIn, svc: Svc, caller: CallerDep) -> RoleView:
    return run(svc, caller, org_id, roles.update, key=key, data=body.data())


@router.delete("/orgs/{org_id}/roles/{key}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete a custom role nobody holds")
def delete_role(org_id: str, key: str, svc: Svc, caller: CallerDep) -> None:
    run(svc, caller, org_id, roles.delete, key=key)
