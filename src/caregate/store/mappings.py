"""Where each table keeps what the engine's `Resource` carries, for compiling list filters.

Each mapping here must say exactly what `service/resources.py` builds for the same row: the same
owner, creator, teams, locations, assigned members, attributes (only those present when not NULL) and
grants. `tests/clinical/test_lookup_property.py` checks the two never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, case, exists, false, or_, select

from caregate.engine.catalog import PATIENT_ACCESS_PERMITS, SHARE_LEVELS
from caregate.engine.filters import HasGrant
from caregate.store.clinical import (
    Appointment,
    Call,
    CareTeamMember,
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
    RoomMember,
    SessionDocument,
    SessionShare,
    StockOrder,
    Template,
    TemplateTeam,
)
from caregate.store.filters import Column, Link, Mapping
from caregate.store.tables import MemberLocation, Membership, RoleAssignmentRow, TeamMember


def share_levels(pred: HasGrant) -> list[str]:
    """The share levels whose permits include the predicate's (feature, action)."""
    return sorted(str(level) for level, permits in SHARE_LEVELS.items() if pred.key in permits)


def _patient_access(pred: HasGrant, patient: Column) -> ColumnElement[bool] | None:
    if not pred.patient_access_allowed or pred.key not in PATIENT_ACCESS_PERMITS:
        return None
    # without a moment only grants without an end can be honoured (errors push towards deny)
    unexpired = PatientAccess.until.is_(None) if pred.at is None else or_(
        PatientAccess.until.is_(None), PatientAccess.until > pred.at)
    return exists(select(1).where(PatientAccess.patient_id == patient,
                                  PatientAccess.membership_id == pred.member_id, unexpired))


def _session_grants(pred: HasGrant) -> Sequence[ColumnElement[bool]]:
    """A session and its parts: its shares, and explicit access to its patient."""
    parts: list[ColumnElement[bool]] = []
    levels = share_levels(pred)
    if pred.shares_allowed and levels:
        parts.append(ClinicalSession.id.in_(
            select(SessionShare.session_id).where(SessionShare.membership_id == pred.member_id,
                                                  SessionShare.level.in_(levels))))
    access = _patient_access(pred, ClinicalSession.patient_id)
    if access is not None:
        parts.append(access)
    return parts


def _patient_grants(pred: HasGrant) -> Sequence[ColumnElement[bool]]:
    """A patient: explicit access, and the shares of the patient's sessions (edit and full reach the profile)."""
    parts: list[ColumnElement[bool]] = []
    levels = share_levels(pred)
    if pred.shares_allowed and levels:
        parts.append(exists(select(1).select_from(SessionShare).join(
            ClinicalSession, ClinicalSession.id == SessionShare.session_id).where(
            ClinicalSession.patient_id == Patient.id, SessionShare.membership_id == pred.member_id,
            SessionShare.level.in_(levels))))
    access = _patient_access(pred, Patient.id)
    if access is not None:
        parts.append(access)
    return parts


def _no_grants(pred: HasGrant) -> ColumnElement[bool]:
    return false()


def _session_like(id_column: Column, created_by: Column) -> Mapping:
    """Sessions and their parts (note, transcript, context, documents) share the session's access."""
    return Mapping(
        id=id_column,
        owner=ClinicalSession.owner_id,
        created_by=created_by,
        team=ClinicalSession.team_id,
        location=ClinicalSession.location_id,
        assigned=Link(CareTeamMember.patient_id, CareTeamMember.membership_id, key=ClinicalSession.patient_id),
        attrs={"status": ClinicalSession.status},
        grant_parts=_session_grants,
    )


def _amount(cents: Column) -> Column:
    """The `amount` attribute is in currency units, so that a condition reads 'amount < 500'."""
    return cents / 100.0


