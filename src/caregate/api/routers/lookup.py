"""The lookup API ("which objects of this type may this member read?") and a member's notifications."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from caregate.api.deps import CallerDep, Svc, run
from caregate.api.schemas_clinical import After, LookupIn
from caregate.service.clinical import lookup as lookups
from caregate.service.clinical import sharing
from caregate.service.clinical import views as v

router = APIRouter(tags=["decisions"])


@router.post("/orgs/{org_id}/lookup", response_model=v.LookupView,
             summary="Which objects of a type may this member <action>? Answered by the database, paged")
def lookup(org_id: str, body: LookupIn, svc: Svc, caller: CallerDep) -> v.LookupView:
    return run(svc, caller, org_id, lookups.lookup, **body.model_dump())


@router.get("/orgs/{org_id}/notifications", response_model=v.NotificationPage, tags=["notifications"],
            summary="Your notifications, newest first")
def notifications(org_id: str, svc: Svc, caller: CallerDep, unread: bool = False, after: After = None,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50) -> v.NotificationPage:
    return run(svc, caller, org_id, sharing.notifications, unread_only=unread, after=after, limit=limit)


@router.post("/orgs/{org_id}/notifications/{notification_id}/read", tags=["notifications"],
             summary="Mark one of your notifications read")
def mark_read(org_id: str, notification_id: str, svc: Svc, caller: CallerDep) -> dict[str, int]:
    return {"marked": run(svc, caller, org_id, sharing.mark_read, notification_id=notification_id)}


@router.post("/orgs/{org_id}/notifications/read", tags=["notifications"], summary="Mark all your notifications read")
def mark_all_read(org_id: str, svc: Svc, caller: CallerDep) -> dict[str, int]:
    return {"marked": run(svc, caller, org_id, sharing.mark_read)}
