"""Templates and the calendar."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import AwareDatetime

from caregate.api.deps import CallerDep, Svc, run
from caregate.api.schemas_clinical import (
    After,
    AppointmentIn,
    DistributeIn,
    ExportLimit,
    Format,
    Limit,
    QId,
    QStatus,
    RescheduleIn,
    TemplateIn,
    TemplatePatch,
    export_response,
)
from caregate.service.clinical import reading, scheduling, templates
from caregate.service.clinical import views as v
from caregate.service.views import Page

router = APIRouter(tags=["templates and calendar"])
T = "/orgs/{org_id}/templates"
A = "/orgs/{org_id}/appointments"


@router.get(T, response_model=Page[v.TemplateView], summary="Templates you may read")
def list_templates(org_id: str, svc: Svc, caller: CallerDep, limit: Limit = 50, after: After = None,
                   visibility: QId = None) -> v.ListPage:
    return run(svc, caller, org_id, reading.page, kind_name="templates", after=after, limit=limit,
               filters={"visibility": visibility})


@router.post(T, response_model=v.TemplateView, status_code=status.HTTP_201_CREATED)
def create_template(org_id: str, body: TemplateIn, svc: Svc, caller: CallerDep) -> v.TemplateView:
    return run(svc, caller, org_id, templates.create, **body.model_dump())


@router.get(T + "/{template_id}", response_model=v.TemplateView)
def get_template(org_id: str, template_id: str, svc: Svc, caller: CallerDep) -> v.Protected:
    return run(svc, caller, org_id, reading.read, kind_name="templates", object_id=template_id)


@router.patch(T + "/{template_id}", response_model=v.TemplateView)
def edit_template(org_id: str, template_id: str, body: TemplatePatch, svc: Svc, caller: CallerDep) -> v.TemplateView:
    return run(svc, caller, org_id, templates.edit, template_id=template_id, **body.model_dump())


@router.put(T + "/{template_id}/visibility", response_model=v.TemplateView,
            summary="Share with teams, publish organisation-wide (org), or make personal again")
def distribute(org_id: str, template_id: str, body: DistributeIn, svc: Svc, caller: CallerDep) -> v.TemplateView:
    return run(svc, caller, org_id, templates.distribute, template_id=template_id, visibility=body.visibility,
               team_ids=body.team_ids)


@router.delete(T + "/{template_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_template(org_id: str, template_id: str, svc: Svc, caller: CallerDep) -> None:
    run(svc, caller, org_id, reading.remove, kind_name="templates", object_id=template_id)


@router.get(A, response_model=Page[v.AppointmentView],
            summary="The calendar: appointments you may read, optionally between two moments")
def list_appointments(org_id: str, svc: Svc, caller: CallerDep, limit: Limit = 50, after: After = None,
                      provider_id: QId = None, patient_id: QId = None, status_: QStatus = None,
                      starts_from: Annotated[AwareDatetime | None, Query(alias="from")] = None,
                      starts_before: Annotated[AwareDatetime | None, Query(alias="to")] = None) -> v.ListPage:
    return run(svc, caller, org_id, reading.page, kind_name="appointments", after=after, limit=limit,
               filters={"provider_id": provider_id, "patient_id": patient_id, "status": status_,
                        "starts_from": starts_from, "starts_before": starts_before})


@router.get(A + "/export")
def export_appointments(org_id: str, svc: Svc, caller: CallerDep, format: Format = "csv",
                        after: After = None, limit: ExportLimit = 5000) -> Response:
    result = run(svc, caller, org_id, reading.export, kind_name="appointments", fmt=format, after=after, limit=limit)
    return export_response(result, "appointments")


@router.post(A, response_model=v.AppointmentView, status_code=status.HTTP_201_CREATED,
             summary="Book an appointment (provider_id: book for someone else)")
def book(org_id: str, body: AppointmentIn, svc: Svc, caller: CallerDep) -> v.AppointmentView:
    return run(svc, caller, org_id, scheduling.book, **body.model_dump())


@router.get(A + "/{appointment_id}", response_model=v.AppointmentView)
def get_appointment(org_id: str, appointment_id: str, svc: Svc, caller: CallerDep) -> v.Protected:
    return run(svc, caller, org_id, reading.read, kind_name="appointments", object_id=appointment_id)


@router.put(A + "/{appointment_id}/time", response_model=v.AppointmentView, summary="Reschedule")
def reschedule(org_id: str, appointment_id: str, body: RescheduleIn, svc: Svc, caller: CallerDep
               ) -> v.AppointmentView:
    return run(svc, caller, org_id, scheduling.reschedule, appointment_id=appointment_id, starts_at=body.starts_at,
               ends_at=body.ends_at)


@router.post(A + "/{appointment_id}/cancel", response_model=v.AppointmentView)
def cancel(org_id: str, appointment_id: str, svc: Svc, caller: CallerDep) -> v.AppointmentView:
    return run(svc, caller, org_id, scheduling.cancel, appointment_id=appointment_id)


@router.post(A + "/{appointment_id}/check-in", response_model=v.AppointmentView)
def check_in(org_id: str, appointment_id: str, svc: Svc, caller: CallerDep) -> v.AppointmentView:
    return run(svc, caller, org_id, scheduling.check_in, appointment_id=appointment_id)


@router.delete(A + "/{appointment_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_appointment(org_id: str, appointment_id: str, svc: Svc, caller: CallerDep) -> None:
    run(svc, caller, org_id, reading.remove, kind_name="appointments", object_id=appointment_id)
