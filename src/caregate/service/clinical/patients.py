"""Patients: create, edit, delete; their care team; explicit access for one member; messages to them.

A patient's contact details (email, phone, address), demographics (date of birth, sex) and sensitive
fields (SSN, insurance, clinical summary) are stored together; which of them a member receives is the
engine's obligation (`hidden_fields`), applied to every response. Nobody changes a field hidden from them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from caregate.engine import Action, Feature, SeatType
from caregate.service import resources
from caregate.service.actors import Actor
from caregate.service.authz import authorize, check
from caregate.service.clinical import common
from caregate.service.clinical import views as v
from caregate.service.clinical.kinds import PATIENT_FIELDS, Facts, message_view, patient_resource, patient_view
from caregate.service.clinical.reading import hide, load, remove
from caregate.service.clinical.reading import kind as kind_of
from caregate.service.context import UnitOfWork
from caregate.service.errors import Conflict, Invalid, NotFound
from caregate.store import records, repo
from caregate.store.clinical import Patient, PatientAccess, PatientMessage
from caregate.store.ids import new_id

MAX_CARE_TEAM = 20
FIELD_LIMITS = {"email": 254, "phone": 40, "address": 300, "date_of_birth": 10, "sex": 20, "ssn": 20,
                "insurance": 200, "clinical_summary": 5000}


def _details(fields: Mapping[str, str | None], current: Mapping[str, object] | None = None) -> dict[str, object]:
    unknown = sorted(set(fields) - set(PATIENT_FIELDS))
    if unknown:
        raise Invalid(f"unknown patient fields: {', '.join(unknown)}; use {', '.join(PATIENT_FIELDS)}")
    out = dict(current or {})
    for name, value in fields.items():
        cleaned = common.text(value, limit=FIELD_LIMITS[name], what=name) if value is not None else ""
        if cleaned:
            out[name] = cleaned
        else:
            out.pop(name, None)
    return out


def _default_team(uow: UnitOfWork, actor: Actor) -> str | None:
    mine = sorted(repo.teams_of(uow.session, member_ids=[actor.member_id])[actor.member_id])
    return mine[0] if len(mine) == 1 else None


def create(uow: UnitOfWork, actor: Actor, *, name: str, team_id: str | None = None, location_id: str | None = None,
           fields: Mapping[str, str | None] | None = None, care_team: Sequence[str] | None = None) -> v.PatientView:
    """A new patient. The creator joins the care team by default when their seat allows; adding anyone
    else to it is `assign`."""
    common.team(uow, actor, team_id)
    common.location(uow, actor, location_id)
    if care_team is None:
        standard = common.seat(uow, actor.org_id, actor.member_id) is SeatType.STANDARD
        care_team = [actor.member_id] if standard else []
    care = list(dict.fromkeys(care_team))
    if len(care) > MAX_CARE_TEAM:
        raise Invalid(f"a care team has at most {MAX_CARE_TEAM} members")
    targets = [common.member(uow, actor, m, what="care-team member") for m in care]
    row = Patient(id=new_id("pat"), org_id=actor.org_id, name=common.text(name, limit=120, what="name", required=True),
                  team_id=team_id or _default_team(uow, actor), location_id=location_id,
                  details=_details(fields or {}), created_by=actor.member_id, created_at=uow.now)
    resource = resources.patient(row, care_team=care)
    joins = actor.member_id in care
    decision = authorize(uow, actor, Action.CREATE,
                         common.with_seat(resource, uow, actor.org_id, actor.member_id) if joins else resource,
                         patient_id=row.id)
    for target in targets:
        if target.id != actor.member_id:
            authorize(uow, actor, Action.ASSIGN, common.with_seat(resource, uow, actor.org_id, target.id),
                      patient_id=row.id)
    uow.session.add(row)
    uow.session.flush()
    for member_id in care:
        records.set_care_team(uow.session, org_id=actor.org_id, patient_id=row.id, member_id=member_id, on=True)
    uow.record("patients.create", org_id=actor.org_id, actor=actor, object_type="patients", object_id=row.id,
               patient_id=row.id, decision=decision,
               after={"team_id": row.team_id, "location_id": location_id, "care_team": care,
                      "fields": sorted(row.details)})
    return hide(patient_view(row, Facts(care={row.id: set(care)})), decision.hidden_fields)


def edit(uow: UnitOfWork, actor: Actor, *, patient_id: str, name: str | None = None,
         team_id: str | None = None, location_id: str | None = None, clear: Sequence[str] = (),
         fields: Mapping[str, str | None] | None = None) -> v.PatientView:
    """Change a patient's profile. `clear` names team_id / location_id to empty."""
    row, facts = load(uow, actor, kind_of("patients"), patient_id)
    resource = patient_resource(row, facts)
    decision = authorize(uow, actor, Action.EDIT, resource, patient_id=row.id)
    hidden = decision.hidden_fields | check(uow, actor, Action.READ, resource).hidden_fields
    touched = sorted(set(fields or {}) & hidden)
    if touched:
        raise Invalid(f"you cannot change {', '.join(touched)}: hidden from you on this patient")
    before = {"name": row.name, "team_id": row.team_id, "location_id": row.location_id, "fields": sorted(row.details)}
    if name is not None:
        row.name = common.text(name, limit=120, what="name", required=True)
    if team_id is not None or "team_id" in clear:
        row.team_id = common.team(uow, actor, team_id)
    if location_id is not None or "location_id" in clear:
        row.location_id = common.location(uow, actor, location_id)
    if fields:
        row.details = _details(fields, row.details)
    row.updated_at = uow.now
    uow.record("patients.edit", org_id=actor.org_id, actor=actor, object_type="patients", object_id=row.id,
               patient_id=row.id, decision=decision, before=before,
               after={"name": row.name, "team_id": row.team_id, "location_id": row.location_id,
                      "fields": sorted(row.details), "changed": sorted(fields or {})})
    return hide(patient_view(row, facts), hidden)


