"""The catalog as data: features and their actions, the ten built-in roles, share levels, presets.

Every can / cannot of PRODUCT.md's role table is a line here; `tests/engine/test_seed_table.py`
holds one row per sentence of the seeds and checks the engine against this data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from caregate.engine.conditions import AttrCompare, CreatedBySelf, Op, OwnedByOther
from caregate.engine.model import (
    Action,
    BillingPolicy,
    Condition,
    Feature,
    Permission,
    Role,
    Scope,
    SeatType,
    ShareLevel,
)

F, A, S = Feature, Action, Scope

FEATURE_ACTIONS: Mapping[Feature, frozenset[Action]] = MappingProxyType(
    {
        F.PATIENTS: frozenset(
            {A.READ, A.CREATE, A.EDIT, A.DELETE, A.EXPORT, A.ASSIGN, A.SHARE, A.BREAK_GLASS, A.REQUEST, A.APPROVE}
        ),
        F.SESSIONS: frozenset({A.READ, A.CREATE, A.EDIT, A.DELETE, A.EXPORT, A.SHARE, A.RECORD}),
        F.NOTES: frozenset({A.READ, A.CREATE, A.EDIT, A.DELETE, A.COPY, A.EXPORT}),
        F.TRANSCRIPTS: frozenset({A.READ, A.EDIT, A.DELETE, A.EXPORT}),
        F.CONTEXT: frozenset({A.READ, A.CREATE, A.EDIT, A.DELETE}),
        F.DOCUMENTS: frozenset({A.READ, A.CREATE, A.EDIT, A.DELETE, A.EXPORT}),
        F.TEMPLATES: frozenset({A.READ, A.CREATE, A.EDIT, A.DELETE, A.SHARE, A.PUBLISH}),
        F.APPOINTMENTS: frozenset({A.READ, A.CREATE, A.EDIT, A.CANCEL, A.DELETE, A.CHECK_IN, A.EXPORT}),
        F.MESSAGES: frozenset({A.READ, A.CREATE, A.DELETE}),
        F.INVOICES: frozenset({A.READ, A.CREATE, A.EDIT, A.DELETE, A.EXPORT}),
        F.CHARGES: frozenset({A.READ, A.CREATE, A.EDIT, A.DELETE, A.APPROVE, A.EXPORT}),
        F.PAYMENTS: frozenset({A.READ, A.CREATE, A.PROCESS, A.EXPORT}),
        F.REFUNDS: frozenset({A.READ, A.CREATE, A.APPROVE, A.PROCESS}),
        F.REPORTS: frozenset({A.READ, A.CREATE, A.EXPORT}),
        F.ANALYTICS: frozenset({A.READ}),
        F.INVENTORY: frozenset({A.READ, A.CREATE, A.EDIT, A.DELETE, A.ORDER, A.EXPORT}),
        F.CALLS: frozenset({A.READ, A.CREATE, A.EDIT, A.ASSIGN}),
        F.CALL_TRANSCRIPTS: frozenset({A.READ, A.EXPORT}),
        F.TASKS: frozenset({A.READ, A.CREATE, A.EDIT, A.ASSIGN}),
        F.ROOMS: frozenset({A.READ, A.CREATE, A.EDIT, A.DELETE, A.USE, A.ASSIGN}),
        F.TIME_TRACKING: frozenset({A.READ, A.CREATE, A.EDIT, A.APPROVE}),
        F.MEMBERS: frozenset(
            {A.READ, A.INVITE, A.EDIT, A.CHANGE_ROLE, A.DISABLE, A.ARCHIVE, A.RESTORE, A.DELETE, A.UNLOCK,
             A.EXPORT, A.REVIEW, A.DELEGATE}  # review: in access reviews; delegate: hand a role over for a while
        ),
        F.ROLES: frozenset({A.READ, A.CREATE, A.EDIT, A.DELETE}),
        F.TEAMS: frozenset({A.READ, A.CREATE, A.EDIT, A.DELETE}),
        F.LOCATIONS: frozenset({A.READ, A.CREATE, A.EDIT, A.DELETE}),
        F.SETTINGS: frozenset({A.READ, A.EDIT}),
        F.SUBSCRIPTION: frozenset({A.READ, A.EDIT}),
        F.SEATS: frozenset({A.READ}),
        F.AUDIT: frozenset({A.READ, A.EXPORT, A.REVIEW}),
        F.API_KEYS: frozenset({A.READ, A.CREATE, A.EDIT, A.DELETE}),
        F.ORGANISATION: frozenset({A.READ, A.EDIT, A.DELETE}),
        F.DECISIONS: frozenset({A.CHECK}),
    }
)

CLINICAL_FEATURES = frozenset({F.SESSIONS, F.NOTES, F.TRANSCRIPTS, F.CONTEXT, F.DOCUMENTS})

# The attributes a condition may test on the objects caregate stores: lists of them are filtered in the
# database, so every attribute here has a column (or expression) in the store's list mappings, and a
# condition on anything else would make a list disagree with a single read. Objects caregate does not
# store (described by the caller of /check) may carry any attribute.
STORED_ATTRIBUTES: Mapping[Feature, frozenset[str]] = MappingProxyType({
    **{f: frozenset({"status"}) for f in (F.SESSIONS, F.NOTES, F.TRANSCRIPTS, F.CONTEXT, F.DOCUMENTS)},
    F.PATIENTS: frozenset(),
    F.TEMPLATES: frozenset({"visibility"}),
    F.APPOINTMENTS: frozenset({"status"}),
    F.MESSAGES: frozenset({"direction"}),
    F.INVOICES: frozenset({"status", "amount"}),
    F.CHARGES: frozenset({"status", "amount", "requested_by", "approved_by"}),
    F.PAYMENTS: frozenset({"status", "amount", "method"}),
    F.REFUNDS: frozenset({"status", "amount", "requested_by", "approved_by"}),
    F.INVENTORY: frozenset(),
    F.CALLS: frozenset({"status"}),
    F.CALL_TRANSCRIPTS: frozenset({"status"}),
    F.ROOMS: frozenset({"kind"}),
    F.MEMBERS: frozenset({"status", "is_owner"}),
})
BILLING_FEATURES = frozenset({F.INVOICES, F.CHARGES, F.PAYMENTS, F.REFUNDS})
PATIENT_SENSITIVE_FIELDS = frozenset({"ssn", "insurance", "clinical_summary"})

OWNER, ADMINISTRATOR, CLINICIAN, ASSISTANT = "owner", "administrator", "clinician", "assistant"
TEMPLATE_MANAGER, MANAGER, FRONT_DESK = "template_manager", "manager", "front_desk"
BILLING, INVENTORY, CALL_CENTER = "billing", "inventory", "call_center"

# Templates other than someone's personal ones: shared with teams or published organisation-wide.
NOT_PERSONAL = AttrCompare("visibility", Op.IN, ("team", "org"))
PERSONAL = AttrCompare("visibility", Op.EQ, "personal")
PUBLISHED = AttrCompare("visibility", Op.EQ, "org")


def grant(
    feature: Feature,
    actions: Iterable[Action],
    scope: Scope,
    *conditions: Condition,
    hidden: Iterable[str] = (),
) -> list[Permission]:
    """Permissions for several actions on one feature at one scope."""
    return [Permission(feature, a, scope, tuple(conditions), frozenset(hidden)) for a in actions]


def everything(scope: Scope = S.ORG) -> list[Permission]:
    return [Permission(f, a, scope) for f, actions in FEATURE_ACTIONS.items() for a in sorted(actions)]


def _common() -> list[Permission]:
    """What every built-in role has: see the organisation's people and structure, edit one's own profile."""
    return [
        *grant(F.ORGANISATION, [A.READ], S.ORG),
        *grant(F.MEMBERS, [A.READ], S.ORG),
        *grant(F.MEMBERS, [A.EDIT], S.OWN),
        *grant(F.TEAMS, [A.READ], S.ORG),
        *grant(F.LOCATIONS, [A.READ], S.ORG),
        *grant(F.ROOMS, [A.READ, A.USE], S.ASSIGNED),
    ]


def _own_clinical_work() -> list[Permission]:
    """A clinician's full clinical tools on their own sessions and patients."""
    return [
        *grant(F.SESSIONS, [A.READ, A.CREATE, A.EDIT, A.DELETE, A.EXPORT, A.SHARE, A.RECORD], S.OWN),
        *grant(F.NOTES, [A.READ, A.CREATE, A.EDIT, A.DELETE, A.COPY, A.EXPORT], S.OWN),
        *grant(F.TRANSCRIPTS, [A.READ, A.EDIT, A.DELETE, A.EXPORT], S.OWN),
        *grant(F.CONTEXT, [A.READ, A.CREATE, A.EDIT, A.DELETE], S.OWN),
        *grant(F.DOCUMENTS, [A.READ, A.CREATE, A.EDIT, A.DELETE, A.EXPORT], S.OWN),
        *grant(F.PATIENTS, [A.READ, A.CREATE, A.EDIT, A.EXPORT], S.ASSIGNED),
        *grant(F.APPOINTMENTS, [A.READ, A.CREATE, A.EDIT, A.CANCEL, A.CHECK_IN], S.OWN),
        *grant(F.MESSAGES, [A.READ, A.CREATE], S.ASSIGNED),
        # declare an emergency: time-limited, reviewed read access to a patient outside their care
        *grant(F.PATIENTS, [A.BREAK_GLASS], S.ORG),
        # ask for access to a patient outside their care; someone else approves it
        *grant(F.PATIENTS, [A.REQUEST], S.ORG),
        *grant(F.TEMPLATES, [A.READ], S.OWN),
        *grant(F.TEMPLATES, [A.CREATE, A.EDIT, A.DELETE], S.OWN, PERSONAL),  # never a team template
        *grant(F.TEMPLATES, [A.READ], S.TEAM, NOT_PERSONAL),
        *grant(F.TEMPLATES, [A.READ], S.ORG, PUBLISHED),
        *grant(F.ROOMS, [A.READ, A.USE, A.EDIT], S.OWN),
    ]


