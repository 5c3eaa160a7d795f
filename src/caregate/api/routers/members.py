from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from pydantic import StringConstraints

from caregate.api.deps import CallerDep, Svc, run
from caregate.api.schemas import (
    AccessUntilIn,
    DelegationIn,
    InviteIn,
    ProfileIn,
    RoleGrantIn,
    RoleList,
    RolesIn,
    StructureIn,
    TransferIn,
)
from caregate.service import invitations, members
from caregate.service.members import RoleGrant
from caregate.service.views import InviteResult, MemberView, Page

router = APIRouter(tags=["members"])
Status = Literal["invited", "active", "disabled", "archived"]


def grants(items: RoleList) -> list[RoleGrant]:
    return [RoleGrant(role=i) if isinstance(i, str) else
            RoleGrant(role=i.role, team_id=i.team_id, location_id=i.location_id, expires_at=i.expires_at)
            for i in items]


@router.get("/orgs/{org_id}/members", response_model=Page[MemberView],
            summary="Members you may see (filtered in the database), a page at a time")
def list_members(org_id: str, svc: Svc, caller: CallerDep,
                 limit: Annotated[int, Query(ge=1, le=200)] = 50,
                 after: Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9_]+$")] = None,
                 q: Annotated[str | None, StringConstraints(max_length=100), Query(max_length=100)] = None,
                 status_: Annotated[list[Status] | None, Query(alias="status")] = None) -> Page[MemberView]:
    return run(svc, caller, org_id, members.page, after=after, limit=limit, search=q, statuses=status_)


@router.post("/orgs/{org_id}/members", response_model=InviteResult, status_code=status.HTTP_201_CREATED,
             summary="Invite a member by email (confirm the quoted seat charge if there is one)")
def invite(org_id: str, body: InviteIn, svc: Svc, caller: CallerDep) -> InviteResult:
    return run(svc, caller, org_id, invitations.invite, email=body.email, name=body.name, title=body.title,
               grants=grants(body.roles), team_ids=body.team_ids, location_ids=body.location_ids,
               confirm_charge_cents=body.confirm_charge_cents, access_until=body.access_until)


@router.get("/orgs/{org_id}/members/{member_id}", response_model=MemberView)
def get_member(org_id: str, member_id: str, svc: Svc, caller: CallerDep) -> MemberView:
    return run(svc, caller, org_id, members.get, member_id=member_id)


@router.patch("/orgs/{org_id}/members/{member_id}", response_model=MemberView,
              summary="Edit name, title and provider profile")
def edit_member(org_id: str, member_id: str, body: ProfileIn, svc: Svc, caller: CallerDep) -> MemberView:
    return run(svc, caller, org_id, members.update_profile, member_id=member_id, name=body.name, title=body.title,
               profile=body.profile.model_dump() if body.profile else None)


@router.put("/orgs/{org_id}/members/{member_id}/roles", response_model=MemberView,
            summary="Replace a member's roles (takes effect on their next request)")
def change_roles(org_id: str, member_id: str, body: RolesIn, svc: Svc, caller: CallerDep) -> MemberView:
    return run(svc, caller, org_id, members.change_roles, member_id=member_id, grants=grants(body.roles))


@router.put("/orgs/{org_id}/members/{member_id}/structure", response_model=MemberView,
            summary="Set a member's teams and locations")
def change_structure(org_id: str, member_id: str, body: StructureIn, svc: Svc, caller: CallerDep) -> MemberView:
    return run(svc, caller, org_id, members.change_structure, member_id=member_id, team_ids=body.team_ids,
               location_ids=body.location_ids)


@router.put("/orgs/{org_id}/members/{member_id}/access-until", response_model=MemberView,
            summary="Make a member temporary (disabled from a date on), or permanent again with null")
def set_access_until(org_id: str, member_id: str, body: AccessUntilIn, svc: Svc, caller: CallerDep) -> MemberView:
    return run(svc, caller, org_id, members.set_access_until, member_id=member_id, until=body.until)


@router.post("/orgs/{org_id}/members/{member_id}/delegations", response_model=MemberView,
             status_code=status.HTTP_201_CREATED,
             summary="Hand one of your roles to this member until a date (\"acting manager\" while you are away)")
def delegate(org_id: str, member_id: str, body: DelegationIn, svc: Svc, caller: CallerDep) -> MemberView:
    return run(svc, caller, org_id, members.delegate, member_id=member_id, role=body.role, until=body.until,
               team_id=body.team_id, location_id=body.location_id)


@router.delete("/orgs/{org_id}/members/{member_id}/delegations/{assignment_id}", response_model=MemberView,
               summary="End a delegation now (the member who handed the role over, or whoever changes roles)")
def end_delegation(org_id: str, member_id: str, assignment_id: str, svc: Svc, caller: CallerDep) -> MemberView:
    return run(svc, caller, org_id, members.end_delegation, member_id=member_id, assignment_id=assignment_id)


def _status_route(change: str) -> None:
    def handler(org_id: str, member_id: str, svc: Svc, caller: CallerDep) -> MemberView:
        return run(svc, caller, org_id, members.set_status, member_id=member_id, change=change)

    handler.__name__ = f"{change}_member"
    router.post(f"/orgs/{{org_id}}/members/{{member_id}}/{change}", response_model=MemberView,
                summary=f"{change.capitalize()} a member")(handler)


for _change in ("disable", "enable", "archive", "restore"):
    _status_route(_change)


@router.post("/orgs/{org_id}/members/{member_id}/transfer", response_model=dict[str, int],
             summary="Transfer a member's clinical sessions and care-team places to a colleague")
def transfer(org_id: str, member_id: str, body: TransferIn, svc: Svc, caller: CallerDep) -> dict[str, int]:
    return run(svc, caller, org_id, members.transfer, member_id=member_id, to_member_id=body.to_member_id)


@router.delete("/orgs/{org_id}/members/{member_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete a member's account data (refused while they own clinical records)")
def delete_member(org_id: str, member_id: str, svc: Svc, caller: CallerDep) -> None:
    run(svc, caller, org_id, members.delete, member_id=member_id)


@router.post("/orgs/{org_id}/members/{member_id}/invitation", status_code=status.HTTP_202_ACCEPTED,
             summary="Send the invitation again (the old link stops working)")
def resend(org_id: str, member_id: str, svc: Svc, caller: CallerDep) -> dict[str, str]:
    expires = run(svc, caller, org_id, invitations.resend_invitation, member_id=member_id)
    return {"expires_at": expires.isoformat()}


@router.delete("/orgs/{org_id}/members/{member_id}/invitation", status_code=status.HTTP_204_NO_CONTENT,
               summary="Revoke an invitation that was not accepted")
def revoke(org_id: str, member_id: str, svc: Svc, caller: CallerDep) -> None:
    run(svc, caller, org_id, invitations.revoke_invitation, member_id=member_id)


__all__ = ["RoleGrantIn", "router"]