def delete(uow: UnitOfWork, actor: Actor, *, patient_id: str) -> None:
    """Delete a patient who has no clinical or billing records (those are never deleted with the patient)."""
    row, facts = load(uow, actor, kind_of("patients"), patient_id)
    authorize(uow, actor, Action.DELETE, patient_resource(row, facts), patient_id=row.id)
    kept = {k: n for k, n in records.records_of_patient(uow.session, org_id=actor.org_id, patient_id=row.id).items()
            if n}
    if kept:
        listed = ", ".join(f"{n} {k}" for k, n in kept.items())
        raise Conflict(f"patient {row.id} has records that must be kept ({listed}); the patient cannot be deleted",
                       extra={"records": kept})
    remove(uow, actor, kind_name="patients", object_id=patient_id)


def set_care_team(uow: UnitOfWork, actor: Actor, *, patient_id: str, member_id: str, on: bool) -> v.PatientView:
    """Add a member to a patient's care team, or take them off it (`assign`; support seats never join)."""
    row, facts = load(uow, actor, kind_of("patients"), patient_id, lock=True)
    target = common.member(uow, actor, member_id, what="care-team member",
                           statuses=("active", "invited") if on else ("active", "invited", "disabled", "archived"))
    resource = patient_resource(row, facts)
    if on:
        resource = common.with_seat(resource, uow, actor.org_id, target.id)
    decision = authorize(uow, actor, Action.ASSIGN, resource, patient_id=row.id)
    if not records.set_care_team(uow.session, org_id=actor.org_id, patient_id=row.id, member_id=target.id, on=on):
        raise Conflict(f"member {target.id} is {'already' if on else 'not'} on this patient's care team")
    uow.session.flush()
    uow.record("patients.assign", org_id=actor.org_id, actor=actor, object_type="patients", object_id=row.id,
               patient_id=row.id, decision=decision, after={"member_id": target.id, "on_care_team": on})
    facts.care[row.id] = records.care_teams(uow.session, patient_ids=[row.id])[row.id]
    return hide(patient_view(row, facts), check(uow, actor, Action.READ, patient_resource(row, facts)).hidden_fields)


# --- explicit patient access -----------------------------------------------------------------------

def _access_view(row: PatientAccess, now: datetime) -> v.PatientAccessView:
    return v.PatientAccessView(id=row.id, patient_id=row.patient_id, member_id=row.membership_id, kind=row.kind,
                               until=row.until, active=row.until is None or now < row.until, reason=row.reason,
                               granted_by=row.granted_by, created_at=row.created_at)