def _administration() -> list[Permission]:
    return [
        *grant(F.MEMBERS, sorted(FEATURE_ACTIONS[F.MEMBERS]), S.ORG),
        *grant(F.ROLES, sorted(FEATURE_ACTIONS[F.ROLES]), S.ORG),
        *grant(F.TEAMS, sorted(FEATURE_ACTIONS[F.TEAMS]), S.ORG),
        *grant(F.LOCATIONS, sorted(FEATURE_ACTIONS[F.LOCATIONS]), S.ORG),
        *grant(F.SETTINGS, [A.READ, A.EDIT], S.ORG),
        *grant(F.ORGANISATION, [A.EDIT], S.ORG),
        *grant(F.SUBSCRIPTION, [A.READ, A.EDIT], S.ORG),
        *grant(F.SEATS, [A.READ], S.ORG),
        *grant(F.AUDIT, [A.READ, A.EXPORT, A.REVIEW], S.ORG),  # review: break-glass afterwards
        *grant(F.API_KEYS, sorted(FEATURE_ACTIONS[F.API_KEYS]), S.ORG),
        *grant(F.DECISIONS, [A.CHECK], S.ORG),
        *grant(F.ROOMS, sorted(FEATURE_ACTIONS[F.ROOMS]), S.ORG),
        *grant(F.TEMPLATES, sorted(FEATURE_ACTIONS[F.TEMPLATES]), S.ORG, NOT_PERSONAL),
        *grant(F.TEMPLATES, [A.SHARE, A.PUBLISH], S.OWN),  # distribute one's own personal template
        # manage who reaches a patient: the care team, and explicit (optionally time-limited) access
        *grant(F.PATIENTS, [A.ASSIGN, A.SHARE, A.APPROVE], S.ORG),  # approve: access requests
        *grant(F.INVOICES, [A.READ, A.CREATE, A.EDIT, A.EXPORT], S.ORG),
        *grant(F.CHARGES, [A.READ, A.CREATE, A.EDIT, A.APPROVE, A.EXPORT], S.ORG),
        *grant(F.PAYMENTS, [A.READ, A.CREATE, A.PROCESS, A.EXPORT], S.ORG),
        *grant(F.REFUNDS, [A.READ, A.CREATE, A.APPROVE, A.PROCESS], S.ORG),
        *grant(F.REPORTS, [A.READ, A.CREATE, A.EXPORT], S.ORG),
        *grant(F.ANALYTICS, [A.READ], S.ORG),
        *grant(F.TIME_TRACKING, sorted(FEATURE_ACTIONS[F.TIME_TRACKING]), S.ORG),
        *grant(F.TASKS, sorted(FEATURE_ACTIONS[F.TASKS]), S.ORG),
    ]


