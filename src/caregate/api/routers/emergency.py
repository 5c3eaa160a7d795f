"""Break-glass: emergency access to one patient's record, ended early or when its time is up, reviewed afterwards."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from pydantic import Field, StringConstraints

from caregate.api.deps import CallerDep, Svc, run
from caregate.api.schemas import Body
from caregate.api.schemas_clinical import After, Limit
from caregate.service.clinical import emergency
from caregate.service.clinical import views as v
from caregate.service.orgs import EmergencyAccess
from caregate.service.views import Page

router = APIRouter(tags=["emergency access"])
B = "/orgs/{org_id}/break-glass"


class BreakGlassIn(Body):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)] = Field(
        description="why this is an emergency; the review reads it first (at least 10 characters)")
    hours: int | None = Field(default=None, ge=1, le=72,
                              description="how long; at most the organisation's limit, which is also the default")


class ReviewIn(Body):
    outcome: Literal["appropriate", "inappropriate"]
    note: Annotated[str, StringConstraints(max_length=1000)] = Field(
        default="", description="required when inappropriate")


Status = Annotated[Literal["active", "awaiting_review", "reviewed"] | None,
                   Query(description="active, awaiting_review (over, not reviewed) or reviewed")]


@router.post("/orgs/{org_id}/patients/{patient_id}/break-glass", response_model=v.EmergencyAccessView,
             status_code=status.HTTP_201_CREATED,
             summary="Declare an emergency: time-limited read access to this patient's record, reviewed afterwards")
def declare(org_id: str, patient_id: str, body: BreakGlassIn, svc: Svc, caller: CallerDep) -> v.EmergencyAccessView:
    return run(svc, caller, org_id, emergency.declare, patient_id=patient_id, reason=body.reason, hours=body.hours)


@router.get(B, response_model=Page[v.EmergencyAccessView],
            summary="Emergency access: the organisation's for reviewers, your own for everybody else")
def list_emergency_access(org_id: str, svc: Svc, caller: CallerDep, status: Status = None,
                          mine: Annotated[bool, Query(description="only your own")] = False,
                          limit: Limit = 50, after: After = None) -> Page[v.EmergencyAccessView]:
    return run(svc, caller, org_id, emergency.page, status=status, mine=mine, limit=limit, after=after)


@router.get(B + "/policy", response_model=EmergencyAccess,
            summary="Whether emergency access is on, and its longest duration (change it in the settings)")
def emergency_policy(org_id: str, svc: Svc, caller: CallerDep) -> EmergencyAccess:
    return run(svc, caller, org_id, emergency.policy)


@router.get(B + "/{access_id}", response_model=v.EmergencyAccessView, summary="One emergency access")
def get_emergency_access(org_id: str, access_id: str, svc: Svc, caller: CallerDep) -> v.EmergencyAccessView:
    return run(svc, caller, org_id, emergency.get, access_id=access_id)


@router.post(B + "/{access_id}/end", response_model=v.EmergencyAccessView,
             summary="End emergency access now (its member, or a reviewer)")
def end_emergency_access(org_id: str, access_id: str, svc: Svc, caller: CallerDep) -> v.EmergencyAccessView:
    return run(svc, caller, org_id, emergency.end, access_id=access_id)


@router.post(B + "/{access_id}/review", response_model=v.EmergencyAccessView,
             summary="Review emergency access: appropriate, or inappropriate with a note (never your own)")
def review_emergency_access(org_id: str, access_id: str, body: ReviewIn, svc: Svc,
                            caller: CallerDep) -> v.EmergencyAccessView:
    return run(svc, caller, org_id, emergency.review, access_id=access_id, outcome=body.outcome, note=body.note)
