"""The typed domain of the decision engine: what is protected, who asks, and what the answer is.

Everything here is an immutable value. The engine takes these as arguments and returns a `Decision`;
it never reads a database, a clock or the network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from ipaddress import IPv4Address, IPv6Address
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from caregate.engine.roles import PermissionIndex

EMPTY: Mapping[str, object] = MappingProxyType({})


def _set_utc(obj: object, *names: str) -> None:
    for name in names:
        value = getattr(obj, name)
        if value is not None and value.tzinfo is None:
            object.__setattr__(obj, name, value.replace(tzinfo=UTC))

NO_GRANTS: Mapping[str, tuple[Grant, ...]] = MappingProxyType({})
NO_IDS: frozenset[str] = frozenset()


class Feature(StrEnum):
    """A kind of protected object (a row of the permission matrix)."""

    PATIENTS = "patients"
    SESSIONS = "sessions"
    NOTES = "notes"
    TRANSCRIPTS = "transcripts"
    CONTEXT = "context"
    DOCUMENTS = "documents"
    TEMPLATES = "templates"
    APPOINTMENTS = "appointments"
    MESSAGES = "messages"
    INVOICES = "invoices"
    CHARGES = "charges"
    PAYMENTS = "payments"
    REFUNDS = "refunds"
    REPORTS = "reports"
    ANALYTICS = "analytics"
    INVENTORY = "inventory"
    CALLS = "calls"
    CALL_TRANSCRIPTS = "call_transcripts"
    TASKS = "tasks"
    ROOMS = "rooms"
    TIME_TRACKING = "time_tracking"
    MEMBERS = "members"
    ROLES = "roles"
    TEAMS = "teams"
    LOCATIONS = "locations"
    SETTINGS = "settings"
    SUBSCRIPTION = "subscription"
    SEATS = "seats"
    AUDIT = "audit"
    API_KEYS = "api_keys"
    ORGANISATION = "organisation"
    DECISIONS = "decisions"


class Action(StrEnum):
    """What is done to a protected object (a column of the permission matrix)."""

    READ = "read"
    CREATE = "create"
    EDIT = "edit"
    DELETE = "delete"
    EXPORT = "export"
    SHARE = "share"
    PUBLISH = "publish"
    RECORD = "record"
    COPY = "copy"
    APPROVE = "approve"
    PROCESS = "process"
    CHECK_IN = "check_in"
    CANCEL = "cancel"
    ASSIGN = "assign"
    USE = "use"
    ORDER = "order"
    INVITE = "invite"
    CHANGE_ROLE = "change_role"
    DISABLE = "disable"
    ARCHIVE = "archive"
    RESTORE = "restore"
    UNLOCK = "unlock"
    CHECK = "check"
    BREAK_GLASS = "break_glass"
    REVIEW = "review"
    REQUEST = "request"
    DELEGATE = "delegate"


class Scope(StrEnum):
    """How far a permission reaches, from one's own objects to the whole organisation."""

    OWN = "own"
    ASSIGNED = "assigned"
    TEAM = "team"
    LOCATION = "location"
    ORG = "org"