def _assistant() -> list[Permission]:
    return [
        # sessions they started for a clinician, wherever, and their teams' sessions
        *grant(F.SESSIONS, [A.READ], S.ORG, CreatedBySelf()),
        *grant(F.SESSIONS, [A.READ], S.TEAM),
        *grant(F.SESSIONS, [A.CREATE], S.TEAM, OwnedByOther()),
        *grant(F.CONTEXT, [A.READ, A.CREATE, A.EDIT], S.TEAM),
        *grant(F.NOTES, [A.READ, A.COPY], S.TEAM),
        *grant(F.DOCUMENTS, [A.READ, A.CREATE], S.TEAM),
        *grant(F.DOCUMENTS, [A.EDIT, A.DELETE], S.TEAM, CreatedBySelf()),
        *grant(F.PATIENTS, [A.READ, A.CREATE, A.EDIT], S.TEAM),
        *grant(F.PATIENTS, [A.REQUEST], S.ORG),  # a patient of another team, for the clinician they work for
        *grant(F.MESSAGES, [A.READ, A.CREATE], S.TEAM),
        *grant(F.APPOINTMENTS, [A.READ], S.ORG),
        *grant(F.APPOINTMENTS, [A.CREATE, A.EDIT, A.CANCEL], S.ORG, OwnedByOther()),
        *grant(F.TEMPLATES, [A.READ], S.TEAM, NOT_PERSONAL),
        *grant(F.TEMPLATES, [A.READ], S.ORG, PUBLISHED),
    ]


