"""Request bodies: shapes and sizes are checked here; the rules are checked by the service and engine."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from caregate.engine import Plan

Id = Annotated[str, StringConstraints(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9_]+$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=120)]
Email = Annotated[str, StringConstraints(min_length=3, max_length=254)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]
Token = Annotated[str, StringConstraints(min_length=10, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=2000)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(Body):
    email: Email
    password: Password


Code = Annotated[str, StringConstraints(min_length=1, max_length=20)]


class MfaVerifyIn(Body):
    method: Annotated[str, StringConstraints(pattern=r"^(totp|email|recovery_code)$")] = "totp"
    code: Code | None = None
    recovery_code: Code | None = None


class CodeIn(Body):
    code: Code


class ReauthIn(Body):
    password: Password | None = None
    code: Code | None = None


class PasswordChangeIn(Body):
    current_password: Password
    new_password: Password


class ForgotIn(Body):
    email: Email


class ResetIn(Body):
    token: Token
    new_password: Password


class ServiceAccountIn(Body):
    name: Name
    roles: Annotated[list[Any], Field(min_length=1, max_length=10)]


class ApiKeyIn(Body):
    name: Name
    scopes: Annotated[list[Annotated[str, StringConstraints(min_length=3, max_length=60)]],
                      Field(min_length=1, max_length=100)]
    expires_at: AwareDatetime | None = None
    rate_limit_per_minute: Annotated[int, Field(ge=1, le=100_000)] = 600


class RotateIn(Body):
    grace_hours: Annotated[int, Field(ge=0, le=168)] = 24


class AcceptIn(Body):
    token: Token
    password: Password
    name: Name | None = None


class OrgCreateIn(Body):
    name: Name
    plan: Plan = Plan.FREE
    preset: Annotated[str, StringConstraints(max_length=40)] | None = None


class OrgPatchIn(Body):
    name: Name


class OrgDeleteIn(Body):
    confirm_name: Name


class EmergencyAccessPatchIn(Body):
    enabled: bool | None = None
    max_hours: Annotated[int, Field(ge=1, le=72)] | None = None


class AccessRequestsPatchIn(Body):
    approvals: Annotated[int, Field(ge=1, le=3)] | None = None
    max_hours: Annotated[int, Field(ge=1, le=720)] | None = None


class SettingsPatchIn(Body):
    session_visibility: bool | None = None
    visibility_roles: Annotated[list[Annotated[str, StringConstraints(max_length=40)]],
                                Field(max_length=20)] | None = None
    billing_policy: Annotated[str, StringConstraints(max_length=40)] | None = None
    template_manager_enabled: bool | None = None
    emergency_access: EmergencyAccessPatchIn | None = None
    access_requests: AccessRequestsPatchIn | None = None

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, exclude_none=True)


class SubscriptionIn(Body):
    plan: Plan | None = None
    start_trial: bool = False


class RoleGrantIn(Body):
    role: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    team_id: Id | None = None
    location_id: Id | None = None
    expires_at: AwareDatetime | None = None


RoleList = Annotated[list[RoleGrantIn | Annotated[str, StringConstraints(min_length=1, max_length=40)]],
                     Field(min_length=1, max_length=10)]
IdList = Annotated[list[Id], Field(max_length=50)]


class InviteIn(Body):
    email: Email
    name: Annotated[str, StringConstraints(max_length=120)] = ""
    title: Annotated[str, StringConstraints(max_length=120)] = ""
    roles: RoleList
    team_ids: IdList = Field(default_factory=list)
    location_ids: IdList = Field(default_factory=list)
    confirm_charge_cents: Annotated[int, Field(ge=0, le=100_000_000)] | None = None
    access_until: AwareDatetime | None = Field(default=None, description="a temporary member: disabled from then on")


class DelegationIn(Body):
    role: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    until: AwareDatetime = Field(description="when the delegation ends (within 90 days)")
    team_id: Annotated[str, StringConstraints(max_length=40)] | None = None
    location_id: Annotated[str, StringConstraints(max_length=40)] | None = None


class AccessUntilIn(Body):
    until: AwareDatetime | None = Field(description="disabled from then on; null: no end date")


class RolesIn(Body):
    roles: RoleList


class StructureIn(Body):
    team_ids: IdList | None = None
    location_ids: IdList | None = None


HHMM = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class ProviderProfile(Body):
    credentials: Annotated[str, StringConstraints(max_length=120)] = ""
    specialties: Annotated[list[Annotated[str, StringConstraints(max_length=80)]], Field(max_length=20)] = Field(
        default_factory=list)
    licence_number: Annotated[str, StringConstraints(max_length=60)] = ""
    bio: Annotated[str, StringConstraints(max_length=2000)] = ""
    phone: Annotated[str, StringConstraints(max_length=40)] = ""
    availability: dict[Annotated[str, StringConstraints(pattern=r"^(mon|tue|wed|thu|fri|sat|sun)$")],
                       Annotated[list[tuple[HHMM, HHMM]], Field(max_length=6)]] = Field(default_factory=dict)


class ProfileIn(Body):
    name: Name | None = None
    title: Annotated[str, StringConstraints(max_length=120)] | None = None
    profile: ProviderProfile | None = None


class TransferIn(Body):
    to_member_id: Id


class TeamIn(Body):
    name: Name


class LocationIn(Body):
    name: Name
    kind: Annotated[str, StringConstraints(max_length=10)] = "location"
    parent_id: Id | None = None


class CustomRoleIn(Body):
    name: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    parent: Annotated[str, StringConstraints(max_length=40)] | None = None
    rank: Annotated[int, Field(ge=1, le=100)] | None = None
    description: Annotated[str, StringConstraints(max_length=500)] = ""
    permissions: Annotated[dict[Annotated[str, StringConstraints(max_length=40)], Any], Field(max_length=40)] = Field(
        default_factory=dict)

    def data(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class QuoteIn(Body):
    roles: Annotated[list[Annotated[str, StringConstraints(min_length=1, max_length=40)]],
                     Field(min_length=1, max_length=10)]


class DescribedIn(Body):
    """An object caregate does not store, described by the caller."""

    type: Annotated[str, StringConstraints(max_length=40)]
    id: Annotated[str, StringConstraints(max_length=80)] | None = None
    owner_id: Id | None = None
    created_by: Id | None = None
    team_ids: IdList = Field(default_factory=list)
    location_ids: IdList = Field(default_factory=list)
    assigned_ids: Annotated[list[Id], Field(max_length=200)] = Field(default_factory=list)
    patient_id: Id | None = None
    shares: Annotated[dict[Id, Annotated[str, StringConstraints(max_length=10)]], Field(max_length=200)] = Field(
        default_factory=dict)
    attrs: Annotated[dict[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")],
                          str | int | float | bool | None], Field(max_length=40)] = Field(default_factory=dict)

    def is_described(self) -> bool:
        return bool(self.model_fields_set - {"type", "id"})


class QuestionIn(Body):
    action: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    resource: DescribedIn
    member_id: Id | None = None
    member_email: Email | None = None


class BatchIn(Body):
    requests: Annotated[list[QuestionIn], Field(min_length=1, max_length=100)]
