"""Tables of the clinical workspace: patients and their care teams, sessions with their note, transcript,
context and documents, shares and explicit patient access, templates, the calendar, patient messages,
billing, inventory, calls, rooms and notifications.

Every row carries its org_id. Lists are keyset-paged by id (ids sort by creation), so every table has an
index that starts (org_id, ..., id) for the columns its list filters use. Members who own clinical
records are referenced with NO ACTION foreign keys: deleting such a member is refused by the service
until the records are transferred, while deleting a whole organisation cascades through everything.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from caregate.store.tables import ID, Base

ORG_FK = "organisations.id"
MEMBER_FK = "memberships.id"


# --- patients --------------------------------------------------------------------------------------

class Patient(Base):
    """A patient: contact details, demographics and sensitive fields live in `details` (see service)."""

    __tablename__ = "patients"
    __table_args__ = (Index("ix_patients_org", "org_id", "id"),
                      Index("ix_patients_org_team", "org_id", "team_id", "id"),
                      Index("ix_patients_org_location", "org_id", "location_id", "id"))

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    location_id: Mapped[str | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


class CareTeamMember(Base):
    """A member assigned to a patient (the patient is on the member's care list)."""

    __tablename__ = "care_team"
    __table_args__ = (Index("ix_care_team_member", "membership_id"),)

    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True)
    membership_id: Mapped[str] = mapped_column(ForeignKey(MEMBER_FK, ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"))


class PatientAccess(Base):
    """Access to one patient for one member, perhaps until a date: given by an administrator
    (`explicit`), or taken by the member in an emergency (`break_glass`, always time-limited and
    reviewed afterwards by someone else: the review's outcome, who and when are kept on the row)."""

    __tablename__ = "patient_access"
    __table_args__ = (Index("ix_patient_access_member", "membership_id", "patient_id"),
                      Index("ix_patient_access_patient", "patient_id"),
                      Index("ix_patient_access_org_kind", "org_id", "kind", "id"))

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"))
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    membership_id: Mapped[str] = mapped_column(ForeignKey(MEMBER_FK, ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20), default="explicit", server_default="explicit")
    until: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(String(500), default="")
    granted_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]  # ended before `until`, by the member or a reviewer
    ended_by: Mapped[str | None] = mapped_column(ID)
    review_outcome: Mapped[str | None] = mapped_column(String(20))  # appropriate / inappropriate
    reviewed_by: Mapped[str | None] = mapped_column(ID)
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str] = mapped_column(String(1000), default="", server_default="")


