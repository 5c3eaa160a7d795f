"""A small clinic for the engine tests: its members, the objects they touch, and the moment they ask.

Rows of the tables are plain data (role keys, an action, a situation name and a few overrides); the
`clinic` fixture turns them into `Subject`, `Resource` and `Context` values. Helpers live here, behind a
fixture, because test modules must not import `conftest` (tests/ has no packages).

The clinic: organisation ``org-a`` with teams ``t1`` (me and a colleague) and ``t2`` (a stranger), and
locations ``north`` (with ``north-clinic`` below it) and ``south``; another organisation ``org-b``.
It is Wednesday 12 March 2025, 10:00 UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

import pytest

from caregate.engine import (
    BUILTIN_ROLES,
    SHARE_LEVELS,
    Action,
    Context,
    Decision,
    Feature,
    Grant,
    GrantKind,
    MemberStatus,
    OrgPolicy,
    ReasonKind,
    Resource,
    Role,
    RoleAssignment,
    ShareLevel,
    Subject,
    SubjectKind,
    compile_index,
    decide,
)
from caregate.engine.catalog import PATIENT_ACCESS_PERMITS

F, A = Feature, Action

NOW = datetime(2025, 3, 12, 10, 0, tzinfo=UTC)  # a Wednesday
ORG, OTHER_ORG = "org-a", "org-b"
ME, COLLEAGUE, STRANGER, OTHER_OWNER, NEWCOMER = "me", "colleague", "stranger", "owner-2", "newcomer"
MY_TEAM, OTHER_TEAM = "t1", "t2"

# A role as a row writes it: a built-in key, a resolved Role, an assignment, or a dict with "role" and any of
# team_id, location_id, location_ids, expires_in (a timedelta from now).
RoleLike = str | Role | RoleAssignment | Mapping[str, Any]


def at(moment: datetime | timedelta | None) -> datetime | None:
    """A moment written as an offset from NOW (rows carry no clock of their own)."""
    return NOW + moment if isinstance(moment, timedelta) else moment

_CLINICAL_PARTS = {
    "session": F.SESSIONS,
    "note": F.NOTES,
    "transcript": F.TRANSCRIPTS,
    "context": F.CONTEXT,
    "document": F.DOCUMENTS,
}
_WHOSE = {"own": (ME, MY_TEAM), "colleague": (COLLEAGUE, MY_TEAM), "other_team": (STRANGER, OTHER_TEAM)}


def _situations() -> dict[str, dict[str, Any]]:
    """Each named situation: the fields of the Resource it builds (overridable per row)."""
    found: dict[str, dict[str, Any]] = {}
    for whose, (owner, team) in _WHOSE.items():
        for part, feature in _CLINICAL_PARTS.items():
            found[f"{whose}_{part}"] = {"kind": feature, "owner": owner, "teams": (team,)}
    found["my_document_on_colleague_session"] = {
        "kind": F.DOCUMENTS, "owner": COLLEAGUE, "created_by": ME, "teams": (MY_TEAM,)}
    found["session_i_created_in_other_team"] = {
        "kind": F.SESSIONS, "owner": STRANGER, "created_by": ME, "teams": (OTHER_TEAM,)}
    found.update(
        {
            # sessions about to be created: owner is the clinician the session is for
            "new_session_for_me": {"kind": F.SESSIONS, "owner": ME, "created_by": ME,
                                   "attrs": {"owner_seat": "standard"}},
            "new_session_for_colleague": {"kind": F.SESSIONS, "owner": COLLEAGUE, "created_by": ME,
                                          "attrs": {"owner_seat": "standard"}},
            # patients
            "assigned_patient": {"kind": F.PATIENTS, "assigned": (ME, COLLEAGUE), "teams": (MY_TEAM,)},
            "unassigned_patient": {"kind": F.PATIENTS, "assigned": (COLLEAGUE,), "teams": (MY_TEAM,)},
            "other_team_patient": {"kind": F.PATIENTS, "assigned": (STRANGER,), "teams": (OTHER_TEAM,)},
            "team_patient_message": {"kind": F.MESSAGES, "assigned": (COLLEAGUE,), "teams": (MY_TEAM,)},
            # templates
            "own_personal_template": {"kind": F.TEMPLATES, "owner": ME, "attrs": {"visibility": "personal"}},
            "colleague_personal_template": {"kind": F.TEMPLATES, "owner": COLLEAGUE,
                                            "attrs": {"visibility": "personal"}},
            "own_team_template": {"kind": F.TEMPLATES, "owner": ME, "teams": (MY_TEAM,),
                                  "attrs": {"visibility": "team"}},
            "team_template": {"kind": F.TEMPLATES, "owner": COLLEAGUE, "teams": (MY_TEAM,),
                              "attrs": {"visibility": "team"}},
            "other_team_template": {"kind": F.TEMPLATES, "owner": STRANGER, "teams": (OTHER_TEAM,),
                                    "attrs": {"visibility": "team"}},
            "org_template": {"kind": F.TEMPLATES, "owner": STRANGER, "teams": (OTHER_TEAM,),
                             "attrs": {"visibility": "org"}},
            # calendar
            "own_appointment": {"kind": F.APPOINTMENTS, "owner": ME, "attrs": {"owner_seat": "standard"}},
            "colleague_appointment": {"kind": F.APPOINTMENTS, "owner": COLLEAGUE, "teams": (MY_TEAM,),
                                      "attrs": {"owner_seat": "standard"}},
            "other_team_appointment": {"kind": F.APPOINTMENTS, "owner": STRANGER, "teams": (OTHER_TEAM,),
                                       "attrs": {"owner_seat": "standard"}},
            # money
            "invoice": {"kind": F.INVOICES},
            "payment": {"kind": F.PAYMENTS},
            "charge": {"kind": F.CHARGES, "attrs": {"amount": 120, "requested_by": COLLEAGUE}},
            "refund": {"kind": F.REFUNDS, "attrs": {"amount": 80, "requested_by": COLLEAGUE}},
            "time_entry": {"kind": F.TIME_TRACKING, "attrs": {"requested_by": COLLEAGUE}},
            "billing_report": {"kind": F.REPORTS, "attrs": {"kind": "billing"}},
            "clinical_report": {"kind": F.REPORTS, "attrs": {"kind": "clinical"}},
            "report_of_no_kind": {"kind": F.REPORTS},
            # rooms
            "own_personal_room": {"kind": F.ROOMS, "owner": ME},
            "colleague_personal_room": {"kind": F.ROOMS, "owner": COLLEAGUE},
            "new_personal_room": {"kind": F.ROOMS, "owner": ME, "attrs": {"owner_seat": "standard"}},
            "assigned_shared_room": {"kind": F.ROOMS, "assigned": (ME, COLLEAGUE),
                                     "attrs": {"plan_feature": "shared_rooms"}},
            "unassigned_shared_room": {"kind": F.ROOMS, "assigned": (COLLEAGUE,),
                                       "attrs": {"plan_feature": "shared_rooms"}},
            "new_shared_room": {"kind": F.ROOMS, "attrs": {"plan_feature": "shared_rooms"}},
            # members as targets of membership actions
            "myself": {"kind": F.MEMBERS, "id": ME, "owner": ME, "teams": (MY_TEAM,)},
            "clinician_member": {"kind": F.MEMBERS, "id": COLLEAGUE, "owner": COLLEAGUE, "teams": (MY_TEAM,),
                                 "attrs": {"rank": 50}},
            "other_team_member": {"kind": F.MEMBERS, "id": STRANGER, "owner": STRANGER, "teams": (OTHER_TEAM,),
                                  "attrs": {"rank": 50}},
            "owner_member": {"kind": F.MEMBERS, "id": OTHER_OWNER, "owner": OTHER_OWNER, "teams": (MY_TEAM,),
                             "attrs": {"rank": 100, "is_owner": True}},
            "new_member": {"kind": F.MEMBERS, "id": NEWCOMER, "teams": (MY_TEAM,), "attrs": {"new_rank": 50}},
            # the organisation and its administration
            "organisation": {"kind": F.ORGANISATION},
            "settings": {"kind": F.SETTINGS},
            "subscription": {"kind": F.SUBSCRIPTION},
            "seats": {"kind": F.SEATS},
            "audit_log": {"kind": F.AUDIT},
            # a colleague's emergency access, to be reviewed (part of the audit log)
            "colleague_break_glass": {"kind": F.AUDIT, "owner": COLLEAGUE, "attrs": {"requested_by": COLLEAGUE}},
            "analytics": {"kind": F.ANALYTICS},
            "roles": {"kind": F.ROLES},
            "team": {"kind": F.TEAMS, "id": MY_TEAM, "teams": (MY_TEAM,)},
            # operations
            "stock_item": {"kind": F.INVENTORY},
            "incoming_call": {"kind": F.CALLS},
            "call_transcription": {"kind": F.CALL_TRANSCRIPTS},
            "assigned_task": {"kind": F.TASKS, "assigned": (ME,)},
            "unassigned_task": {"kind": F.TASKS, "assigned": (COLLEAGUE,)},
        }
    )
    return found


SITUATIONS: Mapping[str, Mapping[str, Any]] = _situations()

_GRANT_PERMITS = {
    GrantKind.PATIENT_ACCESS: frozenset({(F.PATIENTS, A.READ)}),
    GrantKind.BREAK_GLASS: PATIENT_ACCESS_PERMITS,  # what the service gives: read the patient and the records
    GrantKind.TEMPORARY: frozenset({(F.PATIENTS, A.READ)}),
    GrantKind.DELEGATION: frozenset({(F.TIME_TRACKING, A.APPROVE)}),
}

_OVERRIDES = frozenset({"kind", "owner", "created_by", "teams", "locations", "assigned", "attrs", "org", "id",
                        "share", "share_until", "grant", "grant_until", "grant_permits"})

CODE_KINDS = (
    ("default-deny", ReasonKind.DEFAULT),
    ("forbid:", ReasonKind.FORBID),
    ("plan:", ReasonKind.FORBID),
    ("status:", ReasonKind.STATUS),
    ("scope:", ReasonKind.SCOPE),
    ("role:", ReasonKind.ROLE),
    ("grant:", ReasonKind.GRANT),
    ("setting", ReasonKind.SETTING),
)


def kind_of(code: str) -> ReasonKind:
    """The reason kind a code prefix belongs to."""
    for prefix, kind in CODE_KINDS:
        if code.startswith(prefix):
            return kind
    raise AssertionError(f"no reason kind for code {code!r}")


class Clinic:
    """Builds subjects, resources and contexts of the test clinic from plain row data."""

    now = NOW
    situations = SITUATIONS
    kind_of = staticmethod(kind_of)

    def policy(self, org_id: str = ORG, **settings: Any) -> OrgPolicy:
        if "trial_ends_at" in settings:
            settings["trial_ends_at"] = at(settings["trial_ends_at"])
        if "visibility_roles" in settings:
            settings["visibility_roles"] = frozenset(settings["visibility_roles"])
        return OrgPolicy(org_id, **settings)

    def assignment(self, role: RoleLike) -> RoleAssignment:
        if isinstance(role, RoleAssignment):
            return role
        if isinstance(role, Role):
            return RoleAssignment(role)
        if isinstance(role, str):
            return RoleAssignment(BUILTIN_ROLES[role])
        spec = dict(role)
        unknown = set(spec) - {"role", "team_id", "location_id", "location_ids", "expires_in"}
        assert not unknown, f"unknown assignment keys {sorted(unknown)}"
        held = spec["role"]
        return RoleAssignment(
            held if isinstance(held, Role) else BUILTIN_ROLES[held],
            team_id=spec.get("team_id"),
            location_id=spec.get("location_id"),
            location_ids=frozenset(spec.get("location_ids", ())),
            expires_at=at(spec.get("expires_in")),
        )

    def subject(
        self,
        roles: Iterable[RoleLike],
        *,
        settings: Mapping[str, Any] | None = None,
        member_id: str = ME,
        org_id: str = ORG,
        status: MemberStatus | str = MemberStatus.ACTIVE,
        teams: Iterable[str] = (MY_TEAM,),
        locations: Iterable[str] = (),
        api_scopes: Iterable[str] | None = None,
        kind: SubjectKind = SubjectKind.PERSON,
    ) -> Subject:
        org = self.policy(org_id, **(settings or {}))
        index = compile_index([self.assignment(r) for r in roles], org)
        return Subject(
            member_id=member_id,
            org_id=org_id,
            status=MemberStatus(status),
            index=index,
            org=org,
            team_ids=frozenset(teams),
            location_ids=frozenset(locations),
            kind=kind,
            api_scopes=None if api_scopes is None else frozenset(api_scopes),
        )

    def resource(self, situation: str, **where: Any) -> Resource:
        """The resource of a named situation, with the row's overrides.

        Overrides: owner, created_by, teams, locations, assigned, attrs (merged), org, id,
        share (a share level for me) and share_until, grant (a GrantKind for me), grant_until, grant_permits.
        """
        unknown = set(where) - _OVERRIDES
        assert not unknown, f"unknown resource overrides {sorted(unknown)}"
        base = dict(SITUATIONS[situation])
        attrs = {**base.pop("attrs", {}), **where.pop("attrs", {})}
        spec = {**base, **where}
        grants: dict[str, tuple[Grant, ...]] = {}
        if "share" in spec:
            level = ShareLevel(spec["share"])
            grants[ME] = (Grant(GrantKind.SHARE, "share-1", SHARE_LEVELS[level], level=str(level),
                                until=at(spec.get("share_until")), granted_by=spec.get("owner")),)
        if "grant" in spec:
            kind = GrantKind(spec["grant"])
            permits = frozenset(spec.get("grant_permits", _GRANT_PERMITS[kind]))
            grants[ME] = (*grants.get(ME, ()), Grant(kind, f"{kind}-1", permits, until=at(spec.get("grant_until"))))
        return Resource(
            kind=spec["kind"],
            org_id=spec.get("org", ORG),
            id=spec.get("id", f"{situation}-1"),
            owner_id=spec.get("owner"),
            created_by=spec.get("created_by", spec.get("owner")),
            team_ids=frozenset(spec.get("teams", ())),
            location_ids=frozenset(spec.get("locations", ())),
            assigned_ids=frozenset(spec.get("assigned", ())),
            grants=grants,
            attrs=attrs,
        )

    def context(
        self,
        now: datetime | timedelta = NOW,
        ip: IPv4Address | IPv6Address | str | None = None,
        mfa_at: datetime | timedelta | None = None,
        **attrs: Any,
    ) -> Context:
        address = None if ip is None else ip_address(str(ip))
        return Context(now=at(now) or NOW, ip=address, mfa_at=at(mfa_at), attrs=attrs)

    def decide(self, subject: Subject, action: Action, resource: Resource, **context: Any) -> Decision:
        return decide(subject, action, resource, self.context(**context))


@pytest.fixture
def clinic() -> Clinic:
    return Clinic()
