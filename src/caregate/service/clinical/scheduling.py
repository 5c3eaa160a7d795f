"""The calendar: book (for oneself or, by Assistants and Front Desk, for others), reschedule, cancel, check in.

An appointment belongs to its provider's calendar; support-seat members have no calendar of their own
(the engine refuses booking one for them). A provider is never double-booked.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from caregate.engine import Action, Decision
from caregate.service import resources
from caregate.service.actors import Actor
from caregate.service.authz import authorize
from caregate.service.clinical import common
from caregate.service.clinical import views as v
from caregate.service.clinical.kinds import Facts, appointment_view
from caregate.service.clinical.reading import kind as kind_of
from caregate.service.clinical.reading import load
from caregate.service.context import UnitOfWork
from caregate.service.errors import Conflict, Invalid
from caregate.store import records
from caregate.store.clinical import Appointment
from caregate.store.ids import new_id
from caregate.store.tables import Membership

MAX_LENGTH = timedelta(hours=12)
OPEN = ("booked", "checked_in")


def _times(starts_at: datetime, ends_at: datetime) -> tuple[datetime, datetime]:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise Invalid("give times with a time zone, e.g. 2026-11-24T09:00:00Z")
    if not timedelta(minutes=5) <= ends_at - starts_at <= MAX_LENGTH:
        raise Invalid("an appointment ends 5 minutes to 12 hours after it starts")
    return starts_at, ends_at


def _free(uow: UnitOfWork, actor: Actor, provider_id: str, starts_at: datetime, ends_at: datetime,
          except_id: str | None = None) -> None:
    # the provider's row is locked until commit, so two bookings of one provider run one after the other
    records.get(uow.session, Membership, org_id=actor.org_id, object_id=provider_id, lock=True)
    if records.overlapping_appointments(uow.session, org_id=actor.org_id, provider_id=provider_id,
                                        starts_at=starts_at, ends_at=ends_at, except_id=except_id, statuses=OPEN):
        raise Conflict("the provider already has an appointment at that time")


def book(uow: UnitOfWork, actor: Actor, *, starts_at: datetime, ends_at: datetime, provider_id: str | None = None,
         patient_id: str | None = None, team_id: str | None = None, location_id: str | None = None,
         reason: str = "") -> v.AppointmentView:
    provider = common.member(uow, actor, provider_id or actor.member_id, what="provider", statuses=("active",))
    patient = common.readable_patient(uow, actor, patient_id)
    starts_at, ends_at = _times(starts_at, ends_at)
    row = Appointment(id=new_id("apt"), org_id=actor.org_id, provider_id=provider.id, patient_id=patient_id,
                      team_id=common.team(uow, actor, team_id), location_id=common.location(uow, actor, location_id),
                      starts_at=starts_at, ends_at=ends_at, status="booked",
                      reason=common.text(reason, limit=500, what="reason"), created_by=actor.member_id,
                      created_at=uow.now)
    care = records.care_teams(uow.session, patient_ids=[patient.id])[patient.id] if patient else set()
    resource = common.with_seat(resources.appointment(row, care_team=care), uow, actor.org_id, provider.id)
    decision = authorize(uow, actor, Action.CREATE, resource, patient_id=patient_id)
    _free(uow, actor, provider.id, starts_at, ends_at)
    uow.session.add(row)
    uow.record("appointments.create", org_id=actor.org_id, actor=actor, object_type="appointments",
               object_id=row.id, patient_id=patient_id, decision=decision,
               after={"provider_id": provider.id, "starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()})
    return appointment_view(row, Facts())


def _act(uow: UnitOfWork, actor: Actor, appointment_id: str, action: Action) -> tuple[Appointment, Decision]:
    k = kind_of("appointments")
    row, facts = load(uow, actor, k, appointment_id)
    decision = authorize(uow, actor, action, k.resource(row, facts), patient_id=row.patient_id)
    assert isinstance(row, Appointment)
    return row, decision


def reschedule(uow: UnitOfWork, actor: Actor, *, appointment_id: str, starts_at: datetime,
               ends_at: datetime) -> v.AppointmentView:
    row, decision = _act(uow, actor, appointment_id, Action.EDIT)
    if row.status not in OPEN:
        raise Conflict(f"a {row.status} appointment cannot be rescheduled; book a new one")
    starts_at, ends_at = _times(starts_at, ends_at)
    _free(uow, actor, row.provider_id, starts_at, ends_at, except_id=row.id)
    before = {"starts_at": row.starts_at.isoformat(), "ends_at": row.ends_at.isoformat()}
    row.starts_at, row.ends_at, row.updated_at = starts_at, ends_at, uow.now
    _audit(uow, actor, "appointments.edit", row, decision, before=before,
           after={"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()})
    return appointment_view(row, Facts())


def _audit(uow: UnitOfWork, actor: Actor, action: str, row: Appointment, decision: Decision, **fields: Any) -> None:
    uow.record(action, org_id=actor.org_id, actor=actor, object_type="appointments", object_id=row.id,
               patient_id=row.patient_id, decision=decision, **fields)


def cancel(uow: UnitOfWork, actor: Actor, *, appointment_id: str) -> v.AppointmentView:
    row, decision = _act(uow, actor, appointment_id, Action.CANCEL)
    if row.status not in OPEN:
        raise Conflict(f"the appointment is already {row.status}")
    before = row.status
    row.status, row.updated_at = "cancelled", uow.now
    _audit(uow, actor, "appointments.cancel", row, decision, before={"status": before}, after={"status": "cancelled"})
    return appointment_view(row, Facts())


def check_in(uow: UnitOfWork, actor: Actor, *, appointment_id: str) -> v.AppointmentView:
    row, decision = _act(uow, actor, appointment_id, Action.CHECK_IN)
    if row.status != "booked":
        raise Conflict(f"only a booked appointment can be checked in; this one is {row.status}")
    row.status, row.checked_in_at, row.updated_at = "checked_in", uow.now, uow.now
    _audit(uow, actor, "appointments.check_in", row, decision, after={"status": "checked_in"})
    return appointment_view(row, Facts())
