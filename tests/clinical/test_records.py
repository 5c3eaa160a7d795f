"""Lifecycles: deleting an object removes its shares and grants; members who own records are transferred
first; every read, list, export and copy of clinical data is in the audit trail with its patient."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from caregate.store import repo
from caregate.store.audit import AuditEvent
from caregate.store.clinical import (
    CareTeamMember,
    ContextEntry,
    PatientAccess,
    SessionDocument,
    SessionNote,
    SessionShare,
    SessionTranscript,
    Template,
)


def count(world: Any, model: Any, **where: Any) -> int:
    with world.services.unit() as uow:
        stmt = select(func.count()).select_from(model)
        for name, value in where.items():
            stmt = stmt.where(getattr(model, name) == value)
        return int(uow.session.scalar(stmt) or 0)


def events(world: Any, action: str) -> list[AuditEvent]:
    with world.services.unit() as uow:
        return list(uow.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                        .order_by(AuditEvent.at, AuditEvent.id)))


def full_session(c: Any, patient: str | None = None) -> str:
    session = c.session(c.clinician, by=c.assistant, patient_id=patient)
    c.api.ok(c.api.put(c.clinician, f"sessions/{session}/note", {"body": "note"}))
    c.api.ok(c.api.put(c.clinician, f"sessions/{session}/transcript", {"body": "words"}))
    c.api.ok(c.api.post(c.assistant, f"sessions/{session}/context", {"body": "referred by GP"}), 201)
    c.api.ok(c.api.post(c.assistant, f"sessions/{session}/documents", {"kind": "letter", "title": "L"}), 201)
    c.api.ok(c.api.put(c.clinician, f"sessions/{session}/shares/{c.stranger.member_id}", {"level": "edit"}))
    return session


def test_deleting_a_session_removes_its_parts_and_shares(clinic: Any, world: Any) -> None:
    c = clinic
    session = full_session(c)
    kept = full_session(c)
    assert count(world, SessionShare, session_id=session) == 1
    assert c.api.delete(c.clinician, f"sessions/{session}").status_code == 204
    for model in (SessionShare, SessionNote, SessionTranscript, ContextEntry, SessionDocument):
        assert count(world, model, session_id=session) == 0, model
        assert count(world, model, session_id=kept) == 1, model
    assert c.api.get(c.clinician, f"sessions/{session}").status_code == 404
    assert c.api.ok(c.api.get(c.stranger, "sessions"))["total"] == 1


def test_deleting_a_patient_removes_care_team_and_grants_but_never_records(clinic: Any, world: Any) -> None:
    c = clinic
    with_records = c.patient(c.clinician)
    full_session(c, with_records)
    r = c.api.delete(c.owner, f"patients/{with_records}")
    assert r.status_code == 409 and r.json()["records"] == {"sessions": 1}
    alone = c.patient(c.clinician)
    c.api.ok(c.api.post(c.administrator, f"patients/{alone}/access", {"member_id": c.stranger.member_id}), 201)
    assert count(world, PatientAccess, patient_id=alone) == 1
    assert c.api.delete(c.clinician, f"patients/{alone}").status_code == 403  # clinicians do not delete patients
    assert c.api.delete(c.owner, f"patients/{alone}").status_code == 204
    assert count(world, PatientAccess, patient_id=alone) == 0
    assert count(world, CareTeamMember, patient_id=alone) == 0


def test_revoking_access_and_removing_from_care_team(clinic: Any) -> None:
    c = clinic
    patient = c.patient(c.clinician)
    grant = c.api.ok(c.api.post(c.administrator, f"patients/{patient}/access",
                                {"member_id": c.stranger.member_id, "reason": "cover"}), 201)
    assert grant["active"] and grant["until"] is None
    assert c.api.get(c.stranger, f"patients/{patient}").status_code == 200
    # they are told by email, with a link to a console page that exists (no patient name in it)
    with c.api.client.app.state.services.unit() as uow:
        [mail] = [m for m in repo.outbox(uow.session, to_address=c.stranger.email) if m.kind == "patient_access"]
    link = mail.body.rsplit("Open it in caregate: ", 1)[1].strip()
    assert link.endswith(f"/o/{c.org_id}/notifications") and patient not in mail.body
    page = c.api.client.get(link.removeprefix("http://testserver"), headers=c.stranger.headers)
    assert page.status_code != 404
    listed = c.api.ok(c.api.get(c.administrator, f"patients/{patient}/access"))
    assert [g["id"] for g in listed] == [grant["id"]]
    assert c.api.delete(c.administrator, f"patients/{patient}/access/{grant['id']}").status_code == 204
    assert c.api.get(c.stranger, f"patients/{patient}").status_code == 403
    # the Administrator manages the care team; support seats never join it
    c.api.ok(c.api.put(c.administrator, f"patients/{patient}/care-team/{c.stranger.member_id}"))
    assert c.api.get(c.stranger, f"patients/{patient}").status_code == 200
    r = c.api.put(c.administrator, f"patients/{patient}/care-team/{c.assistant.member_id}")
    assert r.status_code == 403 and r.json()["reasons"][0]["code"] == "forbid:support-seat"
    assert c.api.put(c.administrator, f"patients/{patient}/care-team/{c.stranger.member_id}").status_code == 409
    c.api.ok(c.api.delete(c.administrator, f"patients/{patient}/care-team/{c.stranger.member_id}"))
    assert c.api.get(c.stranger, f"patients/{patient}").status_code == 403
    # access cannot be given to roles that never read patients, nor to anyone outside
    r = c.api.post(c.administrator, f"patients/{patient}/access", {"member_id": c.template_manager.member_id})
    assert r.status_code == 422 and "no access to patients" in r.json()["detail"]
    r = c.api.post(c.administrator, f"patients/{patient}/access",
                   {"member_id": c.stranger.member_id, "until": "2020-01-01T00:00:00Z"})
    assert r.status_code == 422 and "future" in r.json()["detail"]


def test_member_who_provides_appointments_is_transferred_before_delete(clinic: Any, world: Any) -> None:
    c = clinic
    leaver = world.member(c.org_id, roles=("clinician",), teams=(c.team,))
    c.api.ok(c.api.post(leaver, "appointments", {"starts_at": "2026-12-01T09:00:00Z",
                                                 "ends_at": "2026-12-01T09:30:00Z"}), 201)
    personal = c.api.ok(c.api.post(leaver, "templates", {"name": "Mine"}), 201)
    r = c.api.delete(c.owner, f"members/{leaver.member_id}")
    assert r.status_code == 409 and r.json()["provider_appointments"] == 1
    moved = c.api.ok(c.api.post(c.owner, f"members/{leaver.member_id}/transfer",
                                {"to_member_id": c.clinician.member_id}))
    assert moved == {"sessions": 0, "care_team_places": 0, "appointments": 1}
    assert c.api.delete(c.owner, f"members/{leaver.member_id}").status_code == 204
    assert c.api.ok(c.api.get(c.clinician, "appointments"))["total"] == 1
    # personal templates go with the account
    assert count(world, Template, id=personal["id"]) == 0


def test_reads_lists_exports_and_copies_are_audited_with_the_patient(clinic: Any, world: Any) -> None:
    c = clinic
    patient = c.patient(c.clinician)
    session = full_session(c, patient)
    c.api.ok(c.api.get(c.clinician, f"sessions/{session}"))
    c.api.ok(c.api.get(c.clinician, f"sessions/{session}/note"))
    c.api.ok(c.api.post(c.assistant, f"sessions/{session}/note/copy"))
    c.api.ok(c.api.get(c.front_desk, f"patients/{patient}"))
    c.api.ok(c.api.get(c.clinician, "sessions", patient_id=patient))
    assert c.api.get(c.clinician, "sessions/export", format="json").status_code == 200
    [read] = events(world, "sessions.read")
    assert (read.patient_id, read.object_id, read.actor_member_id) == (patient, session, c.clinician.member_id)
    assert read.reasons[0]["code"] == "role:clinician"
    [note] = events(world, "notes.read")
    assert note.patient_id == patient
    [copy] = events(world, "notes.copy")
    assert (copy.patient_id, copy.actor_member_id) == (patient, c.assistant.member_id)
    [desk] = events(world, "patients.read")
    assert desk.patient_id == patient and desk.actor_member_id == c.front_desk.member_id
    [listed] = events(world, "sessions.list")
    assert listed.patient_id == patient and listed.detail["returned"] == [session] and listed.detail["total"] == 1
    [exported] = events(world, "sessions.export")
    assert exported.detail["patients"] == [patient] and exported.detail["returned"] == [session]
    # a refusal is recorded too, and the refused request changed nothing
    assert c.api.delete(c.assistant, f"sessions/{session}/note").status_code == 403
    [denied] = [e for e in events(world, "notes.delete") if e.outcome == "denied"]
    assert denied.patient_id == patient and denied.reasons[0]["code"] == "forbid:only-owner-deletes"
    assert count(world, SessionNote, session_id=session) == 1