MEMBERS = Mapping(
    id=Membership.id,
    owner=Membership.id,
    team=Link(TeamMember.membership_id, TeamMember.team_id),
    location=Link(MemberLocation.membership_id, MemberLocation.location_id),
    # as service.resources.member builds them
    attrs={"status": Membership.status,
           "is_owner": exists(select(1).where(RoleAssignmentRow.membership_id == Membership.id,
                                              RoleAssignmentRow.role_key == "owner"))},
)

SESSIONS = _session_like(ClinicalSession.id, ClinicalSession.created_by)
CONTEXT = _session_like(ContextEntry.id, ContextEntry.created_by)
DOCUMENTS = _session_like(SessionDocument.id, SessionDocument.created_by)

PATIENTS = Mapping(
    id=Patient.id,
    created_by=Patient.created_by,
    team=Patient.team_id,
    location=Patient.location_id,
    assigned=Link(CareTeamMember.patient_id, CareTeamMember.membership_id),
    grant_parts=_patient_grants,
)

TEMPLATES = Mapping(
    id=Template.id,
    owner=Template.owner_id,
    team=Link(TemplateTeam.template_id, TemplateTeam.team_id),
    attrs={"visibility": Template.visibility},
    grants=_no_grants,
)

APPOINTMENTS = Mapping(
    id=Appointment.id,
    owner=Appointment.provider_id,
    created_by=Appointment.created_by,
    team=Appointment.team_id,
    location=Appointment.location_id,
    assigned=Link(CareTeamMember.patient_id, CareTeamMember.membership_id, key=Appointment.patient_id),
    attrs={"status": Appointment.status},
    grants=_no_grants,
)

# a message belongs where its patient belongs (the list joins the patient)
MESSAGES = Mapping(
    id=PatientMessage.id,
    created_by=PatientMessage.created_by,
    team=Patient.team_id,
    location=Patient.location_id,
    assigned=Link(CareTeamMember.patient_id, CareTeamMember.membership_id, key=PatientMessage.patient_id),
    attrs={"direction": PatientMessage.direction},
    grants=_no_grants,
)

INVOICES = Mapping(
    id=Invoice.id, created_by=Invoice.created_by, location=Invoice.location_id,
    attrs={"status": Invoice.status, "amount": _amount(Invoice.amount_cents)}, grants=_no_grants,
)

CHARGES = Mapping(
    id=Charge.id, created_by=Charge.requested_by, location=Charge.location_id,
    attrs={"status": Charge.status, "amount": _amount(Charge.amount_cents), "requested_by": Charge.requested_by,
           "approved_by": Charge.approved_by},
    grants=_no_grants,
)

PAYMENTS = Mapping(
    id=Payment.id, created_by=Payment.created_by, location=Payment.location_id,
    attrs={"status": Payment.status, "amount": _amount(Payment.amount_cents), "method": Payment.method},
    grants=_no_grants,
)

REFUNDS = Mapping(
    id=Refund.id, created_by=Refund.requested_by, location=Refund.location_id,
    attrs={"status": Refund.status, "amount": _amount(Refund.amount_cents), "requested_by": Refund.requested_by,
           "approved_by": Refund.approved_by},
    grants=_no_grants,
)

PRODUCTS = Mapping(id=Product.id, location=Product.location_id, grants=_no_grants)

# an order is stocked where its product is (the list joins the product)
ORDERS = Mapping(id=StockOrder.id, created_by=StockOrder.created_by, location=Product.location_id,
                 attrs={"status": StockOrder.status}, grants=_no_grants)

CALLS = Mapping(id=Call.id, created_by=Call.created_by, assigned=Call.assigned_to,
                attrs={"status": Call.status}, grants=_no_grants)

ROOMS = Mapping(
    id=Room.id,
    owner=Room.owner_id,
    created_by=Room.created_by,
    assigned=Link(RoomMember.room_id, RoomMember.membership_id),
    attrs={"kind": Room.kind,
           "plan_feature": case((Room.kind == "shared", "shared_rooms"), else_=None)},
    grants=_no_grants,
)
