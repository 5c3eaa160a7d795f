"""Just-in-time access requests: ask for access to a patient for some hours; others approve or deny it."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from pydantic import Field, StringConstraints

from caregate.api.deps import CallerDep, Svc, run
from caregate.api.schemas import Body
from caregate.api.schemas_clinical import After, Limit
from caregate.service.clinical import requests
from caregate.service.clinical import views as v
from caregate.service.orgs import AccessRequests
from caregate.service.views import Page

router = APIRouter(tags=["access requests"])
R = "/orgs/{org_id}/access-requests"
Note = Annotated[str, StringConstraints(max_length=1000)]


class AccessRequestIn(Body):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)] = Field(
        description="why you need the record; the approvers read it first (at least 10 characters)")
    hours: int | None = Field(default=None, ge=1, le=720,
                              description="how long; at most the organisation's limit (default 24 or that limit)")


class ApproveIn(Body):
    note: Note = ""


class DenyIn(Body):
    note: Note = Field(description="why, for the member who asked (required)")


Status = Annotated[Literal["pending", "approved", "denied", "cancelled"] | None, Query()]


@router.post("/orgs/{org_id}/patients/{patient_id}/access-requests", response_model=v.AccessRequestView,
             status_code=status.HTTP_201_CREATED,
             summary="Ask for read access to this patient's record for some hours; others approve it")
def ask(org_id: str, patient_id: str, body: AccessRequestIn, svc: Svc, caller: CallerDep) -> v.AccessRequestView:
    return run(svc, caller, org_id, requests.ask, patient_id=patient_id, reason=body.reason, hours=body.hours)


@router.get(R, response_model=Page[v.AccessRequestView],
            summary="Access requests: the organisation's for approvers, your own for everybody else")
def list_access_requests(org_id: str, svc: Svc, caller: CallerDep, status: Status = None,
                         mine: Annotated[bool, Query(description="only your own")] = False,
                         limit: Limit = 50, after: After = None) -> Page[v.AccessRequestView]:
    return run(svc, caller, org_id, requests.page, status=status, mine=mine, limit=limit, after=after)


@router.get(R + "/policy", response_model=AccessRequests,
            summary="How many approvals a request needs, and its longest access (change them in the settings)")
def access_request_policy(org_id: str, svc: Svc, caller: CallerDep) -> AccessRequests:
    return run(svc, caller, org_id, requests.policy)


@router.get(R + "/{request_id}", response_model=v.AccessRequestView, summary="One access request")
def get_access_request(org_id: str, request_id: str, svc: Svc, caller: CallerDep) -> v.AccessRequestView:
    return run(svc, caller, org_id, requests.get, request_id=request_id)


@router.post(R + "/{request_id}/approve", response_model=v.AccessRequestView,
             summary="Approve (never your own); the last approval needed gives the access")
def approve_access_request(org_id: str, request_id: str, body: ApproveIn, svc: Svc,
                           caller: CallerDep) -> v.AccessRequestView:
    return run(svc, caller, org_id, requests.approve, request_id=request_id, note=body.note)


@router.post(R + "/{request_id}/deny", response_model=v.AccessRequestView, summary="Deny, with a note")
def deny_access_request(org_id: str, request_id: str, body: DenyIn, svc: Svc, caller: CallerDep) -> v.AccessRequestView:
    return run(svc, caller, org_id, requests.deny, request_id=request_id, note=body.note)


@router.post(R + "/{request_id}/cancel", response_model=v.AccessRequestView,
             summary="Withdraw your own pending request")
def cancel_access_request(org_id: str, request_id: str, svc: Svc, caller: CallerDep) -> v.AccessRequestView:
    return run(svc, caller, org_id, requests.cancel, request_id=request_id)
