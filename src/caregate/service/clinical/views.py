"""What the clinical use cases return. Every view of a protected object lists the fields hidden from the
reader (`hidden_fields`); those fields are null in it, whatever the stored value."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from caregate.service.views import View


class Protected(View):
    hidden_fields: list[str] = Field(default_factory=list)


class PatientView(Protected):
    id: str
    name: str
    team_id: str | None
    location_id: str | None
    care_team: list[str]
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    date_of_birth: str | None = None
    sex: str | None = None
    ssn: str | None = None
    insurance: str | None = None
    clinical_summary: str | None = None
    created_by: str | None
    created_at: datetime
    updated_at: datetime | None


class SessionView(Protected):
    id: str
    owner_id: str
    created_by: str | None
    team_id: str | None
    location_id: str | None
    patient_id: str | None
    title: str
    status: str
    recording: str
    created_at: datetime
    updated_at: datetime | None


class NoteView(Protected):
    session_id: str
    body: str | None
    created_by: str | None
    updated_by: str | None
    created_at: datetime
    updated_at: datetime


class TranscriptView(Protected):
    session_id: str
    body: str | None
    updated_by: str | None
    created_at: datetime
    updated_at: datetime


class ContextView(Protected):
    id: str
    session_id: str
    body: str | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime | None


class DocumentView(Protected):
    id: str
    session_id: str
    kind: str
    title: str
    body: str | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime | None


class ShareView(View):
    session_id: str
    member_id: str
    level: str
    created_by: str | None
    created_at: datetime


class TargetView(View):
    """A colleague a session can be shared with."""

    member_id: str
    name: str
    email: str


class Person(View):
    name: str
    email: str


class PatientAccessView(View):
    id: str
    patient_id: str
    member_id: str
    kind: str = "explicit"  # or break_glass: taken by the member in an emergency (see /break-glass)
    until: datetime | None
    active: bool
    reason: str
    granted_by: str | None
    created_at: datetime


class ApprovalView(View):
    approver_id: str
    decision: str  # approve or deny
    note: str | None = None
    at: datetime


class AccessRequestView(View):
    """A request for access to one patient: why, for how long, its approvals, and the access it gave."""

    id: str
    patient_id: str
    member_id: str
    member: Person | None = None  # when the reader may read the member
    reason: str
    hours: int
    status: str  # pending, approved, denied or cancelled
    approvals_needed: int
    answers: list[ApprovalView] = Field(default_factory=list)
    grant_id: str | None = None
    until: datetime | None = None
    active: bool = False
    created_at: datetime
    decided_at: datetime | None = None


class EmergencyAccessView(View):
    """Break-glass access: who took it, to which patient, why, until when, and its review."""

    id: str
    patient_id: str
    member_id: str
    member: Person | None = None  # when the reader may read the member
    reason: str
    declared_at: datetime
    until: datetime
    active: bool
    status: str  # active, awaiting_review or reviewed
    ended_at: datetime | None = None
    ended_by: str | None = None
    review_outcome: str | None = None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    review_note: str | None = None
    reads: int | None = None  # audited actions of the member on the patient while it ran (audit readers only)


class TemplateView(Protected):
    id: str
    owner_id: str | None
    name: str
    body: str | None
    visibility: str
    team_ids: list[str]
    created_at: datetime
    updated_at: datetime | None


class AppointmentView(Protected):
    id: str
    provider_id: str
    patient_id: str | None
    team_id: str | None
    location_id: str | None
    starts_at: datetime
    ends_at: datetime
    status: str
    reason: str | None
    created_by: str | None
    checked_in_at: datetime | None
    created_at: datetime


class MessageView(Protected):
    id: str
    patient_id: str
    direction: str
    body: str | None
    created_by: str | None
    created_at: datetime


class InvoiceView(Protected):
    id: str
    patient_id: str | None
    location_id: str | None
    number: str
    amount_cents: int
    currency: str
    status: str
    created_by: str | None
    created_at: datetime


class ChargeView(Protected):
    id: str
    invoice_id: str | None
    patient_id: str | None
    location_id: str | None
    description: str
    amount_cents: int
    status: str
    requested_by: str | None
    approved_by: str | None
    approved_at: datetime | None
    created_at: datetime


class PaymentView(Protected):
    id: str
    invoice_id: str | None
    patient_id: str | None
    location_id: str | None
    amount_cents: int
    method: str
    status: str
    created_by: str | None
    processed_by: str | None
    processed_at: datetime | None
    created_at: datetime


class RefundView(Protected):
    id: str
    payment_id: str | None
    patient_id: str | None
    location_id: str | None
    amount_cents: int
    reason: str
    status: str
    requested_by: str | None
    approved_by: str | None
    processed_by: str | None
    created_at: datetime


class ProductView(Protected):
    id: str
    name: str
    sku: str
    stock: int
    location_id: str | None
    created_at: datetime


class OrderView(Protected):
    id: str
    product_id: str
    quantity: int
    status: str
    created_by: str | None
    created_at: datetime
    received_at: datetime | None


class CallView(Protected):
    id: str
    caller_number: str
    patient_id: str | None
    assigned_to: str | None
    status: str
    summary: str | None
    has_transcript: bool
    created_by: str | None
    created_at: datetime


class CallTranscriptView(Protected):
    call_id: str
    body: str | None
    transcribed_at: datetime | None


class RoomView(Protected):
    id: str
    kind: str
    name: str
    owner_id: str | None
    member_ids: list[str]
    created_at: datetime


class JoinView(View):
    room_id: str
    url: str


class NotificationView(View):
    id: str
    kind: str
    title: str
    body: str
    object_type: str | None
    object_id: str | None
    created_by: str | None
    created_at: datetime
    read_at: datetime | None


class NotificationPage(View):
    items: list[NotificationView]
    unread: int
    next_cursor: str | None


class LookupView(View):
    type: str
    action: str
    member_id: str
    ids: list[str]
    next_cursor: str | None


class CopyView(View):
    session_id: str
    text: str


class ListPage(View):
    """A page of one kind of object (the routes declare the precise item type)."""

    items: list[Any]
    total: int
    next_cursor: str | None


class ExportView(View):
    """An export: its content, media type, and the cursor for the rest when it did not fit."""

    content: str
    media_type: str
    count: int
    next_cursor: str | None