def _role(
    key: str, name: str, rank: int, seat: SeatType, description: str, permissions: list[Permission]
) -> Role:
    unique = tuple(dict.fromkeys(permissions))
    return Role(key, name, rank, unique, builtin=True, seat=seat, description=description)


STD, SUP = SeatType.STANDARD, SeatType.SUPPORT

BUILTIN_ROLES: Mapping[str, Role] = MappingProxyType(
    {
        r.key: r
        for r in (
            _role(OWNER, "Owner", 100, STD, "Everything, including subscription, billing and owners.",
                  everything()),
            _role(ADMINISTRATOR, "Administrator", 80, STD,
                  "Manages team, members, roles, settings and templates; full clinical tools on their own "
                  "sessions; reads colleagues' sessions only through team visibility.",
                  [*_common(), *_administration(), *_own_clinical_work()]),
            _role(MANAGER, "Manager", 60, SUP,
                  "Views all patients and records, manages scheduling, processes payments, staff time tracking.",
                  [*_common(),
                   *grant(F.PATIENTS, [A.READ, A.EXPORT], S.ORG),
                   *grant(F.SESSIONS, [A.READ], S.ORG),
                   *grant(F.NOTES, [A.READ], S.ORG),
                   *grant(F.TRANSCRIPTS, [A.READ], S.ORG),
                   *grant(F.CONTEXT, [A.READ], S.ORG),
                   *grant(F.DOCUMENTS, [A.READ], S.ORG),
                   *grant(F.APPOINTMENTS, sorted(FEATURE_ACTIONS[F.APPOINTMENTS]), S.ORG),
                   *grant(F.INVOICES, [A.READ], S.ORG),
                   *grant(F.PAYMENTS, [A.READ, A.CREATE, A.PROCESS], S.ORG),
                   *grant(F.TIME_TRACKING, sorted(FEATURE_ACTIONS[F.TIME_TRACKING]), S.ORG),
                   # "acting manager" while away: hand their own role to a colleague for a period
                   *grant(F.MEMBERS, [A.DELEGATE], S.ORG)]),
            _role(CLINICIAN, "Clinician", 50, STD,
                  "Creates, edits and deletes own sessions, notes, transcripts and documents; own patients, "
                  "calendar, personal templates and video room.",
                  [*_common(), *_own_clinical_work()]),
            _role(TEMPLATE_MANAGER, "Template Manager", 40, SUP,
                  "Creates, shares and publishes templates; sees which teams exist; no patient data.",
                  [*grant(F.ORGANISATION, [A.READ], S.ORG),
                   *grant(F.MEMBERS, [A.READ, A.EDIT], S.OWN),
                   *grant(F.TEAMS, [A.READ], S.ORG),
                   *grant(F.TEMPLATES, [A.READ, A.SHARE, A.PUBLISH], S.OWN),
                   *grant(F.TEMPLATES, [A.CREATE, A.EDIT, A.DELETE], S.OWN, PERSONAL),
                   *grant(F.TEMPLATES, sorted(FEATURE_ACTIONS[F.TEMPLATES]), S.ORG, NOT_PERSONAL)]),
            _role(ASSISTANT, "Assistant", 30, SUP,
                  "Creates sessions for clinicians, adds patient details and context, views and copies the "
                  "core note, writes downstream documents, messages patients, books for others.",
                  [*_common(), *_assistant()]),
            _role(FRONT_DESK, "Front Desk", 30, SUP,
                  "Checks patients in, schedules and reschedules, sees patient contact details.",
                  [*_common(),
                   *grant(F.PATIENTS, [A.READ], S.ORG, hidden=PATIENT_SENSITIVE_FIELDS),
                   *grant(F.APPOINTMENTS, [A.READ, A.CREATE, A.EDIT, A.CANCEL, A.CHECK_IN], S.ORG)]),
            _role(BILLING, "Billing", 30, SUP,
                  "All patients' billing records, charges, invoices, payments and billing reports.",
                  [*_common(),
                   *grant(F.PATIENTS, [A.READ], S.ORG, hidden={"clinical_summary"}),
                   *grant(F.INVOICES, [A.READ, A.CREATE, A.EDIT, A.EXPORT], S.ORG),
                   *grant(F.CHARGES, [A.READ, A.CREATE, A.EDIT, A.APPROVE, A.EXPORT], S.ORG),
                   *grant(F.PAYMENTS, [A.READ, A.CREATE, A.PROCESS, A.EXPORT], S.ORG),
                   *grant(F.REFUNDS, [A.READ, A.CREATE, A.APPROVE, A.PROCESS], S.ORG),
                   *grant(F.REPORTS, [A.READ, A.CREATE, A.EXPORT], S.ORG,
                          AttrCompare("kind", Op.EQ, "billing"))]),
            _role(INVENTORY, "Inventory", 30, SUP, "Products, orders and stock.",
                  [*_common(), *grant(F.INVENTORY, sorted(FEATURE_ACTIONS[F.INVENTORY]), S.ORG)]),
            _role(CALL_CENTER, "Call Center", 30, SUP,
                  "Incoming calls, AI call transcriptions and assigned tasks; no patient records.",
                  [*_common(),
                   *grant(F.CALLS, [A.READ, A.CREATE, A.EDIT, A.ASSIGN], S.ORG),
                   *grant(F.CALL_TRANSCRIPTS, [A.READ], S.ORG),
                   *grant(F.TASKS, [A.READ, A.EDIT], S.ASSIGNED)]),
        )
    }
)

