"""Clinical sessions: create (for oneself, or by an assistant for a clinician), edit, record, delete.

Who may do what is the engine's: an Assistant creates sessions only for someone else, never records,
and only the owner deletes a session. Deleting a session deletes its note, transcript, context,
documents and shares with it.
"""

from __future__ import annotations

from caregate.engine import Action
from caregate.service.actors import Actor
from caregate.service.authz import authorize
from caregate.service.clinical import common
from caregate.service.clinical import views as v
from caregate.service.clinical.kinds import Facts, session_facts, session_resource, session_view
from caregate.service.clinical.reading import hide, load, remove
from caregate.service.clinical.reading import kind as kind_of
from caregate.service.context import UnitOfWork
from caregate.service.errors import Conflict, Invalid
from caregate.store import repo
from caregate.store.clinical import ClinicalSession
from caregate.store.ids import new_id

STATUSES = ("draft", "in_progress", "completed", "signed")
# recording state -> the states it may move to
RECORDING = {"none": ("recording",), "recording": ("paused", "stopped"), "paused": ("recording", "stopped"),
             "stopped": ()}


def _default_team(uow: UnitOfWork, actor: Actor, owner_id: str) -> str | None:
    """A team creator and owner share (an assistant works in the clinician's team), else the owner's only one."""
    teams = repo.teams_of(uow.session, member_ids=[actor.member_id, owner_id])
    shared = sorted(teams[actor.member_id] & teams[owner_id])
    if shared:
        return shared[0]
    own = sorted(teams[owner_id])
    return own[0] if len(own) == 1 else None


def _status(status: str) -> str:
    if status not in STATUSES:
        raise Invalid(f"status must be one of {', '.join(STATUSES)}")
    return status


def create(uow: UnitOfWork, actor: Actor, *, owner_id: str | None = None, title: str = "",
           team_id: str | None = None, location_id: str | None = None, patient_id: str | None = None,
           status: str = "draft") -> v.SessionView:
    """A new session owned by `owner_id` (default: the caller), created by the caller."""
    owner = common.member(uow, actor, owner_id or actor.member_id, what="owner", statuses=("active",))
    common.team(uow, actor, team_id)
    common.location(uow, actor, location_id)
    common.readable_patient(uow, actor, patient_id)
    row = ClinicalSession(id=new_id("ses"), org_id=actor.org_id, owner_id=owner.id, created_by=actor.member_id,
                          team_id=team_id or _default_team(uow, actor, owner.id), location_id=location_id,
                          patient_id=patient_id, title=common.text(title, limit=200, what="title"),
                          status=_status(status), recording="none", created_at=uow.now)
    facts = session_facts(uow.session, actor.org_id, [row])
    resource = common.with_seat(session_resource(row, facts), uow, actor.org_id, owner.id)
    decision = authorize(uow, actor, Action.CREATE, resource, patient_id=patient_id)
    uow.session.add(row)
    uow.session.flush()
    uow.record("sessions.create", org_id=actor.org_id, actor=actor, object_type="sessions", object_id=row.id,
               patient_id=patient_id, decision=decision,
               after={"owner_id": owner.id, "team_id": row.team_id, "location_id": location_id,
                      "patient_id": patient_id, "status": row.status})
    return session_view(row, Facts())


def _snapshot(row: ClinicalSession) -> dict[str, object]:
    return {"title": row.title, "status": row.status, "team_id": row.team_id, "location_id": row.location_id,
            "patient_id": row.patient_id}


def edit(uow: UnitOfWork, actor: Actor, *, session_id: str, changes: dict[str, object]) -> v.SessionView:
    """Change title, status, patient, team or location (`edit` on the session, as it is now)."""
    row, facts = load(uow, actor, kind_of("sessions"), session_id)
    unknown = set(changes) - {"title", "status", "patient_id", "team_id", "location_id"}
    if unknown:
        raise Invalid(f"cannot change {', '.join(sorted(unknown))} of a session")
    decision = authorize(uow, actor, Action.EDIT, session_resource(row, facts), patient_id=row.patient_id)
    before = _snapshot(row)
    if "title" in changes:
        row.title = common.text(str(changes["title"] or ""), limit=200, what="title")
    if "status" in changes:
        row.status = _status(str(changes["status"]))
    if "patient_id" in changes:
        new_patient = _opt(changes["patient_id"])
        common.readable_patient(uow, actor, new_patient)
        row.patient_id = new_patient
    if "team_id" in changes:
        row.team_id = common.team(uow, actor, _opt(changes["team_id"]))
    if "location_id" in changes:
        row.location_id = common.location(uow, actor, _opt(changes["location_id"]))
    row.updated_at = uow.now
    uow.record("sessions.edit", org_id=actor.org_id, actor=actor, object_type="sessions", object_id=row.id,
               patient_id=row.patient_id, decision=decision, before=before, after=_snapshot(row))
    return hide(session_view(row, facts), decision.hidden_fields)


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


def record(uow: UnitOfWork, actor: Actor, *, session_id: str, state: str) -> v.SessionView:
    """Start, pause or stop the recording (`record`: never an Assistant, never a mere share)."""
    row, facts = load(uow, actor, kind_of("sessions"), session_id)
    if state not in RECORDING:
        raise Invalid(f"recording state must be one of {', '.join(s for s in RECORDING if s != 'none')}")
    decision = authorize(uow, actor, Action.RECORD, session_resource(row, facts), patient_id=row.patient_id)
    if state not in RECORDING[row.recording]:
        raise Conflict(f"the recording is {row.recording}; it cannot become {state}")
    before = row.recording
    row.recording = state
    row.updated_at = uow.now
    uow.record("sessions.record", org_id=actor.org_id, actor=actor, object_type="sessions", object_id=row.id,
               patient_id=row.patient_id, decision=decision, before={"recording": before}, after={"recording": state})
    return session_view(row, facts)


def delete(uow: UnitOfWork, actor: Actor, *, session_id: str) -> None:
    """Only the owner deletes a session; its parts and shares go with it."""
    remove(uow, actor, kind_name="sessions", object_id=session_id)
