"""What the use cases return: public views of stored objects (never a secret, never a hash)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class View(BaseModel):
    model_config = ConfigDict(frozen=True)


class ReasonView(View):
    kind: str
    code: str
    message: str


class DecisionView(View):
    allowed: bool
    reasons: list[ReasonView]
    hidden_fields: list[str] = Field(default_factory=list)


class OrgView(View):
    id: str
    name: str
    plan: str
    trial_ends_at: datetime | None
    trial_running: bool
    preset: str | None
    created_at: datetime
    my_member_id: str | None = None
    my_roles: list[str] = Field(default_factory=list)


class TeamView(View):
    id: str
    name: str
    member_count: int = 0


class LocationView(View):
    id: str
    name: str
    kind: str
    parent_id: str | None


class RoleGrantView(View):
    role: str
    label: str
    team_id: str | None = None
    location_id: str | None = None
    expires_at: datetime | None = None
    id: str | None = None  # the assignment (to end a delegation)
    delegated_by: str | None = None  # handed over by this member until `expires_at`


class MemberView(View):
    id: str
    user_id: str
    email: str
    name: str
    title: str
    kind: str
    status: str
    seat_type: str
    roles: list[RoleGrantView]
    team_ids: list[str]
    location_ids: list[str]
    profile: dict[str, Any]
    created_at: datetime
    activated_at: datetime | None
    access_until: datetime | None = None  # a temporary member: disabled from then on
    last_active_at: datetime | None = None  # their last request here (to the hour)


T = TypeVar("T")


class Page(View, Generic[T]):
    items: list[T]
    total: int
    next_cursor: str | None


class QuoteView(View):
    seat_type: str
    billed_before: int
    billed_after: int
    purchased: int
    seats_to_buy: int
    amount_cents: int
    currency: str
    remaining_days: int
    term_days: int
    term_end: datetime
    explanation: str


class InviteResult(View):
    member: MemberView
    quote: QuoteView
    invitation_expires_at: datetime


class SeatsView(View):
    standard: int
    support: int
    free_support: int
    billed_standard: int
    purchased: int
    available: int
    seat_price_cents: int
    currency: str
    term_start: datetime
    term_end: datetime
    formula: str


class PermissionView(View):
    scope: str
    conditions: list[dict[str, Any]] = Field(default_factory=list)
    condition_text: str = ""
    hidden_fields: list[str] = Field(default_factory=list)


class RoleView(View):
    key: str
    name: str
    builtin: bool
    rank: int
    seat_type: str
    parent: str | None
    description: str
    holders: int = 0
    version: int = 0
    permissions: dict[str, dict[str, list[PermissionView]]]


class MatrixView(View):
    features: dict[str, list[str]]
    roles: list[RoleView]


class TokenView(View):
    token: str
    token_type: str = "bearer"  # noqa: S105
    expires_at: datetime
    user_id: str
    status: str = "active"


class MeView(View):
    user_id: str
    email: str
    name: str
    organisations: list[OrgView]


class AcceptResult(View):
    member: MemberView
    login: TokenView
