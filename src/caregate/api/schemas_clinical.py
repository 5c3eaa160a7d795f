"""Request bodies and query parameters of the clinical workspace: shapes and sizes are checked here; the rules
are the engine's and the service's."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query, Response
from pydantic import AwareDatetime, EmailStr, Field, StringConstraints

from caregate.api.schemas import Body, Id, IdList, Name
from caregate.service.clinical.views import ExportView

Title = Annotated[str, StringConstraints(max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=200_000)]
Short = Annotated[str, StringConstraints(max_length=500)]
Cents = Annotated[int, Field(ge=1, le=100_000_000)]
ID_PATTERN = r"^[A-Za-z0-9_]+$"

Limit = Annotated[int, Query(ge=1, le=200, description="page size")]
After = Annotated[str | None, Query(max_length=40, pattern=ID_PATTERN, description="the last id of the previous page")]
QId = Annotated[str | None, Query(max_length=40, pattern=ID_PATTERN)]
QText = Annotated[str | None, Query(max_length=100, description="part of a name, any case")]
QStatus = Annotated[str | None, Query(alias="status", max_length=20, pattern=ID_PATTERN)]
Format = Annotated[Literal["csv", "json"], Query(description="csv or json")]
ExportLimit = Annotated[int, Query(ge=1, le=5000)]


def export_response(result: ExportView, name: str) -> Response:
    suffix = "json" if "json" in result.media_type else "csv"
    headers = {"Content-Disposition": f'attachment; filename="{name}.{suffix}"', "X-Count": str(result.count)}
    if result.next_cursor:
        headers["X-Next-Cursor"] = result.next_cursor
    return Response(result.content, media_type=result.media_type, headers=headers)


# --- sessions --------------------------------------------------------------------------------------

class SessionIn(Body):
    owner_id: Id | None = None
    title: Title = ""
    team_id: Id | None = None
    location_id: Id | None = None
    patient_id: Id | None = None
    status: Literal["draft", "in_progress", "completed", "signed"] = "draft"


class SessionPatch(Body):
    title: Title | None = None
    status: Literal["draft", "in_progress", "completed", "signed"] | None = None
    patient_id: Id | None = None
    team_id: Id | None = None
    location_id: Id | None = None

    def changes(self) -> dict[str, Any]:
        """Only what was sent; an explicit null clears patient, team or location."""
        return {k: getattr(self, k) for k in self.model_fields_set}


class RecordingIn(Body):
    state: Literal["recording", "paused", "stopped"]


class TextIn(Body):
    body: LongText


class DocumentIn(Body):
    kind: Literal["referral_letter", "patient_explainer", "letter", "summary", "other"]
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    body: LongText = ""


class DocumentPatch(Body):
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    body: LongText | None = None


class ShareIn(Body):
    level: Literal["view", "edit", "full"]


# --- patients --------------------------------------------------------------------------------------

class PatientFields(Body):
    email: EmailStr | None = None
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    address: Annotated[str, StringConstraints(max_length=300)] | None = None
    date_of_birth: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")] | None = None
    sex: Annotated[str, StringConstraints(max_length=20)] | None = None
    ssn: Annotated[str, StringConstraints(max_length=20)] | None = None
    insurance: Annotated[str, StringConstraints(max_length=200)] | None = None
    clinical_summary: Annotated[str, StringConstraints(max_length=5000)] | None = None

    def fields(self) -> dict[str, str | None]:
        names = set(PatientFields.model_fields)
        return {k: getattr(self, k) for k in self.model_fields_set if k in names}


class PatientIn(PatientFields):
    name: Name
    team_id: Id | None = None
    location_id: Id | None = None
    care_team: Annotated[list[Id], Field(max_length=20)] | None = None


class PatientPatch(PatientFields):
    name: Name | None = None
    team_id: Id | None = None
    location_id: Id | None = None

    def cleared(self) -> list[str]:
        return [k for k in ("team_id", "location_id") if k in self.model_fields_set and getattr(self, k) is None]


class AccessIn(Body):
    member_id: Id
    until: AwareDatetime | None = None
    reason: Short = ""


class MessageIn(Body):
    body: Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
    direction: Literal["outbound", "inbound"] = "outbound"


# --- templates and calendar ------------------------------------------------------------------------

class TemplateIn(Body):
    name: Name
    body: Annotated[str, StringConstraints(max_length=100_000)] = ""
    visibility: Literal["personal", "team", "org"] = "personal"
    team_ids: IdList = Field(default_factory=list)


class TemplatePatch(Body):
    name: Name | None = None
    body: Annotated[str, StringConstraints(max_length=100_000)] | None = None


class DistributeIn(Body):
    visibility: Literal["personal", "team", "org"]
    team_ids: IdList = Field(default_factory=list)


class AppointmentIn(Body):
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    provider_id: Id | None = None
    patient_id: Id | None = None
    team_id: Id | None = None
    location_id: Id | None = None
    reason: Short = ""


class RescheduleIn(Body):
    starts_at: AwareDatetime
    ends_at: AwareDatetime


# --- billing ---------------------------------------------------------------------------------------

class InvoiceIn(Body):
    amount_cents: Cents
    patient_id: Id | None = None
    location_id: Id | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")] = "USD"


class InvoicePatch(Body):
    status: Literal["draft", "issued", "paid", "void"] | None = None
    amount_cents: Cents | None = None


class ChargeIn(Body):
    description: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    amount_cents: Cents
    invoice_id: Id | None = None
    patient_id: Id | None = None
    location_id: Id | None = None


class PaymentIn(Body):
    amount_cents: Cents
    method: Literal["card", "cash", "transfer", "insurance", "other"] = "card"
    invoice_id: Id | None = None
    patient_id: Id | None = None
    location_id: Id | None = None


class RefundIn(Body):
    amount_cents: Cents
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    payment_id: Id | None = None


# --- operations ------------------------------------------------------------------------------------

class ProductIn(Body):
    name: Name
    sku: Annotated[str, StringConstraints(max_length=60)] = ""
    stock: Annotated[int, Field(ge=0, le=10_000_000)] = 0
    location_id: Id | None = None


class ProductPatch(Body):
    name: Name | None = None
    stock_change: Annotated[int, Field(ge=-10_000_000, le=10_000_000)] | None = None


class OrderIn(Body):
    quantity: Annotated[int, Field(ge=1, le=1_000_000)]


class CallIn(Body):
    caller_number: Annotated[str, StringConstraints(max_length=40)] = ""
    patient_id: Id | None = None
    summary: Annotated[str, StringConstraints(max_length=5000)] = ""


class CallPatch(Body):
    status: Literal["open", "answered", "missed", "closed"] | None = None
    summary: Annotated[str, StringConstraints(max_length=5000)] | None = None
    transcript: Annotated[str, StringConstraints(max_length=500_000)] | None = None


class AssignIn(Body):
    member_id: Id | None


class RoomIn(Body):
    kind: Literal["personal", "shared"]
    name: Annotated[str, StringConstraints(max_length=120)] = ""
    owner_id: Id | None = None
    member_ids: Annotated[list[Id], Field(max_length=100)] = Field(default_factory=list)


class LookupIn(Body):
    type: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    action: Annotated[str, StringConstraints(min_length=1, max_length=60)] = "read"
    member_id: Id | None = None
    member_email: Annotated[str, StringConstraints(min_length=3, max_length=254)] | None = None
    limit: Annotated[int, Field(ge=1, le=1000)] = 100
    after: Id | None = None
