from __future__ import annotations

from fastapi import APIRouter, status

from caregate.api.deps import CallerDep, Svc, run
from caregate.api.schemas import OrgCreateIn, OrgDeleteIn, OrgPatchIn, QuoteIn, SettingsPatchIn, SubscriptionIn
from caregate.service import auth, billing, orgs
from caregate.service.actors import authenticate
from caregate.service.errors import Invalid
from caregate.service.orgs import OrgSettings
from caregate.service.views import MeView, OrgView, QuoteView, SeatsView

router = APIRouter(tags=["organisations"])


@router.post("/orgs", response_model=OrgView, status_code=status.HTTP_201_CREATED,
             summary="Create an organisation; you become its first Owner")
def create_org(body: OrgCreateIn, svc: Svc, caller: CallerDep) -> OrgView:
    with svc.unit(caller.request) as uow:
        who = authenticate(uow, caller)
        if who.api_key is not None:
            raise Invalid("organisations are created by people, not API keys")
        org, member = orgs.create(uow, name=body.name, owner=who.user, plan=body.plan, preset=body.preset)
        return orgs.view(org, uow.now, member, ["owner"])


@router.get("/orgs", response_model=list[OrgView], summary="The organisations you belong to")
def list_orgs(svc: Svc, caller: CallerDep) -> list[OrgView]:
    with svc.unit(caller.request) as uow:
        me: MeView = auth.me(uow, caller)
        return me.organisations


@router.get("/orgs/{org_id}", response_model=OrgView)
def get_org(org_id: str, svc: Svc, caller: CallerDep) -> OrgView:
    return run(svc, caller, org_id, orgs.get)


@router.patch("/orgs/{org_id}", response_model=OrgView, summary="Rename the organisation")
def rename_org(org_id: str, body: OrgPatchIn, svc: Svc, caller: CallerDep) -> OrgView:
    return run(svc, caller, org_id, orgs.rename, name=body.name)


@router.delete("/orgs/{org_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete the organisation and everything in it (Owners only)")
def delete_org(org_id: str, body: OrgDeleteIn, svc: Svc, caller: CallerDep) -> None:
    run(svc, caller, org_id, orgs.delete, confirm_name=body.confirm_name)


@router.get("/orgs/{org_id}/settings", response_model=OrgSettings)
def get_settings(org_id: str, svc: Svc, caller: CallerDep) -> OrgSettings:
    return run(svc, caller, org_id, orgs.get_settings)


@router.patch("/orgs/{org_id}/settings", response_model=OrgSettings,
              summary="Change settings (team session visibility, billing policy, Template Manager switch)")
def update_settings(org_id: str, body: SettingsPatchIn, svc: Svc, caller: CallerDep) -> OrgSettings:
    return run(svc, caller, org_id, orgs.update_settings, changes=body.changes())


@router.put("/orgs/{org_id}/subscription", response_model=OrgView, summary="Change plan or start the trial")
def change_plan(org_id: str, body: SubscriptionIn, svc: Svc, caller: CallerDep) -> OrgView:
    return run(svc, caller, org_id, orgs.change_plan, plan=body.plan, start_trial=body.start_trial)


@router.get("/orgs/{org_id}/seats", response_model=SeatsView, summary="Seats used, billed and available")
def seats(org_id: str, svc: Svc, caller: CallerDep) -> SeatsView:
    return run(svc, caller, org_id, billing.summary)


@router.post("/orgs/{org_id}/seats/quote", response_model=QuoteView,
             summary="The pro-rated price of adding a member with these roles")
def quote(org_id: str, body: QuoteIn, svc: Svc, caller: CallerDep) -> QuoteView:
    return run(svc, caller, org_id, billing.quote, role_keys=body.roles)