# What each level of a direct session share lets its holder do on the session and its parts.
_VIEW = {(F.SESSIONS, A.READ), (F.NOTES, A.READ), (F.NOTES, A.COPY), (F.TRANSCRIPTS, A.READ),
         (F.CONTEXT, A.READ), (F.DOCUMENTS, A.READ)}
_EDIT = _VIEW | {(F.SESSIONS, A.EDIT), (F.NOTES, A.EDIT), (F.DOCUMENTS, A.CREATE), (F.DOCUMENTS, A.EDIT),
                 (F.CONTEXT, A.CREATE), (F.CONTEXT, A.EDIT), (F.PATIENTS, A.READ), (F.PATIENTS, A.EDIT)}
_FULL = _EDIT | {(F.SESSIONS, A.SHARE)}
SHARE_LEVELS: Mapping[ShareLevel, frozenset[tuple[Feature, Action]]] = MappingProxyType(
    {ShareLevel.VIEW: frozenset(_VIEW), ShareLevel.EDIT: frozenset(_EDIT), ShareLevel.FULL: frozenset(_FULL)}
)

# Explicit access to one patient (an Administrator's grant, perhaps until a date): read the patient and
# the clinical records of the patient's sessions. A grant only reads; it never edits, copies or deletes.
PATIENT_ACCESS_PERMITS: frozenset[tuple[Feature, Action]] = frozenset(
    {(F.PATIENTS, A.READ), (F.SESSIONS, A.READ), (F.NOTES, A.READ), (F.TRANSCRIPTS, A.READ),
     (F.CONTEXT, A.READ), (F.DOCUMENTS, A.READ)})

