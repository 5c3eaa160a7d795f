"""An organisation's security policy, account unlock and reset, service accounts and API keys."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, status

from caregate.api.deps import CallerDep, Svc, run
from caregate.api.routers.members import grants
from caregate.api.schemas import ApiKeyIn, RotateIn, ServiceAccountIn
from caregate.identity.policy import SecurityPolicy
from caregate.service import accounts, passwords, security
from caregate.service.apikeys import KeyView, NewKeyView
from caregate.service.views import MemberView

router = APIRouter(tags=["security"])


@router.get("/orgs/{org_id}/security", response_model=SecurityPolicy)
def get_policy(org_id: str, svc: Svc, caller: CallerDep) -> SecurityPolicy:
    return run(svc, caller, org_id, security.get_policy)


@router.patch("/orgs/{org_id}/security", response_model=SecurityPolicy,
              summary="Change the security policy (passwords, lockout, 2FA per role, timeouts, IP rules)")
def update_policy(org_id: str, svc: Svc, caller: CallerDep,
                  changes: dict[str, Any] = Body(..., max_length=20)) -> SecurityPolicy:  # noqa: B008
    return run(svc, caller, org_id, security.update_policy, changes=changes)


@router.post("/orgs/{org_id}/members/{member_id}/unlock", status_code=status.HTTP_204_NO_CONTENT,
             summary="Unlock an account locked after failed logins")
def unlock(org_id: str, member_id: str, svc: Svc, caller: CallerDep) -> None:
    run(svc, caller, org_id, security.unlock, member_id=member_id)


@router.post("/orgs/{org_id}/members/{member_id}/password-reset", status_code=status.HTTP_202_ACCEPTED,
             summary="Email a member a link to set a new password")
def send_reset(org_id: str, member_id: str, svc: Svc, caller: CallerDep) -> dict[str, str]:
    run(svc, caller, org_id, passwords.send_reset_for_member, member_id=member_id)
    return {"status": "sent"}


@router.post("/orgs/{org_id}/service-accounts", response_model=MemberView, status_code=status.HTTP_201_CREATED,
             summary="Create a service account (a member that is not a person)")
def create_account(org_id: str, body: ServiceAccountIn, svc: Svc, caller: CallerDep) -> MemberView:
    from caregate.api.schemas import RolesIn

    roles = RolesIn.model_validate({"roles": body.roles}).roles
    return run(svc, caller, org_id, accounts.create_account, name=body.name, grants=grants(roles))


@router.get("/orgs/{org_id}/service-accounts", response_model=list[MemberView])
def list_accounts(org_id: str, svc: Svc, caller: CallerDep) -> list[MemberView]:
    return run(svc, caller, org_id, accounts.list_accounts)


@router.post("/orgs/{org_id}/service-accounts/{member_id}/keys", response_model=NewKeyView,
             status_code=status.HTTP_201_CREATED, summary="Create an API key (the secret is shown once)")
def create_key(org_id: str, member_id: str, body: ApiKeyIn, svc: Svc, caller: CallerDep) -> NewKeyView:
    return run(svc, caller, org_id, accounts.create_key, member_id=member_id, name=body.name, scopes=body.scopes,
               expires_at=body.expires_at, rate_limit_per_minute=body.rate_limit_per_minute)


@router.get("/orgs/{org_id}/service-accounts/{member_id}/keys", response_model=list[KeyView],
            summary="A service account's keys, with last use and use per day")
def list_keys(org_id: str, member_id: str, svc: Svc, caller: CallerDep) -> list[KeyView]:
    return run(svc, caller, org_id, accounts.list_keys, member_id=member_id)


@router.post("/orgs/{org_id}/service-accounts/{member_id}/keys/{key_id}/rotate", response_model=NewKeyView,
             summary="Rotate a key: the new one works at once, the old one for the grace period")
def rotate_key(org_id: str, member_id: str, key_id: str, body: RotateIn, svc: Svc, caller: CallerDep
               ) -> NewKeyView:
    return run(svc, caller, org_id, accounts.rotate_key, member_id=member_id, key_id=key_id,
               grace_hours=body.grace_hours)


@router.delete("/orgs/{org_id}/service-accounts/{member_id}/keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Revoke a key (refused from its next request on)")
def revoke_key(org_id: str, member_id: str, key_id: str, svc: Svc, caller: CallerDep) -> None:
    run(svc, caller, org_id, accounts.revoke_key, member_id=member_id, key_id=key_id)