class AccessRequest(Base):
    """A member's request for access to one patient for some hours, until enough others approve it.

    `status`: pending, approved (then `grant_id` is the patient_access row it created), denied or
    cancelled. Each approver's answer is an AccessRequestApproval row."""

    __tablename__ = "access_requests"
    __table_args__ = (Index("ix_access_requests_org_status", "org_id", "status", "id"),
                      Index("ix_access_requests_member", "membership_id", "id"))

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"))
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    membership_id: Mapped[str] = mapped_column(ForeignKey(MEMBER_FK, ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(500))
    hours: Mapped[int] = mapped_column(Integer)
    approvals_needed: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    grant_id: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class AccessRequestApproval(Base):
    """One approver's answer to an access request: approve or deny, with a note."""

    __tablename__ = "access_request_approvals"

    request_id: Mapped[str] = mapped_column(ForeignKey("access_requests.id", ondelete="CASCADE"), primary_key=True)
    approver_id: Mapped[str] = mapped_column(ForeignKey(MEMBER_FK, ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"))
    decision: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(String(1000), default="")
    at: Mapped[datetime]


# --- clinical sessions and their parts -------------------------------------------------------------

class ClinicalSession(Base):
    __tablename__ = "clinical_sessions"
    __table_args__ = (
        Index("ix_sessions_org_owner", "org_id", "owner_id", "id"),
        Index("ix_sessions_org_team", "org_id", "team_id", "id"),
        Index("ix_sessions_org_id", "org_id", "id"),
        Index("ix_sessions_org_creator", "org_id", "created_by", "id"),
        Index("ix_sessions_org_location", "org_id", "location_id", "id"),
        Index("ix_sessions_org_patient", "org_id", "patient_id", "id"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"))
    # NO ACTION, checked at the end of the statement: deleting a member who owns sessions is refused
    # (by the service, with a message), while deleting a whole organisation cascades through both.
    owner_id: Mapped[str] = mapped_column(ForeignKey(MEMBER_FK))
    created_by: Mapped[str | None] = mapped_column(ID)
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    location_id: Mapped[str | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))
    patient_id: Mapped[str | None] = mapped_column(ForeignKey("patients.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    recording: Mapped[str] = mapped_column(String(20), default="none")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


class SessionShare(Base):
    __tablename__ = "session_shares"
    __table_args__ = (Index("ix_session_shares_member", "membership_id", "session_id"),)

    session_id: Mapped[str] = mapped_column(ForeignKey("clinical_sessions.id", ondelete="CASCADE"), primary_key=True)
    membership_id: Mapped[str] = mapped_column(ForeignKey(MEMBER_FK, ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"))
    level: Mapped[str] = mapped_column(String(10))
    created_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]


class SessionNote(Base):
    """The one core note of a session (its id is the session's)."""

    __tablename__ = "session_notes"

    session_id: Mapped[str] = mapped_column(ForeignKey("clinical_sessions.id", ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str | None] = mapped_column(ID)
    updated_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SessionTranscript(Base):
    """The transcript of a session's recording (its id is the session's)."""

    __tablename__ = "session_transcripts"

    session_id: Mapped[str] = mapped_column(ForeignKey("clinical_sessions.id", ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ContextEntry(Base):
    """Context added to a session (history, referral reason, patient-supplied information ...)."""

    __tablename__ = "session_context"
    __table_args__ = (Index("ix_session_context_session", "session_id", "id"),
                      Index("ix_session_context_org", "org_id", "id"))

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"))
    session_id: Mapped[str] = mapped_column(ForeignKey("clinical_sessions.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


class SessionDocument(Base):
    """A downstream document written from a session: a referral letter, a patient explainer ..."""

    __tablename__ = "session_documents"
    __table_args__ = (Index("ix_session_documents_session", "session_id", "id"),
                      Index("ix_session_documents_org", "org_id", "id"))

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"))
    session_id: Mapped[str] = mapped_column(ForeignKey("clinical_sessions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


# --- templates -------------------------------------------------------------------------------------

class Template(Base):
    """A note template: personal (its owner's), shared with chosen teams, or published organisation-wide."""

    __tablename__ = "templates"
    __table_args__ = (Index("ix_templates_org_owner", "org_id", "owner_id", "id"),
                      Index("ix_templates_org_visibility", "org_id", "visibility", "id"))

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"))
    owner_id: Mapped[str | None] = mapped_column(ForeignKey(MEMBER_FK, ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(10), default="personal")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


class TemplateTeam(Base):
    __tablename__ = "template_teams"
    __table_args__ = (Index("ix_template_teams_team", "team_id", "template_id"),)

    template_id: Mapped[str] = mapped_column(ForeignKey("templates.id", ondelete="CASCADE"), primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"))


# --- calendar and messages -------------------------------------------------------------------------

class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (Index("ix_appointments_org_provider", "org_id", "provider_id", "id"),
                      Index("ix_appointments_org_id", "org_id", "id"),
                      Index("ix_appointments_org_patient", "org_id", "patient_id", "id"),
                      Index("ix_appointments_org_starts", "org_id", "starts_at"))

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"))
    provider_id: Mapped[str] = mapped_column(ForeignKey(MEMBER_FK))  # an owned record: transferred before delete
    patient_id: Mapped[str | None] = mapped_column(ForeignKey("patients.id", ondelete="SET NULL"))
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    location_id: Mapped[str | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default="booked")
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str | None] = mapped_column(ID)
    checked_in_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


class PatientMessage(Base):
    __tablename__ = "patient_messages"
    __table_args__ = (Index("ix_patient_messages_org_patient", "org_id", "patient_id", "id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"))
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(10), default="outbound")
    body: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]


# --- billing ---------------------------------------------------------------------------------------

class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (Index("ix_invoices_org_id", "org_id", "id"),
                      Index("ix_invoices_org_patient", "org_id", "patient_id", "id"))

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"))
    patient_id: Mapped[str | None] = mapped_column(ForeignKey("patients.id", ondelete="SET NULL"))
    location_id: Mapped[str | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))
    number: Mapped[str] = mapped_column(String(40))
    amount_cents: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    status: Mapped[str] = mapped_column(String(10), default="draft")
    created_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


class Charge(Base):
    """A charge waiting for approval; who asked for it cannot approve it."""

    __tablename__ = "charges"
    __table_args__ = (Index("ix_charges_org_id", "org_id", "id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"))
    invoice_id: Mapped[str | None] = mapped_column(ForeignKey("invoices.id", ondelete="SET NULL"))
    patient_id: Mapped[str | None] = mapped_column(ForeignKey("patients.id", ondelete="SET NULL"))
    location_id: Mapped[str | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(String(200))
    amount_cents: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    requested_by: Mapped[str | None] = mapped_column(ID)
    approved_by: Mapped[str | None] = mapped_column(ID)
    approved_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (Index("ix_payments_org_id", "org_id", "id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"))
    invoice_id: Mapped[str | None] = mapped_column(ForeignKey("invoices.id", ondelete="SET NULL"))
    patient_id: Mapped[str | None] = mapped_column(ForeignKey("patients.id", ondelete="SET NULL"))
    location_id: Mapped[str | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))
    amount_cents: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(20), default="card")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_by: Mapped[str | None] = mapped_column(ID)
    processed_by: Mapped[str | None] = mapped_column(ID)
    processed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Refund(Base):
    """A refund: requested, approved by someone else, processed by a third person."""

    __tablename__ = "refunds"
    __table_args__ = (Index("ix_refunds_org_id", "org_id", "id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"))
    payment_id: Mapped[str | None] = mapped_column(ForeignKey("payments.id", ondelete="SET NULL"))
    patient_id: Mapped[str | None] = mapped_column(ForeignKey("patients.id", ondelete="SET NULL"))
    location_id: Mapped[str | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))
    amount_cents: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(10), default="requested")
    requested_by: Mapped[str | None] = mapped_column(ID)
    approved_by: Mapped[str | None] = mapped_column(ID)
    processed_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


# --- inventory, calls, rooms -----------------------------------------------------------------------

class Product(Base):
    __tablename__ = "products"
    __table_args__ = (Index("ix_products_org_id", "org_id", "id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"))
    location_id: Mapped[str | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(120))
    sku: Mapped[str] = mapped_column(String(60), default="")
    stock: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


class StockOrder(Base):
    __tablename__ = "stock_orders"
    __table_args__ = (Index("ix_stock_orders_org_id", "org_id", "id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"))
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="ordered")
    created_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]
    received_at: Mapped[datetime | None]


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (Index("ix_calls_org_id", "org_id", "id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"))
    caller_number: Mapped[str] = mapped_column(String(40), default="")
    patient_id: Mapped[str | None] = mapped_column(ForeignKey("patients.id", ondelete="SET NULL"))
    assigned_to: Mapped[str | None] = mapped_column(ForeignKey(MEMBER_FK, ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default="open")
    summary: Mapped[str] = mapped_column(Text, default="")
    transcript: Mapped[str | None] = mapped_column(Text)  # the AI transcription, when there is one
    transcribed_at: Mapped[datetime | None]
    created_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


class Room(Base):
    """A video room: one personal room per member, or a shared room (plans that have them) for assigned members."""

    __tablename__ = "rooms"
    __table_args__ = (Index("ix_rooms_org_id", "org_id", "id"),
                      UniqueConstraint("org_id", "personal_owner", name="uq_rooms_personal"))

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(120))
    owner_id: Mapped[str | None] = mapped_column(ForeignKey(MEMBER_FK, ondelete="CASCADE"))
    # the owner again for personal rooms, NULL for shared ones: one personal room per member
    personal_owner: Mapped[str | None] = mapped_column(ID)
    created_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]


class RoomMember(Base):
    __tablename__ = "room_members"
    __table_args__ = (Index("ix_room_members_member", "membership_id", "room_id"),)

    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True)
    membership_id: Mapped[str] = mapped_column(ForeignKey(MEMBER_FK, ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"))


# --- notifications ---------------------------------------------------------------------------------

class Notification(Base):
    """An in-app notice for one member (a session shared with them ...). No clinical content in it."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_member", "membership_id", "id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"))
    membership_id: Mapped[str] = mapped_column(ForeignKey(MEMBER_FK, ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(ID)
    created_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