# Team-wide session visibility lets the chosen roles read their teams' sessions and write documents on them.
VISIBILITY_PERMITS: tuple[tuple[Feature, Action], ...] = (
    (F.SESSIONS, A.READ), (F.NOTES, A.READ), (F.NOTES, A.COPY), (F.TRANSCRIPTS, A.READ),
    (F.CONTEXT, A.READ), (F.DOCUMENTS, A.READ), (F.DOCUMENTS, A.CREATE),
)
# Under the "owners only" billing policy only Owners see or change the subscription, and Administrators
# lose the clinic's billing too (the telehealth seed: financial control stays with the Owner). The
# Billing role keeps its billing records: that is its job.
OWNERS_ONLY_FEATURES = frozenset({F.SUBSCRIPTION})
OWNERS_ONLY_FROM_ADMINISTRATORS = OWNERS_ONLY_FEATURES | BILLING_FEATURES


@dataclass(frozen=True, slots=True)
class Preset:
    """A ready structure for a new organisation: which roles it offers, what they are called, its settings."""

    key: str
    name: str
    description: str
    roles: tuple[str, ...]
    labels: Mapping[str, str] = field(default_factory=dict)
    teams: tuple[str, ...] = ()
    locations: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    template_manager_enabled: bool = True
    billing_policy: BillingPolicy = BillingPolicy.OWNERS_AND_ADMINISTRATORS


PRESETS: Mapping[str, Preset] = MappingProxyType(
    {
        p.key: p
        for p in (
            Preset("scribe_team", "Scribe team",
                   "Administrators, clinicians, assistants and template managers sharing clinical sessions.",
                   (OWNER, ADMINISTRATOR, CLINICIAN, ASSISTANT, TEMPLATE_MANAGER),
                   teams=("Clinicians",)),
            Preset("small_clinic", "Small clinic (5-10 staff)",
                   "Owner/Admin for management, providers with their own patients, front desk sees all "
                   "appointments, one person handles billing.",
                   (OWNER, ADMINISTRATOR, MANAGER, CLINICIAN, FRONT_DESK, BILLING),
                   labels={CLINICIAN: "Provider"}, teams=("Providers", "Front desk"),
                   template_manager_enabled=False),
            Preset("multi_location", "Multi-location clinic",
                   "Admin for the whole system, location managers per facility, departments by function, "
                   "front desk by location.",
                   (OWNER, ADMINISTRATOR, MANAGER, CLINICIAN, FRONT_DESK, BILLING, INVENTORY, CALL_CENTER),
                   labels={CLINICIAN: "Provider", MANAGER: "Location Manager"},
                   teams=("Clinical", "Billing", "Operations"),
                   locations={"North": ("North Clinic",), "South": ("South Clinic", "Harbour Clinic")},
                   template_manager_enabled=False),
            Preset("telehealth", "Telehealth clinic",
                   "Owner for billing and subscription, Admin for operations, Member for care delivery.",
                   (OWNER, ADMINISTRATOR, CLINICIAN),
                   labels={ADMINISTRATOR: "Admin", CLINICIAN: "Member"},
                   template_manager_enabled=False,
                   billing_policy=BillingPolicy.OWNERS_ONLY),
        )
    }
)


def role_label(role_key: str, preset: str | None) -> str:
    """The name an organisation's preset gives a built-in role (a telehealth 'Member' is a Clinician)."""
    chosen = PRESETS.get(preset or "")
    if chosen is not None and role_key in chosen.labels:
        return chosen.labels[role_key]
    role = BUILTIN_ROLES.get(role_key)
    return role.name if role is not None else role_key
