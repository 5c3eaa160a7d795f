from __future__ import annotations

from fastapi import APIRouter, status

from caregate.api.deps import CallerDep, Svc, run
from caregate.api.schemas import LocationIn, TeamIn
from caregate.service import structure
from caregate.service.views import LocationView, TeamView

router = APIRouter(tags=["teams and locations"])


@router.get("/orgs/{org_id}/teams", response_model=list[TeamView])
def list_teams(org_id: str, svc: Svc, caller: CallerDep) -> list[TeamView]:
    return run(svc, caller, org_id, structure.list_teams)


@router.post("/orgs/{org_id}/teams", response_model=TeamView, status_code=status.HTTP_201_CREATED)
def create_team(org_id: str, body: TeamIn, svc: Svc, caller: CallerDep) -> TeamView:
    return run(svc, caller, org_id, structure.create_team, name=body.name)


@router.patch("/orgs/{org_id}/teams/{team_id}", response_model=TeamView)
def rename_team(org_id: str, team_id: str, body: TeamIn, svc: Svc, caller: CallerDep) -> TeamView:
    return run(svc, caller, org_id, structure.rename_team, team_id=team_id, name=body.name)


@router.delete("/orgs/{org_id}/teams/{team_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_team(org_id: str, team_id: str, svc: Svc, caller: CallerDep) -> None:
    run(svc, caller, org_id, structure.delete_team, team_id=team_id)


@router.get("/orgs/{org_id}/locations", response_model=list[LocationView])
def list_locations(org_id: str, svc: Svc, caller: CallerDep) -> list[LocationView]:
    return run(svc, caller, org_id, structure.list_locations)


@router.post("/orgs/{org_id}/locations", response_model=LocationView, status_code=status.HTTP_201_CREATED)
def create_location(org_id: str, body: LocationIn, svc: Svc, caller: CallerDep) -> LocationView:
    return run(svc, caller, org_id, structure.create_location, name=body.name, kind=body.kind,
               parent_id=body.parent_id)


@router.patch("/orgs/{org_id}/locations/{location_id}", response_model=LocationView)
def rename_location(org_id: str, location_id: str, body: TeamIn, svc: Svc, caller: CallerDep) -> LocationView:
    return run(svc, caller, org_id, structure.rename_location, location_id=location_id, name=body.name)


@router.delete("/orgs/{org_id}/locations/{location_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_location(org_id: str, location_id: str, svc: Svc, caller: CallerDep) -> None:
    run(svc, caller, org_id, structure.delete_location, location_id=location_id)
