"""The audit trail: search, export, verify, alerts and settings of one organisation."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from caregate.api.deps import CallerDep, Svc, run
from caregate.service import audit, audit_export, audit_settings
from caregate.service.audit import AlertView, AuditEventView, VerifyView
from caregate.service.audit_settings import AuditSettingsView
from caregate.service.views import Page
from caregate.store.audit_repo import EventFilter

router = APIRouter(tags=["audit"])
Id = Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9_]+$")]
Text = Annotated[str | None, Query(max_length=80)]


def event_filter(member: Id = None, user: Id = None, since: datetime | None = None, until: datetime | None = None,
                 action: Annotated[str | None, Query(max_length=60, pattern=r"^[a-z0-9_.*]+$",
                                                     description="exact, or a prefix ending in . or *")] = None,
                 patient: Id = None, object_type: Annotated[str | None, Query(max_length=40)] = None,
                 object_id: Text = None, outcome: Literal["allowed", "denied"] | None = None) -> EventFilter:
    return EventFilter(member_id=member, user_id=user, since=since, until=until, action=action, patient_id=patient,
                       object_type=object_type, object_id=object_id, outcome=outcome)


Filter = Annotated[EventFilter, Depends(event_filter)]


@router.get("/orgs/{org_id}/audit/events", response_model=Page[AuditEventView],
            summary="Search the audit trail, newest first (audit:read); the search itself is recorded")
def search_events(org_id: str, svc: Svc, caller: CallerDep, filters: Filter,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50,
                  after: Annotated[str | None, Query(max_length=20, pattern=r"^[0-9]+$")] = None
                  ) -> Page[AuditEventView]:
    return run(svc, caller, org_id, audit.search, filters=filters, after=after, limit=limit)


@router.get("/orgs/{org_id}/audit/export", response_class=Response,
            summary="Export events as CSV, JSON Lines or FHIR AuditEvent NDJSON (audit:export, recent sign-in)")
def export_events(org_id: str, svc: Svc, caller: CallerDep, filters: Filter,
                  format: Literal["csv", "jsonl", "fhir"] = "jsonl") -> Response:
    result = run(svc, caller, org_id, audit_export.export, filters=filters, fmt=format)
    return Response(result.content, media_type=result.media_type, headers={
        "content-disposition": f'attachment; filename="{result.filename}"', "x-caregate-count": str(result.count)})


@router.get("/orgs/{org_id}/audit/verify", response_model=VerifyView,
            summary="Verify the organisation's hash chain, checkpoints and signed head")
def verify_chain(org_id: str, svc: Svc, caller: CallerDep) -> VerifyView:
    return run(svc, caller, org_id, audit.verify)


@router.get("/orgs/{org_id}/audit/alerts", response_model=Page[AlertView],
            summary="Alerts raised on the audit trail, newest first (Owners and Administrators)")
def list_alerts(org_id: str, svc: Svc, caller: CallerDep, limit: Annotated[int, Query(ge=1, le=200)] = 50,
                after: Id = None) -> Page[AlertView]:
    return run(svc, caller, org_id, audit.alerts, after=after, limit=limit)


class AcknowledgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=500, description="what was found, e.g. a planned night shift")


@router.post("/orgs/{org_id}/audit/alerts/{alert_id}/acknowledge", response_model=AlertView,
             summary="Mark an alert as looked into, with an optional note (audit:read; once; recorded)")
def acknowledge_alert(org_id: str, alert_id: Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_]+$")],
                      svc: Svc, caller: CallerDep, body: AcknowledgeIn | None = None) -> AlertView:
    return run(svc, caller, org_id, audit.acknowledge, alert_id=alert_id, note=body.note if body else None)


@router.get("/orgs/{org_id}/audit/settings", response_model=AuditSettingsView)
def get_settings(org_id: str, svc: Svc, caller: CallerDep) -> AuditSettingsView:
    return run(svc, caller, org_id, audit_settings.get)


class AuditSettingsIn(BaseModel):
    """A partial change: only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    retention_days: int | None = Field(default=None, ge=30, le=36500)
    export_reauth_minutes: int | None = Field(default=None, ge=1, le=1440)
    failed_login_threshold: int | None = Field(default=None, ge=1, le=10000)
    failed_login_minutes: int | None = Field(default=None, ge=1, le=1440)
    bulk_access_patients: int | None = Field(default=None, ge=1, le=100000)
    bulk_access_minutes: int | None = Field(default=None, ge=1, le=1440)
    off_hours_alerts: bool | None = None
    business_hours_start: time | None = None
    business_hours_end: time | None = None
    business_days: list[int] | None = Field(default=None, max_length=7)
    timezone: str | None = Field(default=None, max_length=60)
    email_alerts: bool | None = None
    webhook_url: str | None = Field(default=None, max_length=500, description="empty string removes it")
    rotate_webhook_secret: bool = False


@router.patch("/orgs/{org_id}/audit/settings", response_model=AuditSettingsView,
              summary="Change retention, export sign-in freshness, alert thresholds or the alert webhook")
def update_settings(org_id: str, body: AuditSettingsIn, svc: Svc, caller: CallerDep) -> AuditSettingsView:
    changes: dict[str, Any] = body.model_dump(exclude_unset=True, mode="json")
    rotate = bool(changes.pop("rotate_webhook_secret", False))
    return run(svc, caller, org_id, audit_settings.update, changes=changes, rotate_secret=rotate)
