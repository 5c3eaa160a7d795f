"""Patients, their care team, explicit patient access, and patient messages."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from caregate.api.deps import CallerDep, Svc, run
from caregate.api.schemas_clinical import (
    AccessIn,
    After,
    ExportLimit,
    Format,
    Limit,
    MessageIn,
    PatientIn,
    PatientPatch,
    QId,
    QText,
    export_response,
)
from caregate.service.clinical import patients, reading
from caregate.service.clinical import views as v
from caregate.service.views import Page

router = APIRouter(tags=["patients"])
P = "/orgs/{org_id}/patients"


@router.get(P, response_model=Page[v.PatientView],
            summary="Patients you may read, each without the fields hidden from you")
def list_patients(org_id: str, svc: Svc, caller: CallerDep, limit: Limit = 50, after: After = None,
                  team_id: QId = None, location_id: QId = None, q: QText = None) -> v.ListPage:
    return run(svc, caller, org_id, reading.page, kind_name="patients", after=after, limit=limit,
               filters={"team_id": team_id, "location_id": location_id, "q": q})


@router.get(P + "/export", summary="Export the patients you may read and export (CSV or JSON), hiding the same fields")
def export_patients(org_id: str, svc: Svc, caller: CallerDep, format: Format = "csv",
                    after: After = None, limit: ExportLimit = 5000, team_id: QId = None) -> Response:
    result = run(svc, caller, org_id, reading.export, kind_name="patients", fmt=format, after=after, limit=limit,
                 filters={"team_id": team_id})
    return export_response(result, "patients")


@router.post(P, response_model=v.PatientView, status_code=status.HTTP_201_CREATED)
def create_patient(org_id: str, body: PatientIn, svc: Svc, caller: CallerDep) -> v.PatientView:
    return run(svc, caller, org_id, patients.create, name=body.name, team_id=body.team_id,
               location_id=body.location_id, fields=body.fields(), care_team=body.care_team)


@router.get(P + "/{patient_id}", response_model=v.PatientView)
def get_patient(org_id: str, patient_id: str, svc: Svc, caller: CallerDep) -> v.Protected:
    return run(svc, caller, org_id, reading.read, kind_name="patients", object_id=patient_id)


@router.patch(P + "/{patient_id}", response_model=v.PatientView,
              summary="Change a patient's profile (null clears a field)")
def edit_patient(org_id: str, patient_id: str, body: PatientPatch, svc: Svc, caller: CallerDep) -> v.PatientView:
    return run(svc, caller, org_id, patients.edit, patient_id=patient_id, name=body.name, team_id=body.team_id,
               location_id=body.location_id, clear=body.cleared(), fields=body.fields())


@router.delete(P + "/{patient_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete a patient without clinical or billing records")
def delete_patient(org_id: str, patient_id: str, svc: Svc, caller: CallerDep) -> None:
    run(svc, caller, org_id, patients.delete, patient_id=patient_id)


@router.put(P + "/{patient_id}/care-team/{member_id}", response_model=v.PatientView,
            summary="Put a member on the patient's care team")
def add_to_care_team(org_id: str, patient_id: str, member_id: str, svc: Svc, caller: CallerDep) -> v.PatientView:
    return run(svc, caller, org_id, patients.set_care_team, patient_id=patient_id, member_id=member_id, on=True)


@router.delete(P + "/{patient_id}/care-team/{member_id}", response_model=v.PatientView,
               summary="Take a member off the patient's care team")
def remove_from_care_team(org_id: str, patient_id: str, member_id: str, svc: Svc, caller: CallerDep
                          ) -> v.PatientView:
    return run(svc, caller, org_id, patients.set_care_team, patient_id=patient_id, member_id=member_id, on=False)


@router.get(P + "/{patient_id}/access", response_model=list[v.PatientAccessView],
            summary="Explicit access grants on a patient")
def list_access(org_id: str, patient_id: str, svc: Svc, caller: CallerDep) -> list[v.PatientAccessView]:
    return run(svc, caller, org_id, patients.list_access, patient_id=patient_id)


@router.post(P + "/{patient_id}/access", response_model=v.PatientAccessView, status_code=status.HTTP_201_CREATED,
             summary="Give a member access to this patient, optionally until a date")
def grant_access(org_id: str, patient_id: str, body: AccessIn, svc: Svc, caller: CallerDep) -> v.PatientAccessView:
    return run(svc, caller, org_id, patients.grant_access, patient_id=patient_id, member_id=body.member_id,
               until=body.until, reason=body.reason)


@router.delete(P + "/{patient_id}/access/{grant_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_access(org_id: str, patient_id: str, grant_id: str, svc: Svc, caller: CallerDep) -> None:
    run(svc, caller, org_id, patients.revoke_access, patient_id=patient_id, grant_id=grant_id)


@router.post(P + "/{patient_id}/messages", response_model=v.MessageView, status_code=status.HTTP_201_CREATED,
             summary="Message a patient (or record a message from them)")
def send_message(org_id: str, patient_id: str, body: MessageIn, svc: Svc, caller: CallerDep) -> v.MessageView:
    return run(svc, caller, org_id, patients.send_message, patient_id=patient_id, body=body.body,
               direction=body.direction)


@router.get("/orgs/{org_id}/messages", response_model=Page[v.MessageView], summary="Patient messages you may read")
def list_messages(org_id: str, svc: Svc, caller: CallerDep, limit: Limit = 50, after: After = None,
                  patient_id: QId = None) -> v.ListPage:
    return run(svc, caller, org_id, reading.page, kind_name="messages", after=after, limit=limit,
               filters={"patient_id": patient_id})


@router.get("/orgs/{org_id}/messages/{message_id}", response_model=v.MessageView)
def get_message(org_id: str, message_id: str, svc: Svc, caller: CallerDep) -> v.Protected:
    return run(svc, caller, org_id, reading.read, kind_name="messages", object_id=message_id)


@router.delete("/orgs/{org_id}/messages/{message_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_message(org_id: str, message_id: str, svc: Svc, caller: CallerDep) -> None:
    run(svc, caller, org_id, reading.remove, kind_name="messages", object_id=message_id)