class MemberStatus(StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    DISABLED = "disabled"
    ARCHIVED = "archived"


class SeatType(StrEnum):
    STANDARD = "standard"
    SUPPORT = "support"


class SubjectKind(StrEnum):
    PERSON = "person"
    SERVICE = "service"


class Plan(StrEnum):
    FREE = "free"
    PRACTICE = "practice"
    ENTERPRISE = "enterprise"


class PlanFeature(StrEnum):
    """A capability a plan makes available; roles then decide who may use it."""

    SESSION_VISIBILITY = "session_visibility"
    SHARED_ROOMS = "shared_rooms"
    SSO = "sso"
    ADVANCED_AUDIT = "advanced_audit"


class BillingPolicy(StrEnum):
    OWNERS_AND_ADMINISTRATORS = "owners_and_administrators"
    OWNERS_ONLY = "owners_only"


class ShareLevel(StrEnum):
    VIEW = "view"
    EDIT = "edit"
    FULL = "full"


class GrantKind(StrEnum):
    SHARE = "share"
    PATIENT_ACCESS = "patient_access"
    TEMPORARY = "temporary"
    DELEGATION = "delegation"
    BREAK_GLASS = "break_glass"


class ReasonKind(StrEnum):
    ROLE = "role"
    GRANT = "grant"
    SETTING = "setting"
    FORBID = "forbid"
    STATUS = "status"
    SCOPE = "scope"
    DEFAULT = "default"


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a decision came out the way it did, readable by a person and by a program."""

    kind: ReasonKind
    code: str
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class Obligations:
    """What the caller must do with an allowed answer: today, which fields to leave out of it."""

    hide_fields: frozenset[str] = NO_IDS


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reasons: tuple[Reason, ...]
    hidden_fields: frozenset[str] = NO_IDS

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def obligations(self) -> Obligations:
        return Obligations(self.hidden_fields)

    @property
    def message(self) -> str:
        return "; ".join(r.message for r in self.reasons)


class Condition(Protocol):
    """A test a permission carries beyond its scope (amount under a limit, business hours ...)."""

    def holds(self, subject: Subject, resource: Resource, context: Context) -> bool: ...

    def describe(self) -> str: ...

    def to_data(self) -> dict[str, object]: ...


@dataclass(frozen=True, slots=True)
class Permission:
    feature: Feature
    action: Action
    scope: Scope
    conditions: tuple[Condition, ...] = ()
    hidden_fields: frozenset[str] = NO_IDS

    @property
    def key(self) -> tuple[Feature, Action]:
        return (self.feature, self.action)

    def describe(self) -> str:
        text = f"{self.feature}:{self.action} ({self.scope})"
        if self.conditions:
            text += " when " + " and ".join(c.describe() for c in self.conditions)
        if self.hidden_fields:
            text += " hiding " + ", ".join(sorted(self.hidden_fields))
        return text


@dataclass(frozen=True, slots=True)
class Role:
    """A named set of permissions, already resolved through its parents (see `engine.roles`)."""

    key: str
    name: str
    rank: int
    permissions: tuple[Permission, ...]
    builtin: bool = False
    parent: str | None = None
    seat: SeatType = SeatType.SUPPORT
    description: str = ""
    version: int = 0
    # the keys of the roles this one inherits from, nearest first
    lineage: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RoleAssignment:
    """A role held by a member, organisation-wide or limited to one team or one location."""

    role: Role
    team_id: str | None = None
    location_id: str | None = None
    # the location and every location below it in the hierarchy; filled by the caller who knows the tree
    location_ids: frozenset[str] = NO_IDS
    expires_at: datetime | None = None
    # conditions on holding the role at all (e.g. only from the clinic's networks), added to each permission
    conditions: tuple[Condition, ...] = ()

    def __post_init__(self) -> None:
        _set_utc(self, "expires_at")


@dataclass(frozen=True, slots=True)
class Grant:
    """Access given beside roles to one member on one object; it adds, it never removes.

    `permits` lists the (feature, action) pairs it allows on the object and its parts (a share of a
    session reaches its note, transcript, context and documents).
    """

    kind: GrantKind
    id: str
    permits: frozenset[tuple[Feature, Action]]
    level: str = ""
    until: datetime | None = None
    granted_by: str | None = None
    decision: Decision = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _set_utc(self, "until")
        what = f"{self.level} {self.kind}" if self.level else str(self.kind)
        text = f"{what.replace('_', ' ')} {self.id} allows it"
        if self.until is not None:
            text += f" until {self.until.isoformat()}"
        reason = Reason(ReasonKind.GRANT, f"grant:{self.kind}:{self.id}", text)
        object.__setattr__(self, "decision", Decision(True, (reason,)))


@dataclass(frozen=True, slots=True)
class OrgPolicy:
    """The organisation facts and settings the engine reads."""

    org_id: str
    plan: Plan = Plan.FREE
    trial_ends_at: datetime | None = None
    session_visibility: bool = False
    visibility_roles: frozenset[str] = frozenset({"administrator"})
    billing_policy: BillingPolicy = BillingPolicy.OWNERS_AND_ADMINISTRATORS
    template_manager_enabled: bool = True
    version: int = 0

    def __post_init__(self) -> None:
        _set_utc(self, "trial_ends_at")


@dataclass(frozen=True, slots=True)
class Subject:
    """A member asking: who they are, where they belong, and their compiled permissions."""

    member_id: str
    org_id: str
    status: MemberStatus
    index: PermissionIndex = field(repr=False, compare=False)
    org: OrgPolicy = field(repr=False, compare=False)
    team_ids: frozenset[str] = NO_IDS
    location_ids: frozenset[str] = NO_IDS
    kind: SubjectKind = SubjectKind.PERSON
    api_scopes: frozenset[str] | None = None

    @property
    def rank(self) -> int:
        return self.index.rank

    @property
    def seat(self) -> SeatType:
        return self.index.seat


@dataclass(frozen=True, slots=True)
class Resource:
    """A protected object as the engine sees it: where it belongs and who it belongs to."""

    kind: Feature
    org_id: str
    id: str | None = None
    owner_id: str | None = None
    created_by: str | None = None
    team_ids: frozenset[str] = NO_IDS
    location_ids: frozenset[str] = NO_IDS
    assigned_ids: frozenset[str] = NO_IDS
    patient_id: str | None = None
    grants: Mapping[str, tuple[Grant, ...]] = field(default_factory=lambda: NO_GRANTS, repr=False)
    attrs: Mapping[str, object] = field(default_factory=lambda: EMPTY)


@dataclass(frozen=True, slots=True)
class Context:
    """The circumstances of a request, passed in: the engine has no clock and no network."""

    now: datetime
    ip: IPv4Address | IPv6Address | None = None
    mfa_at: datetime | None = None
    attrs: Mapping[str, object] = field(default_factory=lambda: EMPTY)

    def __post_init__(self) -> None:
        _set_utc(self, "now", "mfa_at")
