"""The kinds of clinical objects a member can list, read, export and look up: for each, the engine feature,
how a page of rows becomes the engine's `Resource`s (with the facts loaded once per page), its public
view and the patient it concerns (for the audit trail).

A kind's name is its list in `store.lookups.LISTS`; the mapping there and the resource built here must
agree (`tests/clinical/test_lookup_property.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from caregate.engine import Feature, Resource
from caregate.service import resources
from caregate.service.clinical import views as v
from caregate.store import records
from caregate.store.clinical import (
    Appointment,
    Call,
    Charge,
    ClinicalSession,
    ContextEntry,
    Invoice,
    Patient,
    PatientAccess,
    PatientMessage,
    Payment,
    Product,
    Refund,
    Room,
    SessionDocument,
    SessionShare,
    StockOrder,
    Template,
)
from caregate.store.repo import Session

F = Feature
PATIENT_FIELDS = ("email", "phone", "address", "date_of_birth", "sex", "ssn", "insurance", "clinical_summary")


@dataclass
class Facts:
    """What the access to a page of rows depends on, loaded in a few queries for the whole page."""

    shares: dict[str, list[SessionShare]] = field(default_factory=dict)  # by session
    care: dict[str, set[str]] = field(default_factory=dict)  # by patient
    access: dict[str, list[PatientAccess]] = field(default_factory=dict)  # by patient
    patient_shares: dict[str, list[SessionShare]] = field(default_factory=dict)  # by patient
    sessions: dict[str, ClinicalSession] = field(default_factory=dict)
    patients: dict[str, Patient] = field(default_factory=dict)
    teams: dict[str, set[str]] = field(default_factory=dict)  # by template
    members: dict[str, set[str]] = field(default_factory=dict)  # by room
    products: dict[str, Product] = field(default_factory=dict)


@dataclass(frozen=True)
class Kind:
    name: str
    feature: Feature
    model: Any
    facts: Callable[[Session, str, Sequence[Any]], Facts]
    resource: Callable[[Any, Facts], Resource]
    view: Callable[[Any, Facts], v.Protected] | None
    patient: Callable[[Any, Facts], str | None]

    def resources(self, s: Session, org_id: str, rows: Sequence[Any]) -> list[Resource]:
        facts = self.facts(s, org_id, rows)
        return [self.resource(r, facts) for r in rows]


# --- facts -----------------------------------------------------------------------------------------

def _no_facts(s: Session, org_id: str, rows: Sequence[Any]) -> Facts:
    return Facts()


def session_facts(s: Session, org_id: str, rows: Sequence[ClinicalSession]) -> Facts:
    patients = [r.patient_id for r in rows if r.patient_id]
    return Facts(shares=records.shares_of_sessions(s, session_ids=[r.id for r in rows]),
                 care=records.care_teams(s, patient_ids=patients),
                 access=records.patient_access(s, patient_ids=patients),
                 sessions={r.id: r for r in rows})


def part_facts(s: Session, org_id: str, rows: Sequence[ContextEntry | SessionDocument]) -> Facts:
    sessions = records.by_ids(s, ClinicalSession, org_id=org_id, ids=[r.session_id for r in rows])
    return session_facts(s, org_id, list(sessions.values()))


def patient_facts(s: Session, org_id: str, rows: Sequence[Patient]) -> Facts:
    ids = [r.id for r in rows]
    return Facts(care=records.care_teams(s, patient_ids=ids), access=records.patient_access(s, patient_ids=ids),
                 patient_shares=records.shares_of_patients(s, patient_ids=ids), patients={r.id: r for r in rows})


def _care_of_patients(s: Session, org_id: str, rows: Sequence[Any]) -> Facts:
    ids = [r.patient_id for r in rows if r.patient_id]
    return Facts(care=records.care_teams(s, patient_ids=ids),
                 patients=records.by_ids(s, Patient, org_id=org_id, ids=ids))


def _template_facts(s: Session, org_id: str, rows: Sequence[Template]) -> Facts:
    return Facts(teams=records.template_teams(s, template_ids=[r.id for r in rows]))


def _room_facts(s: Session, org_id: str, rows: Sequence[Room]) -> Facts:
    return Facts(members=records.room_members(s, room_ids=[r.id for r in rows]))


def _order_facts(s: Session, org_id: str, rows: Sequence[StockOrder]) -> Facts:
    return Facts(products=records.by_ids(s, Product, org_id=org_id, ids=[r.product_id for r in rows]))


# --- resources -------------------------------------------------------------------------------------

def session_resource(row: ClinicalSession, f: Facts, feature: Feature = F.SESSIONS,
                     part: ContextEntry | SessionDocument | None = None) -> Resource:
    return resources.session(row, shares=f.shares.get(row.id, ()), care_team=f.care.get(row.patient_id or "", ()),
                             access=f.access.get(row.patient_id or "", ()), feature=feature, part=part)


def _part_resource(feature: Feature) -> Callable[[Any, Facts], Resource]:
    def build(row: ContextEntry | SessionDocument, f: Facts) -> Resource:
        return session_resource(f.sessions[row.session_id], f, feature, row)
    return build


def patient_resource(row: Patient, f: Facts) -> Resource:
    return resources.patient(row, care_team=f.care.get(row.id, ()), shares=f.patient_shares.get(row.id, ()),
                             access=f.access.get(row.id, ()))


def _message_resource(row: PatientMessage, f: Facts) -> Resource:
    return resources.message(row, patient_row=f.patients[row.patient_id], care_team=f.care.get(row.patient_id, ()))


# --- views -----------------------------------------------------------------------------------------

def patient_view(row: Patient, f: Facts) -> v.PatientView:
    details = row.details or {}
    return v.PatientView(id=row.id, name=row.name, team_id=row.team_id, location_id=row.location_id,
                         care_team=sorted(f.care.get(row.id, ())), created_by=row.created_by,
                         created_at=row.created_at, updated_at=row.updated_at,
                         **{k: details.get(k) for k in PATIENT_FIELDS})


def session_view(row: ClinicalSession, f: Facts) -> v.SessionView:
    return v.SessionView(id=row.id, owner_id=row.owner_id, created_by=row.created_by, team_id=row.team_id,
                         location_id=row.location_id, patient_id=row.patient_id, title=row.title, status=row.status,
                         recording=row.recording, created_at=row.created_at, updated_at=row.updated_at)


def context_view(row: ContextEntry, f: Facts) -> v.ContextView:
    return v.ContextView(id=row.id, session_id=row.session_id, body=row.body, created_by=row.created_by,
                         created_at=row.created_at, updated_at=row.updated_at)


def document_view(row: SessionDocument, f: Facts) -> v.DocumentView:
    return v.DocumentView(id=row.id, session_id=row.session_id, kind=row.kind, title=row.title, body=row.body,
                          created_by=row.created_by, created_at=row.created_at, updated_at=row.updated_at)


def template_view(row: Template, f: Facts) -> v.TemplateView:
    return v.TemplateView(id=row.id, owner_id=row.owner_id, name=row.name, body=row.body, visibility=row.visibility,
                          team_ids=sorted(f.teams.get(row.id, ())), created_at=row.created_at,
                          updated_at=row.updated_at)


def appointment_view(row: Appointment, f: Facts) -> v.AppointmentView:
    return v.AppointmentView(id=row.id, provider_id=row.provider_id, patient_id=row.patient_id, team_id=row.team_id,
                             location_id=row.location_id, starts_at=row.starts_at, ends_at=row.ends_at,
                             status=row.status, reason=row.reason, created_by=row.created_by,
                             checked_in_at=row.checked_in_at, created_at=row.created_at)


def message_view(row: PatientMessage, f: Facts) -> v.MessageView:
    return v.MessageView(id=row.id, patient_id=row.patient_id, direction=row.direction, body=row.body,
                         created_by=row.created_by, created_at=row.created_at)


def invoice_view(row: Invoice, f: Facts) -> v.InvoiceView:
    return v.InvoiceView(id=row.id, patient_id=row.patient_id, location_id=row.location_id, number=row.number,
                         amount_cents=row.amount_cents, currency=row.currency, status=row.status,
                         created_by=row.created_by, created_at=row.created_at)


def charge_view(row: Charge, f: Facts) -> v.ChargeView:
    return v.ChargeView(id=row.id, invoice_id=row.invoice_id, patient_id=row.patient_id, location_id=row.location_id,
                        description=row.description, amount_cents=row.amount_cents, status=row.status,
                        requested_by=row.requested_by, approved_by=row.approved_by, approved_at=row.approved_at,
                        created_at=row.created_at)


def payment_view(row: Payment, f: Facts) -> v.PaymentView:
    return v.PaymentView(id=row.id, invoice_id=row.invoice_id, patient_id=row.patient_id,
                         location_id=row.location_id, amount_cents=row.amount_cents, method=row.method,
                         status=row.status, created_by=row.created_by, processed_by=row.processed_by,
                         processed_at=row.processed_at, created_at=row.created_at)


def refund_view(row: Refund, f: Facts) -> v.RefundView:
    return v.RefundView(id=row.id, payment_id=row.payment_id, patient_id=row.patient_id, location_id=row.location_id,
                        amount_cents=row.amount_cents, reason=row.reason, status=row.status,
                        requested_by=row.requested_by, approved_by=row.approved_by, processed_by=row.processed_by,
                        created_at=row.created_at)


def product_view(row: Product, f: Facts) -> v.ProductView:
    return v.ProductView(id=row.id, name=row.name, sku=row.sku, stock=row.stock, location_id=row.location_id,
                         created_at=row.created_at)


def order_view(row: StockOrder, f: Facts) -> v.OrderView:
    return v.OrderView(id=row.id, product_id=row.product_id, quantity=row.quantity, status=row.status,
                       created_by=row.created_by, created_at=row.created_at, received_at=row.received_at)


def call_view(row: Call, f: Facts) -> v.CallView:
    return v.CallView(id=row.id, caller_number=row.caller_number, patient_id=row.patient_id,
                      assigned_to=row.assigned_to, status=row.status, summary=row.summary,
                      has_transcript=row.transcript is not None, created_by=row.created_by,
                      created_at=row.created_at)


def room_view(row: Room, f: Facts) -> v.RoomView:
    return v.RoomView(id=row.id, kind=row.kind, name=row.name, owner_id=row.owner_id,
                      member_ids=sorted(f.members.get(row.id, ())), created_at=row.created_at)


def _patient_id(row: Any, f: Facts) -> str | None:
    value = getattr(row, "patient_id", None)
    return value if isinstance(value, str) else None


def _part_patient(row: ContextEntry | SessionDocument, f: Facts) -> str | None:
    return f.sessions[row.session_id].patient_id


def _kind(name: str, feature: Feature, model: Any, facts: Callable[[Session, str, Sequence[Any]], Facts],
          resource: Callable[[Any, Facts], Resource], view: Callable[[Any, Facts], v.Protected] | None,
          patient: Callable[[Any, Facts], str | None] = _patient_id) -> Kind:
    return Kind(name, feature, model, facts, resource, view, patient)


def _session_part_of(feature: Feature) -> Callable[[Any, Facts], Resource]:
    return lambda row, f: session_resource(row, f, feature)


KINDS: dict[str, Kind] = {k.name: k for k in (
    _kind("sessions", F.SESSIONS, ClinicalSession, session_facts, session_resource, session_view),
    _kind("notes", F.NOTES, ClinicalSession, session_facts, _session_part_of(F.NOTES), None),
    _kind("transcripts", F.TRANSCRIPTS, ClinicalSession, session_facts, _session_part_of(F.TRANSCRIPTS), None),
    _kind("context", F.CONTEXT, ContextEntry, part_facts, _part_resource(F.CONTEXT), context_view, _part_patient),
    _kind("documents", F.DOCUMENTS, SessionDocument, part_facts, _part_resource(F.DOCUMENTS), document_view,
          _part_patient),
    _kind("patients", F.PATIENTS, Patient, patient_facts, patient_resource, patient_view,
          lambda row, f: row.id),
    _kind("templates", F.TEMPLATES, Template, _template_facts,
          lambda row, f: resources.template(row, teams=f.teams.get(row.id, ())), template_view),
    _kind("appointments", F.APPOINTMENTS, Appointment, _care_of_patients,
          lambda row, f: resources.appointment(row, care_team=f.care.get(row.patient_id or "", ())),
          appointment_view),
    _kind("messages", F.MESSAGES, PatientMessage, _care_of_patients, _message_resource, message_view),
    _kind("invoices", F.INVOICES, Invoice, _no_facts, lambda row, f: resources.invoice(row), invoice_view),
    _kind("charges", F.CHARGES, Charge, _no_facts, lambda row, f: resources.charge(row), charge_view),
    _kind("payments", F.PAYMENTS, Payment, _no_facts, lambda row, f: resources.payment(row), payment_view),
    _kind("refunds", F.REFUNDS, Refund, _no_facts, lambda row, f: resources.refund(row), refund_view),
    _kind("products", F.INVENTORY, Product, _no_facts, lambda row, f: resources.product(row), product_view),
    _kind("orders", F.INVENTORY, StockOrder, _order_facts,
          lambda row, f: resources.order(row, product_row=f.products[row.product_id]), order_view),
    _kind("calls", F.CALLS, Call, _no_facts, lambda row, f: resources.call(row), call_view),
    _kind("call_transcripts", F.CALL_TRANSCRIPTS, Call, _no_facts,
          lambda row, f: resources.call(row, feature=F.CALL_TRANSCRIPTS), None),
    _kind("rooms", F.ROOMS, Room, _room_facts, lambda row, f: resources.room(row, members=f.members.get(row.id, ())),
          room_view),
)}