def grant_access(uow: UnitOfWork, actor: Actor, *, patient_id: str, member_id: str, until: datetime | None = None,
                 reason: str = "") -> v.PatientAccessView:
    """Give one member access to one patient's record, optionally until a date (`patients:share`)."""
    row, facts = load(uow, actor, kind_of("patients"), patient_id)
    decision = authorize(uow, actor, Action.SHARE, patient_resource(row, facts), patient_id=row.id)
    target = common.member(uow, actor, member_id, what="the member to give access")
    if Feature.PATIENTS not in common.subject_of(uow, actor, target).index.features:
        raise Invalid(f"member {target.id} cannot be given patient access: their roles give no access to patients "
                      "(a Template Manager, Inventory or Call Center role never reads patient records)")
    grant = PatientAccess(id=new_id("pac"), org_id=actor.org_id, patient_id=row.id, membership_id=target.id,
                          kind="explicit",
                          until=common.future(until, uow.now, "until"),
                          reason=common.text(reason, limit=500, what="reason"), granted_by=actor.member_id,
                          created_at=uow.now)
    uow.session.add(grant)
    uow.session.flush()
    common.notify(uow, actor, target, kind="patient_access", title="You were given access to a patient record",
                  body="An administrator gave you access to a patient record"
                       + (f" until {until:%Y-%m-%d %H:%M} UTC." if until else "."),
                  object_type="patients", object_id=row.id,
                  link=f"/o/{actor.org_id}/notifications")  # the console has no patient page: where they see it
    uow.record("patients.grant_access", org_id=actor.org_id, actor=actor, object_type="patients", object_id=row.id,
               patient_id=row.id, decision=decision,
               after={"grant_id": grant.id, "member_id": target.id, "until": until.isoformat() if until else None})
    return _access_view(grant, uow.now)


def list_access(uow: UnitOfWork, actor: Actor, *, patient_id: str) -> list[v.PatientAccessView]:
    row, facts = load(uow, actor, kind_of("patients"), patient_id)
    authorize(uow, actor, Action.SHARE, patient_resource(row, facts), patient_id=row.id)
    return [_access_view(g, uow.now) for g in facts.access.get(row.id, [])]


def revoke_access(uow: UnitOfWork, actor: Actor, *, patient_id: str, grant_id: str) -> None:
    row, facts = load(uow, actor, kind_of("patients"), patient_id)
    decision = authorize(uow, actor, Action.SHARE, patient_resource(row, facts), patient_id=row.id)
    grant = next((g for g in facts.access.get(row.id, []) if g.id == grant_id), None)
    if grant is None:
        raise NotFound(f"access grant {grant_id} not found on this patient")
    if grant.kind == "break_glass":  # ended, not deleted: its review still needs it
        if grant.until is not None and grant.until > uow.now:
            grant.until, grant.ended_at, grant.ended_by = uow.now, uow.now, actor.member_id
    else:
        records.delete_object(uow.session, grant)
    uow.record("patients.revoke_access", org_id=actor.org_id, actor=actor, object_type="patients", object_id=row.id,
               patient_id=row.id, decision=decision,
               before={"grant_id": grant_id, "member_id": grant.membership_id, "kind": grant.kind})


# --- messages --------------------------------------------------------------------------------------

def send_message(uow: UnitOfWork, actor: Actor, *, patient_id: str, body: str,
                 direction: str = "outbound") -> v.MessageView:
    """A message to (or, recorded, from) a patient; it belongs where the patient belongs."""
    row, facts = load(uow, actor, kind_of("patients"), patient_id)
    if direction not in ("outbound", "inbound"):
        raise Invalid("direction must be outbound or inbound")
    message = PatientMessage(id=new_id("pmsg"), org_id=actor.org_id, patient_id=row.id, direction=direction,
                             body=common.text(body, limit=10_000, what="the message", required=True),
                             created_by=actor.member_id, created_at=uow.now)
    decision = authorize(uow, actor, Action.CREATE,
                         resources.message(message, patient_row=row, care_team=facts.care.get(row.id, ())),
                         patient_id=row.id)
    uow.session.add(message)
    uow.record("messages.create", org_id=actor.org_id, actor=actor, object_type="messages", object_id=message.id,
               patient_id=row.id, decision=decision, after={"direction": direction})
    return message_view(message, facts)

