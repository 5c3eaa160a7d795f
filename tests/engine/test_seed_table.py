"""One row per can / cannot sentence of the seeds and PRODUCT.md about roles: (roles, action, situation) -> decision.

Each row names where its sentence comes from (`PRODUCT` is /work/shared/PRODUCT.md, `000`..`004` the seed
pages), the role(s), the action, the situation (a named resource from conftest, with overrides), the
organisation's settings when they matter, and the decision with the reason that must carry it. The first
reason's code must start with the row's `reason`, and its kind must match the code. Allowed rows also pin
the hidden fields (empty unless stated), so a row fails if the rule it stands for breaks in either direction.

Rows marked `ENGINE-BUG` are sentences the engine does not honour yet; they are strict xfails.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from caregate.engine import (
    BUILTIN_ROLES,
    Action,
    BillingPolicy,
    GrantKind,
    OrgPolicy,
    Plan,
    Role,
    RoleAssignment,
    compile_index,
    validate_role,
)

A = Action
ALLOW, DENY = True, False
SOURCES = frozenset({"PRODUCT", "000", "001", "002", "003", "004"})

PRACTICE = {"plan": Plan.PRACTICE}
VISIBILITY_ON = {"plan": Plan.PRACTICE, "session_visibility": True}
OWNERS_ONLY = {"billing_policy": BillingPolicy.OWNERS_ONLY}
TM_OFF = {"template_manager_enabled": False}
SENSITIVE = frozenset({"ssn", "insurance", "clinical_summary"})

NORTH = {"location_id": "north", "location_ids": ("north", "north-clinic")}
SOUTH = {"location_id": "south", "location_ids": ("south",)}

# "Conditional permissions - 'Can approve charges only if < $500'" (003): a custom role, validated as an
# Owner would create it, that replaces Billing's charge approval with one limited by amount.
_OWNER_INDEX = compile_index([RoleAssignment(BUILTIN_ROLES["owner"])], OrgPolicy("org-a"))
_, JUNIOR_BILLER = validate_role(
    {"name": "Junior Biller", "parent": "billing", "rank": 30,
     "permissions": {"charges": {"approve": {"scope": "org", "conditions": [
         {"type": "attr", "attr": "amount", "op": "lt", "value": 500}]}}}},
    key="junior_biller", existing={}, creator=_OWNER_INDEX,
)


@dataclass(frozen=True)
class Row:
    id: str
    source: str
    quote: str
    roles: tuple[Any, ...]
    action: Action
    situation: str
    allowed: bool
    reason: str
    where: Mapping[str, Any] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)
    who: Mapping[str, Any] = field(default_factory=dict)
    ctx: Mapping[str, Any] = field(default_factory=dict)
    hidden: frozenset[str] = frozenset()
    also: tuple[str, ...] = ()
    says: str | None = None

    def role_names(self) -> set[str]:
        names = set()
        for r in self.roles:
            held = r["role"] if isinstance(r, Mapping) else r
            names.add(held if isinstance(held, str) else held.key)
        return names


def row(
    id: str,
    source: str,
    quote: str,
    roles: tuple[Any, ...] | str | Role | Mapping[str, Any],
    action: Action,
    situation: str,
    allowed: bool,
    reason: str,
    *,
    bug: str | None = None,
    **extra: Any,
) -> Any:
    roles = roles if isinstance(roles, tuple) else (roles,)
    if "hidden" in extra:
        extra["hidden"] = frozenset(extra["hidden"])
    if "also" in extra and isinstance(extra["also"], str):
        extra["also"] = (extra["also"],)
    data = Row(id, source, quote, tuple(roles), action, situation, allowed, reason, **extra)
    marks = () if bug is None else pytest.mark.xfail(reason=f"ENGINE-BUG: {bug}", strict=True,
                                                       raises=AssertionError)
    return pytest.param(data, id=id, marks=marks)


ROWS = [
    # --- Owner -----------------------------------------------------------------------------------------
    row("owner-edits-subscription", "PRODUCT", "Owner: everything, including subscription, billing and owners",
        "owner", A.EDIT, "subscription", ALLOW, "role:owner"),
    row("owner-edits-subscription-owners-only", "004", "Manage billing and subscription | Owner ✓ | Admin —",
        "owner", A.EDIT, "subscription", ALLOW, "role:owner", settings=OWNERS_ONLY),
    row("owner-processes-payment", "003", "Owner/Admin - Can access billing and settings",
        "owner", A.PROCESS, "payment", ALLOW, "role:owner"),
    row("owner-deletes-organisation", "PRODUCT", "Administrator cannot: delete the organisation (an Owner can)",
        "owner", A.DELETE, "organisation", ALLOW, "role:owner"),
    row("owner-reads-any-patient-unhidden", "003", "Owner/Admin - Can view all patients and records",
        "owner", A.READ, "other_team_patient", ALLOW, "role:owner"),
    row("owner-demotes-another-owner", "PRODUCT", "Owner: everything, including ... owners",
        "owner", A.CHANGE_ROLE, "owner_member", ALLOW, "role:owner",
        where={"attrs": {"new_rank": 80, "removes_owner": True, "last_active_owner": False}}),
    row("owner-restores-archived-owner", "004", "Remove, archive, and restore users | Owner ✓",
        "owner", A.RESTORE, "owner_member", ALLOW, "role:owner"),
    row("owner-cannot-archive-last-owner", "004", "You cannot remove or archive the final remaining Owner.",
        "owner", A.ARCHIVE, "myself", DENY, "forbid:last-owner",
        where={"attrs": {"rank": 100, "is_owner": True, "last_active_owner": True}}),
    row("owner-cannot-remove-last-owner", "004", "You cannot remove or archive the final remaining Owner.",
        "owner", A.DELETE, "myself", DENY, "forbid:last-owner",
        where={"attrs": {"rank": 100, "is_owner": True, "last_active_owner": True}}),
    row("owner-cannot-disable-last-owner", "004", "must always have at least one active Owner",
        "owner", A.DISABLE, "owner_member", DENY, "forbid:last-owner",
        where={"attrs": {"last_active_owner": True}}),
    row("owner-cannot-demote-last-owner", "PRODUCT", "be removed, archived or demoted while the last active owner",
        "owner", A.CHANGE_ROLE, "owner_member", DENY, "forbid:last-owner",
        where={"attrs": {"new_rank": 80, "last_active_owner": True, "removes_owner": True}}),
    row("owner-adds-role-to-last-owner", "PRODUCT", "at least one active Owner at all times (kept: adds a role)",
        "owner", A.CHANGE_ROLE, "owner_member", ALLOW, "role:owner",
        where={"attrs": {"new_rank": 100, "last_active_owner": True, "removes_owner": False}}),
    row("owner-cannot-change-own-roles", "PRODUCT", "nobody changes their own roles or seat type",
        "owner", A.CHANGE_ROLE, "myself", DENY, "forbid:own-roles",
        where={"attrs": {"rank": 100, "new_rank": 50}}),
    row("owner-cannot-delete-clinicians-session", "000", "Only the session owner can delete a session.",
        "owner", A.DELETE, "colleague_session", DENY, "forbid:only-owner-deletes"),
    row("owner-cannot-assign-patient-to-support-seat", "002", "Support roles cannot be ... assigned clients",
        "owner", A.ASSIGN, "unassigned_patient", DENY, "forbid:support-seat",
        where={"attrs": {"owner_seat": "support"}}),
    row("owner-assigns-patient-to-standard-seat", "002", "providers ... marked as 'Standard' ... can be assigned",
        "owner", A.ASSIGN, "unassigned_patient", ALLOW, "role:owner",
        where={"attrs": {"owner_seat": "standard"}}),
    row("owner-cannot-create-room-for-support-seat", "002", "Support roles cannot ... have their own Zoom",
        "owner", A.CREATE, "new_personal_room", DENY, "forbid:support-seat",
        where={"owner": "colleague", "attrs": {"owner_seat": "support"}}),

    # --- Administrator ---------------------------------------------------------------------------------
    row("admin-invites-clinician", "004", "Invite clinic users | Owner ✓ | Admin ✓",
        "administrator", A.INVITE, "new_member", ALLOW, "role:administrator"),
    row("admin-cannot-invite-owner", "004", "You can only assign roles to your same level or below.",
        "administrator", A.INVITE, "new_member", DENY, "forbid:rank", where={"attrs": {"new_rank": 100}}),
    row("admin-changes-clinician-role", "004", "Change user roles | Owner ✓ | Admin ✓",
        "administrator", A.CHANGE_ROLE, "clinician_member", ALLOW, "role:administrator",
        where={"attrs": {"new_rank": 30}}),
    row("admin-cannot-promote-to-owner", "004", "You can only assign roles to your same level or below.",
        "administrator", A.CHANGE_ROLE, "clinician_member", DENY, "forbid:rank",
        where={"attrs": {"new_rank": 100}}),
    row("admin-cannot-downgrade-owner", "001", "They cannot delete the team, or downgrade the Account Owner.",
        "administrator", A.CHANGE_ROLE, "owner_member", DENY, "forbid:outranked",
        where={"attrs": {"new_rank": 50, "removes_owner": True}}, says="an Owner"),
    row("admin-cannot-remove-owner", "PRODUCT", "an Administrator cannot demote or remove an Owner",
        "administrator", A.DELETE, "owner_member", DENY, "forbid:outranked"),
    row("admin-cannot-archive-owner", "PRODUCT", "Administrator cannot: remove or demote an owner",
        "administrator", A.ARCHIVE, "owner_member", DENY, "forbid:outranked"),
    row("admin-cannot-disable-owner", "PRODUCT", "Administrator cannot: remove or demote an owner",
        "administrator", A.DISABLE, "owner_member", DENY, "forbid:outranked"),
    row("admin-cannot-restore-owner", "PRODUCT", "only at their own rank or below",
        "administrator", A.RESTORE, "owner_member", DENY, "forbid:outranked"),
    row("admin-archives-clinician", "004", "Remove, archive, and restore users | Admin ✓",
        "administrator", A.ARCHIVE, "clinician_member", ALLOW, "role:administrator"),
    row("admin-restores-clinician", "004", "Remove, archive, and restore users | Admin ✓",
        "administrator", A.RESTORE, "clinician_member", ALLOW, "role:administrator"),
    row("admin-disables-clinician", "003", "Disable User - User can no longer log in - Can be re-enabled later",
        "administrator", A.DISABLE, "clinician_member", ALLOW, "role:administrator"),
    row("admin-deletes-clinician-account", "003", "Permanently remove a user (only Owner/Admin)",
        "administrator", A.DELETE, "clinician_member", ALLOW, "role:administrator"),
    row("admin-cannot-change-own-roles", "002", "Provider teams are unable to change their own account types",
        "administrator", A.CHANGE_ROLE, "myself", DENY, "forbid:own-roles",
        where={"attrs": {"rank": 80, "new_rank": 80}}),
    row("admin-manages-settings", "004", "Manage clinic-wide settings | Admin ✓",
        "administrator", A.EDIT, "settings", ALLOW, "role:administrator"),
    row("admin-creates-custom-role", "PRODUCT", "Administrator can: manage team, members, roles, settings",
        "administrator", A.CREATE, "roles", ALLOW, "role:administrator"),
    row("admin-creates-team", "000", "Administrator: Manages the team and workspace settings.",
        "administrator", A.CREATE, "team", ALLOW, "role:administrator"),
    row("admin-cannot-delete-organisation", "001", "They cannot delete the team",
        "administrator", A.DELETE, "organisation", DENY, "default-deny"),
    row("admin-edits-subscription", "000", "Can also manage team membership and billing.",
        "administrator", A.EDIT, "subscription", ALLOW, "role:administrator"),
    row("admin-reads-invoices", "002", "Administrators ... the ability to view all billing details",
        "administrator", A.READ, "invoice", ALLOW, "role:administrator"),
    row("admin-subscription-owners-only", "004", "They cannot: Access or manage billing and subscription settings",
        "administrator", A.READ, "subscription", DENY, "default-deny", settings=OWNERS_ONLY, also="setting",
        says="owners only"),
    row("admin-invoices-owners-only", "PRODUCT",
        "subscription and billing unless the organisation's billing policy is 'owners only'",
        "administrator", A.READ, "invoice", DENY, "default-deny", settings=OWNERS_ONLY, also="setting"),
    row("admin-processes-payment-owners-only", "004", "preserving financial control at the Owner level",
        "administrator", A.PROCESS, "payment", DENY, "default-deny", settings=OWNERS_ONLY, also="setting"),
    row("admin-views-seats-owners-only", "004", "View seat availability | Owner ✓ | Admin ✓",
        "administrator", A.READ, "seats", ALLOW, "role:administrator", settings=OWNERS_ONLY),
    row("admin-views-clinic-history", "004", "View clinic-level history | Owner ✓ | Admin ✓",
        "administrator", A.READ, "audit_log", ALLOW, "role:administrator"),
    row("admin-records-own-session", "PRODUCT", "Administrator: full clinical tools on their own sessions",
        "administrator", A.RECORD, "own_session", ALLOW, "role:administrator"),
    row("admin-edits-own-transcript", "PRODUCT", "Administrator: full clinical tools on their own sessions",
        "administrator", A.EDIT, "own_transcript", ALLOW, "role:administrator"),
    row("admin-reads-colleague-session-visibility-on", "000",
        "This org-level toggle lets administrators view all clinician sessions across the team.",
        "administrator", A.READ, "colleague_session", ALLOW, "setting:session_visibility",
        settings=VISIBILITY_ON),
    row("admin-reads-colleague-note-visibility-on", "001", "Administrator - Can view clinician notes (if enabled)",
        "administrator", A.READ, "colleague_note", ALLOW, "setting:session_visibility", settings=VISIBILITY_ON),
    row("admin-creates-document-visibility-on", "001", "Administrator - ... and create documents",
        "administrator", A.CREATE, "colleague_document", ALLOW, "setting:session_visibility",
        settings=VISIBILITY_ON),
    row("admin-cannot-edit-colleague-transcript", "001", "... but cannot edit transcripts.",
        "administrator", A.EDIT, "colleague_transcript", DENY, "default-deny", settings=VISIBILITY_ON),
    row("admin-cannot-edit-colleague-note", "PRODUCT", "on colleagues' sessions ...: read notes, create documents",
        "administrator", A.EDIT, "colleague_note", DENY, "default-deny", settings=VISIBILITY_ON),
    row("admin-cannot-record-colleague-session", "PRODUCT",
        "on colleagues' sessions ...: read notes, create documents",
        "administrator", A.RECORD, "colleague_session", DENY, "default-deny", settings=VISIBILITY_ON),
    row("admin-cannot-read-colleague-session-visibility-off", "001", "Can view clinician notes (if enabled)",
        "administrator", A.READ, "colleague_session", DENY, "default-deny", settings=PRACTICE),
    row("admin-visibility-needs-plan", "000", "Team Session viewing is only available on Practice Tier and Enterprise.",
        "administrator", A.READ, "colleague_session", DENY, "default-deny",
        settings={"plan": Plan.FREE, "session_visibility": True}, says="session_visibility"),
    row("admin-visibility-during-trial", "000", "you may need to start a 30-day trial to explore this feature",
        "administrator", A.READ, "colleague_session", ALLOW, "setting:session_visibility",
        settings={"plan": Plan.FREE, "session_visibility": True, "trial_ends_at": timedelta(days=20)}),
    row("admin-visibility-after-trial", "PRODUCT", "available on practice/enterprise plans or during a trial",
        "administrator", A.READ, "colleague_session", DENY, "default-deny",
        settings={"plan": Plan.FREE, "session_visibility": True, "trial_ends_at": timedelta(days=-1)}),
    row("admin-visibility-enterprise", "001", "Team Session viewing is only available in Together and Enterprise.",
        "administrator", A.READ, "colleague_note", ALLOW, "setting:session_visibility",
        settings={"plan": Plan.ENTERPRISE, "session_visibility": True}),
    row("admin-visibility-stays-in-own-teams", "PRODUCT", "can read all sessions of their teams",
        "administrator", A.READ, "other_team_session", DENY, "default-deny", settings=VISIBILITY_ON),
    row("admin-cannot-switch-on-visibility-on-free", "PRODUCT", "Plans gate features (... session visibility ...)",
        "administrator", A.EDIT, "settings", DENY, "plan:session_visibility",
        where={"attrs": {"plan_feature": "session_visibility"}}),
    row("admin-switches-on-visibility-on-practice", "000", "find alternativet øktvisning. slå det på eller av",
        "administrator", A.EDIT, "settings", ALLOW, "role:administrator", settings=PRACTICE,
        where={"attrs": {"plan_feature": "session_visibility"}}),
    row("admin-cannot-enable-sso-on-practice", "PRODUCT", "Plans gate features (shared rooms, session visibility, SSO",
        "administrator", A.EDIT, "settings", DENY, "plan:sso", settings=PRACTICE,
        where={"attrs": {"plan_feature": "sso"}}),
    row("admin-advanced-audit-needs-plan", "PRODUCT", "Plans gate features (..., SSO, advanced audit)",
        "administrator", A.EXPORT, "audit_log", DENY, "plan:advanced_audit",
        where={"attrs": {"plan_feature": "advanced_audit"}}),
    row("admin-cannot-create-shared-room-on-free", "004", "Create Shared Rooms (Premium) | Owner ✓ | Admin ✓",
        "administrator", A.CREATE, "new_shared_room", DENY, "plan:shared_rooms"),
    row("admin-creates-shared-room-on-practice", "004", "Create Shared Rooms (Premium) | Owner ✓ | Admin ✓",
        "administrator", A.CREATE, "new_shared_room", ALLOW, "role:administrator", settings=PRACTICE),
    row("admin-assigns-users-to-shared-room", "004", "Assign users to Shared Rooms (Premium) | Admin ✓",
        "administrator", A.ASSIGN, "unassigned_shared_room", ALLOW, "role:administrator", settings=PRACTICE),
    row("admin-manages-colleague-personal-room", "004", "Manage all Personal Rooms tied to the clinic",
        "administrator", A.EDIT, "colleague_personal_room", ALLOW, "role:administrator"),
    row("admin-publishes-team-template", "PRODUCT", "Administrator can: manage ... templates",
        "administrator", A.PUBLISH, "team_template", ALLOW, "role:administrator"),
    row("admin-cannot-edit-colleague-personal-template", "000",
        "Create and manage their own personal templates (a clinician's, not the admin's)",
        "administrator", A.EDIT, "colleague_personal_template", DENY, "default-deny"),

    # --- Clinician -------------------------------------------------------------------------------------
    row("clin-creates-own-session", "000", "Create, edit, and delete their own clinical sessions",
        "clinician", A.CREATE, "new_session_for_me", ALLOW, "role:clinician"),
    row("clin-edits-own-session", "000", "Create, edit, and delete their own clinical sessions",
        "clinician", A.EDIT, "own_session", ALLOW, "role:clinician"),
    row("clin-deletes-own-session", "000", "Create, edit, and delete their own clinical sessions",
        "clinician", A.DELETE, "own_session", ALLOW, "role:clinician"),
    row("clin-deletes-own-note", "000", "Create, edit, and delete their own ... notes",
        "clinician", A.DELETE, "own_note", ALLOW, "role:clinician"),
    row("clin-edits-own-transcript", "000", "Create, edit, and delete their own ... transcriptions",
        "clinician", A.EDIT, "own_transcript", ALLOW, "role:clinician"),
    row("clin-deletes-own-transcript", "000", "Create, edit, and delete their own ... transcriptions",
        "clinician", A.DELETE, "own_transcript", ALLOW, "role:clinician"),
    row("clin-creates-own-document", "000", "Full access to ... downstream documents",
        "clinician", A.CREATE, "own_document", ALLOW, "role:clinician"),
    row("clin-records-own-session", "004", "Members can: Start and conduct sessions",
        "clinician", A.RECORD, "own_session", ALLOW, "role:clinician"),
    row("clin-cannot-read-colleague-session-unshared", "PRODUCT",
        "collaborate on sessions visible to them (default visibility roles: Administrators)",
        "clinician", A.READ, "colleague_session", DENY, "default-deny", settings=VISIBILITY_ON),
    row("clin-reads-colleague-session-when-chosen-for-visibility", "000",
        "Choose which roles can access session notes (e.g., Administrators only).",
        "clinician", A.READ, "colleague_session", ALLOW, "setting:session_visibility",
        settings={**VISIBILITY_ON, "visibility_roles": ("administrator", "clinician")}),
    row("clin-collaborates-on-shared-session", "000", "View and collaborate on team members' sessions",
        "clinician", A.EDIT, "colleague_note", ALLOW, "grant:share:", where={"share": "edit"}),
    row("clin-cannot-edit-team-template", "000", "Cannot modify team templates or team settings.",
        "clinician", A.EDIT, "team_template", DENY, "default-deny"),
    row("clin-cannot-publish-template", "001", "They cannot modify team templates or settings.",
        "clinician", A.PUBLISH, "own_personal_template", DENY, "default-deny"),
    row("clin-cannot-edit-settings", "000", "Cannot modify team templates or team settings.",
        "clinician", A.EDIT, "settings", DENY, "default-deny"),
    row("clin-creates-personal-template", "000", "Create and manage their own personal templates",
        "clinician", A.CREATE, "own_personal_template", ALLOW, "role:clinician"),
    row("clin-edits-personal-template", "000", "Create and manage their own personal templates",
        "clinician", A.EDIT, "own_personal_template", ALLOW, "role:clinician"),
    row("clin-uses-team-template", "PRODUCT", "templates (personal, team, organisation-wide)",
        "clinician", A.READ, "team_template", ALLOW, "role:clinician"),
    row("clin-uses-published-template", "000", "Publish templates org-wide",
        "clinician", A.READ, "org_template", ALLOW, "role:clinician"),
    row("clin-cannot-read-other-team-template", "000", "Share templates with specific teams",
        "clinician", A.READ, "other_team_template", DENY, "default-deny"),
    row("clin-cannot-read-colleague-personal-template", "000", "their own personal templates",
        "clinician", A.READ, "colleague_personal_template", DENY, "default-deny"),
    row("clin-cannot-read-invoices", "000", "What a Clinician cannot do: Manage billing",
        "clinician", A.READ, "invoice", DENY, "default-deny"),
    row("clin-cannot-read-subscription", "004", "Members cannot: Manage billing",
        "clinician", A.READ, "subscription", DENY, "default-deny"),
    row("clin-cannot-invite", "004", "Members cannot: ... Invite users",
        "clinician", A.INVITE, "new_member", DENY, "default-deny"),
    row("clin-cannot-change-roles", "000", "Manage billing, team membership, or team settings",
        "clinician", A.CHANGE_ROLE, "other_team_member", DENY, "default-deny", where={"attrs": {"new_rank": 30}}),
    row("clin-cannot-change-own-seat", "002", "Provider teams are unable to change their own account types.",
        "clinician", A.CHANGE_ROLE, "myself", DENY, "forbid:own-roles",
        where={"attrs": {"rank": 50, "new_rank": 80}}),
    row("clin-reads-assigned-patient", "003", "Provider - Can view assigned patients",
        "clinician", A.READ, "assigned_patient", ALLOW, "role:clinician"),
    row("clin-cannot-read-other-providers-patient", "003", "Cannot view other providers' patients (unless shared)",
        "clinician", A.READ, "unassigned_patient", DENY, "default-deny"),
    row("clin-reads-patient-with-explicit-access", "003", "Grant explicit patient access if needed",
        "clinician", A.READ, "unassigned_patient", ALLOW, "grant:patient_access:",
        where={"grant": GrantKind.PATIENT_ACCESS}),
    row("clin-explicit-access-is-read-only", "003", "Grant explicit patient access if needed",
        "clinician", A.EDIT, "unassigned_patient", DENY, "default-deny", where={"grant": GrantKind.PATIENT_ACCESS}),
    row("clin-books-own-calendar", "PRODUCT", "Clinician can: own patients and calendar",
        "clinician", A.CREATE, "own_appointment", ALLOW, "role:clinician"),
    row("clin-cannot-edit-colleague-calendar", "003", "Providers manage own schedules",
        "clinician", A.EDIT, "colleague_appointment", DENY, "default-deny"),
    row("clin-cannot-read-audit", "004", "Members cannot: ... View clinic-level history",
        "clinician", A.READ, "audit_log", DENY, "default-deny"),
    row("clin-cannot-view-seats", "004", "View seat availability | Member —",
        "clinician", A.READ, "seats", DENY, "default-deny"),
    row("clin-views-other-users", "004", "Members can: ... View other users in the clinic",
        "clinician", A.READ, "clinician_member", ALLOW, "role:clinician"),
    row("clin-conducts-video-call-in-own-room", "004", "Members can: Manage their own Personal Room",
        "clinician", A.USE, "own_personal_room", ALLOW, "role:clinician"),
    row("clin-cannot-manage-colleague-room", "004", "Manage all Personal Rooms tied to the clinic (Owner, Admin)",
        "clinician", A.EDIT, "colleague_personal_room", DENY, "default-deny"),
    row("clin-uses-assigned-shared-room", "004", "Members can: ... Access Shared Rooms if assigned",
        "clinician", A.USE, "assigned_shared_room", ALLOW, "role:clinician", settings=PRACTICE),
    row("clin-shared-room-needs-plan", "004", "Access to additional features (such as ... Shared Rooms) depends on "
        "your clinic's plan", "clinician", A.USE, "assigned_shared_room", DENY, "plan:shared_rooms"),
    row("clin-cannot-use-unassigned-shared-room", "004", "Access assigned Shared Rooms (Premium)",
        "clinician", A.USE, "unassigned_shared_room", DENY, "default-deny", settings=PRACTICE),
    row("clin-cannot-create-shared-room", "004", "Members cannot: ... Create or manage Shared Rooms",
        "clinician", A.CREATE, "new_shared_room", DENY, "default-deny", settings=PRACTICE),

    # --- Assistant -------------------------------------------------------------------------------------
    row("asst-creates-session-for-clinician", "000", "Create new sessions for clinicians and add patient details",
        "assistant", A.CREATE, "new_session_for_colleague", ALLOW, "role:assistant", where={"teams": ("t1",)}),
    row("asst-cannot-create-session-for-self", "000", "What an Assistant cannot do: Create a session for themselves",
        "assistant", A.CREATE, "new_session_for_me", DENY, "default-deny", where={"teams": ("t1",)}),
    row("asst-support-seat-cannot-own-session", "000", "Cannot own sessions",
        "assistant", A.CREATE, "new_session_for_me", DENY, "forbid:support-seat",
        where={"teams": ("t1",), "attrs": {"owner_seat": "support"}}),
    row("asst-cannot-record", "000", "Cannot ... start recording sessions.",
        "assistant", A.RECORD, "colleague_session", DENY, "default-deny"),
    row("asst-cannot-delete-core-note", "000", "Delete the core note created by a clinician",
        "assistant", A.DELETE, "colleague_note", DENY, "forbid:only-owner-deletes"),
    row("asst-views-core-note", "000", "View the core note and copy it for transfer to EMR",
        "assistant", A.READ, "colleague_note", ALLOW, "role:assistant"),
    row("asst-copies-core-note", "000", "View the core note and copy it for transfer to EMR",
        "assistant", A.COPY, "colleague_note", ALLOW, "role:assistant"),
    row("asst-cannot-edit-core-note", "PRODUCT", "Assistant can: view and copy the core note",
        "assistant", A.EDIT, "colleague_note", DENY, "default-deny"),
    row("asst-adds-context", "000", "Add context to an existing session",
        "assistant", A.CREATE, "colleague_context", ALLOW, "role:assistant"),
    row("asst-adds-patient-details", "000", "Create new sessions for clinicians and add patient details",
        "assistant", A.EDIT, "unassigned_patient", ALLOW, "role:assistant"),
    row("asst-creates-referral-letter", "000", "Create downstream documents such as referral letters",
        "assistant", A.CREATE, "colleague_document", ALLOW, "role:assistant"),
    row("asst-edits-own-document", "000", "create downstream documents such as ... patient explainers",
        "assistant", A.EDIT, "my_document_on_colleague_session", ALLOW, "role:assistant"),
    row("asst-views-team-session", "000", "View and help with team members' sessions and documents",
        "assistant", A.READ, "colleague_session", ALLOW, "role:assistant"),
    row("asst-cannot-view-other-team-session", "000", "View and help with team members' sessions",
        "assistant", A.READ, "other_team_session", DENY, "default-deny"),
    row("asst-views-session-they-created-elsewhere", "PRODUCT", "Assistant can: create sessions *for* clinicians",
        "assistant", A.READ, "session_i_created_in_other_team", ALLOW, "role:assistant"),
    row("asst-messages-patient", "002", "Support roles ... can message clients",
        "assistant", A.CREATE, "team_patient_message", ALLOW, "role:assistant"),
    row("asst-books-for-clinician", "002", "view and book sessions for other team members",
        "assistant", A.CREATE, "colleague_appointment", ALLOW, "role:assistant"),
    row("asst-views-org-calendar", "002", "Support seats are able to ... view the Organization Calendar.",
        "assistant", A.READ, "other_team_appointment", ALLOW, "role:assistant"),
    row("asst-cannot-have-own-calendar", "002", "Support roles cannot ... have a calendar",
        "assistant", A.CREATE, "own_appointment", DENY, "forbid:support-seat",
        where={"attrs": {"owner_seat": "support"}}),
    row("asst-cannot-have-own-video-room", "002", "Support roles cannot ... have their own Zoom",
        "assistant", A.CREATE, "new_personal_room", DENY, "forbid:support-seat",
        where={"attrs": {"owner_seat": "support"}}),
    row("asst-cannot-manage-members", "PRODUCT", "Only Owners and Administrators invite members",
        "assistant", A.INVITE, "new_member", DENY, "default-deny", where={"attrs": {"new_rank": 30}}),

    # --- Template Manager ------------------------------------------------------------------------------
    row("tm-creates-team-template", "000", "Create, edit, and delete personal and team templates",
        "template_manager", A.CREATE, "own_team_template", ALLOW, "role:template_manager"),
    row("tm-edits-team-template", "000", "Create, edit, and delete personal and team templates",
        "template_manager", A.EDIT, "team_template", ALLOW, "role:template_manager"),
    row("tm-deletes-team-template", "000", "Create, edit, and delete personal and team templates",
        "template_manager", A.DELETE, "other_team_template", ALLOW, "role:template_manager"),
    row("tm-creates-personal-template", "000", "Create, edit, and delete personal and team templates",
        "template_manager", A.CREATE, "own_personal_template", ALLOW, "role:template_manager"),
    row("tm-shares-team-template-with-teams", "000", "Share templates with specific teams",
        "template_manager", A.SHARE, "team_template", ALLOW, "role:template_manager"),
    row("tm-shares-own-personal-template", "000", "Share templates with specific teams",
        "template_manager", A.SHARE, "own_personal_template", ALLOW, "role:template_manager"),
    row("tm-publishes-org-wide", "000", "Publish templates org-wide",
        "template_manager", A.PUBLISH, "team_template", ALLOW, "role:template_manager"),
    row("tm-cannot-touch-colleague-personal-template", "PRODUCT", "Clinician can: own personal templates",
        "template_manager", A.EDIT, "colleague_personal_template", DENY, "default-deny"),
    row("tm-lists-teams", "000", "View which teams exist within the organisation",
        "template_manager", A.READ, "team", ALLOW, "role:template_manager"),
    row("tm-cannot-read-patient", "000", "Cannot access patient data, sessions, notes, or recordings.",
        "template_manager", A.READ, "assigned_patient", DENY, "default-deny"),
    row("tm-cannot-read-session", "000", "Cannot access patient data, sessions, notes, or recordings.",
        "template_manager", A.READ, "colleague_session", DENY, "default-deny"),
    row("tm-cannot-read-note", "000", "Cannot access patient data, sessions, notes, or recordings.",
        "template_manager", A.READ, "own_note", DENY, "default-deny"),
    row("tm-cannot-record", "000", "Cannot access ... recordings.",
        "template_manager", A.RECORD, "own_session", DENY, "default-deny"),
    row("tm-cannot-manage-subscription", "000", "Manage billing or subscriptions",
        "template_manager", A.READ, "subscription", DENY, "default-deny"),
    row("tm-cannot-read-invoices", "000", "Cannot manage billing",
        "template_manager", A.READ, "invoice", DENY, "default-deny"),
    row("tm-cannot-change-roles", "000", "Assign or change roles for other users",
        "template_manager", A.CHANGE_ROLE, "other_team_member", DENY, "default-deny",
        where={"attrs": {"rank": 30, "new_rank": 30}}),
    row("tm-cannot-edit-roles", "000", "Assign or change roles for other users",
        "template_manager", A.EDIT, "roles", DENY, "default-deny"),
    row("tm-cannot-read-analytics", "000", "Access the analytics dashboard",
        "template_manager", A.READ, "analytics", DENY, "default-deny"),
    row("tm-view-share-not-honoured", "000", "Template Managers do not appear in session-sharing settings",
        "template_manager", A.READ, "colleague_session", DENY, "default-deny", where={"share": "view"}),
    row("tm-full-share-not-honoured", "PRODUCT", "Shares reach anyone in the organisation ... never a Template Manager",
        "template_manager", A.READ, "colleague_note", DENY, "default-deny", where={"share": "full"}),
    row("tm-chosen-for-visibility-still-no-sessions", "000", "Template Managers do not appear in session-sharing "
        "settings, as they do not have access to sessions.", "template_manager", A.READ, "colleague_session", DENY,
        "default-deny", settings={**VISIBILITY_ON, "visibility_roles": ("administrator", "template_manager")}),
    row("tm-switched-off", "000", "The Template Manager role may not be enabled for your workspace.",
        "template_manager", A.CREATE, "own_team_template", DENY, "default-deny", settings=TM_OFF,
        also="setting", says="switched off"),

    # --- Manager ---------------------------------------------------------------------------------------
    row("mgr-reads-any-patient", "003", "Manager - Can view all patient records",
        "manager", A.READ, "other_team_patient", ALLOW, "role:manager"),
    row("mgr-reads-records", "PRODUCT", "Manager can: view all patients and records",
        "manager", A.READ, "other_team_note", ALLOW, "role:manager"),
    row("mgr-cannot-edit-records", "PRODUCT", "Manager can: view all patients and records",
        "manager", A.EDIT, "colleague_note", DENY, "default-deny"),
    row("mgr-schedules", "003", "Can create appointments and manage scheduling",
        "manager", A.CREATE, "other_team_appointment", ALLOW, "role:manager"),
    row("mgr-processes-payment", "003", "Can process payments",
        "manager", A.PROCESS, "payment", ALLOW, "role:manager"),
    row("mgr-approves-staff-time", "003", "Can manage staff time tracking",
        "manager", A.APPROVE, "time_entry", ALLOW, "role:manager"),
    row("mgr-cannot-approve-own-time", "PRODUCT", "the person who approves ... is not the person who asked for it",
        "manager", A.APPROVE, "time_entry", DENY, "forbid:separation-of-duties",
        where={"attrs": {"requested_by": "me"}}),
    row("mgr-cannot-delete-staff", "003", "Cannot delete staff or change roles",
        "manager", A.DELETE, "clinician_member", DENY, "default-deny"),
    row("mgr-cannot-change-roles", "003", "Cannot delete staff or change roles",
        "manager", A.CHANGE_ROLE, "clinician_member", DENY, "default-deny", where={"attrs": {"new_rank": 30}}),
    row("mgr-cannot-invite", "PRODUCT", "Only Owners and Administrators invite members",
        "manager", A.INVITE, "new_member", DENY, "default-deny", where={"attrs": {"new_rank": 30}}),

    # --- Front Desk ------------------------------------------------------------------------------------
    row("fd-checks-in-patient", "003", "Front Desk - Can check in patients",
        "front_desk", A.CHECK_IN, "colleague_appointment", ALLOW, "role:front_desk"),
    row("fd-schedules", "003", "Can schedule and reschedule appointments",
        "front_desk", A.CREATE, "other_team_appointment", ALLOW, "role:front_desk"),
    row("fd-reschedules", "003", "Can schedule and reschedule appointments",
        "front_desk", A.EDIT, "colleague_appointment", ALLOW, "role:front_desk"),
    row("fd-cannot-book-on-support-seat-calendar", "002", "Support roles cannot ... have a calendar",
        "front_desk", A.CREATE, "colleague_appointment", DENY, "forbid:support-seat",
        where={"attrs": {"owner_seat": "support"}}),
    row("fd-sees-contact-details-only", "003", "Can view patient contact info / Hide sensitive fields (SSN, insurance)",
        "front_desk", A.READ, "unassigned_patient", ALLOW, "role:front_desk", hidden=SENSITIVE),
    row("fd-cannot-read-session", "003", "Cannot view medical records or billing",
        "front_desk", A.READ, "colleague_session", DENY, "default-deny"),
    row("fd-cannot-read-note", "003", "Cannot view medical records or billing",
        "front_desk", A.READ, "colleague_note", DENY, "default-deny"),
    row("fd-cannot-read-invoice", "003", "Cannot view medical records or billing",
        "front_desk", A.READ, "invoice", DENY, "default-deny"),
    row("fd-cannot-modify-patient", "003", "Cannot delete or modify patient data",
        "front_desk", A.EDIT, "unassigned_patient", DENY, "default-deny"),
    row("fd-cannot-delete-patient", "003", "Cannot delete or modify patient data",
        "front_desk", A.DELETE, "unassigned_patient", DENY, "default-deny"),
    row("fd-cannot-export-patients", "003", "Receptionists don't need billing access (least privilege)",
        "front_desk", A.EXPORT, "unassigned_patient", DENY, "default-deny"),

    # --- Billing ---------------------------------------------------------------------------------------
    row("bill-reads-patient-without-clinical-summary", "003", "Billing staff don't need clinical notes",
        "billing", A.READ, "other_team_patient", ALLOW, "role:billing", hidden={"clinical_summary"}),
    row("bill-creates-charge", "003", "Billing - Can create charges and invoices",
        "billing", A.CREATE, "charge", ALLOW, "role:billing"),
    row("bill-creates-invoice", "003", "Billing - Can create charges and invoices",
        "billing", A.CREATE, "invoice", ALLOW, "role:billing"),
    row("bill-processes-payment", "003", "Can process payments",
        "billing", A.PROCESS, "payment", ALLOW, "role:billing"),
    row("bill-generates-billing-report", "003", "Can generate billing reports",
        "billing", A.CREATE, "billing_report", ALLOW, "role:billing"),
    row("bill-cannot-read-clinical-report", "003", "Cannot access clinical records",
        "billing", A.READ, "clinical_report", DENY, "default-deny"),
    row("bill-report-of-unknown-kind-denied", "PRODUCT", "Billing can: ... billing reports",
        "billing", A.READ, "report_of_no_kind", DENY, "default-deny"),
    row("bill-cannot-read-session", "003", "Cannot access clinical records or scheduling",
        "billing", A.READ, "colleague_session", DENY, "default-deny"),
    row("bill-cannot-read-transcript", "003", "Cannot access clinical records or scheduling",
        "billing", A.READ, "colleague_transcript", DENY, "default-deny"),
    row("bill-cannot-schedule", "003", "Cannot access clinical records or scheduling",
        "billing", A.READ, "colleague_appointment", DENY, "default-deny"),
    row("bill-approves-refund-of-another", "003", "One person approves refunds",
        "billing", A.APPROVE, "refund", ALLOW, "role:billing"),
    row("bill-cannot-approve-own-refund", "PRODUCT", "the person who approves a refund ... is not the person who "
        "asked for it", "billing", A.APPROVE, "refund", DENY, "forbid:separation-of-duties",
        where={"attrs": {"requested_by": "me"}}),
    row("bill-cannot-approve-own-charge", "003", "Separation of Duties: Split sensitive tasks",
        "billing", A.APPROVE, "charge", DENY, "forbid:separation-of-duties",
        where={"attrs": {"requested_by": "me"}}),
    row("bill-cannot-process-refund-they-approved", "003", "One person approves refunds - Different person "
        "processes refund", "billing", A.PROCESS, "refund", DENY, "forbid:separation-of-duties",
        where={"attrs": {"approved_by": "me"}}),
    row("junior-biller-approves-under-500", "003", "Conditional permissions - 'Can approve charges only if < $500'",
        JUNIOR_BILLER, A.APPROVE, "charge", ALLOW, "role:junior_biller", where={"attrs": {"amount": 499}}),
    row("junior-biller-cannot-approve-500", "003", "Conditional permissions - 'Can approve charges only if < $500'",
        JUNIOR_BILLER, A.APPROVE, "charge", DENY, "default-deny", where={"attrs": {"amount": 500}},
        says="amount < 500"),
    row("junior-biller-keeps-billing-rest", "003", "Permission inheritance - Custom roles inherit and override",
        JUNIOR_BILLER, A.PROCESS, "payment", ALLOW, "role:junior_biller"),

    # --- Inventory -------------------------------------------------------------------------------------
    row("inv-manages-products", "003", "Inventory - Can view and manage products/inventory",
        "inventory", A.EDIT, "stock_item", ALLOW, "role:inventory"),
    row("inv-creates-order", "003", "Can create orders",
        "inventory", A.ORDER, "stock_item", ALLOW, "role:inventory"),
    row("inv-tracks-stock", "003", "Can track stock",
        "inventory", A.READ, "stock_item", ALLOW, "role:inventory"),
    row("inv-cannot-read-session", "003", "Cannot access clinical or billing",
        "inventory", A.READ, "colleague_session", DENY, "default-deny"),
    row("inv-cannot-read-invoice", "003", "Cannot access clinical or billing",
        "inventory", A.READ, "invoice", DENY, "default-deny"),
    row("inv-cannot-read-patient", "PRODUCT", "Inventory cannot: clinical or billing data",
        "inventory", A.READ, "unassigned_patient", DENY, "default-deny"),

    # --- Call Center -----------------------------------------------------------------------------------
    row("cc-manages-incoming-calls", "003", "Call Center - Can manage incoming calls",
        "call_center", A.EDIT, "incoming_call", ALLOW, "role:call_center"),
    row("cc-reads-ai-transcription", "003", "Can view AI transcriptions",
        "call_center", A.READ, "call_transcription", ALLOW, "role:call_center"),
    row("cc-cannot-read-patient", "003", "Cannot access patient records directly",
        "call_center", A.READ, "unassigned_patient", DENY, "default-deny"),
    row("cc-cannot-read-clinical-transcript", "003", "Cannot access patient records directly",
        "call_center", A.READ, "colleague_transcript", DENY, "default-deny"),
    row("cc-reads-assigned-task", "003", "Limited to assigned tasks",
        "call_center", A.READ, "assigned_task", ALLOW, "role:call_center"),
    row("cc-cannot-read-unassigned-task", "003", "Limited to assigned tasks",
        "call_center", A.READ, "unassigned_task", DENY, "default-deny"),

    # --- Combinations ----------------------------------------------------------------------------------
    row("clin+admin-invites", "000", "både behandler og administrator - har fullstendig tilgang til begge roller.",
        ("clinician", "administrator"), A.INVITE, "new_member", ALLOW, "role:administrator"),
    row("clin+admin-owns-clinical-work", "001", "Both Clinician & Administrator - Has full access to both roles.",
        ("clinician", "administrator"), A.DELETE, "own_transcript", ALLOW, "role:"),
    row("clin+admin-reads-colleague-session", "001", "If you have a clinician who requires Admin permissions, then "
        "add them to both roles.", ("clinician", "administrator"), A.READ, "colleague_session", ALLOW,
        "setting:session_visibility", settings=VISIBILITY_ON),
    row("clin+admin-cannot-edit-colleague-transcript", "001", "cannot edit transcripts",
        ("clinician", "administrator"), A.EDIT, "colleague_transcript", DENY, "default-deny",
        settings=VISIBILITY_ON),
    row("clin+tm-publishes", "000", "Clinician + Template Manager",
        ("clinician", "template_manager"), A.PUBLISH, "team_template", ALLOW, "role:template_manager"),
    row("clin+tm-owns-sessions", "000", "hold both the Clinician and Template Manager roles simultaneously",
        ("clinician", "template_manager"), A.DELETE, "own_session", ALLOW, "role:clinician"),
    row("clin+tm-receives-share", "PRODUCT", "Shares reach anyone ... never a Template Manager (only one)",
        ("clinician", "template_manager"), A.READ, "colleague_session", ALLOW, "grant:share:",
        where={"share": "view"}),
    row("clin+tm-switched-off-keeps-clinician", "000", "The Template Manager role may not be enabled",
        ("clinician", "template_manager"), A.EDIT, "own_session", ALLOW, "role:clinician", settings=TM_OFF),
    row("clin+tm-switched-off-cannot-publish", "000", "The Template Manager role may not be enabled",
        ("clinician", "template_manager"), A.PUBLISH, "team_template", DENY, "default-deny", settings=TM_OFF,
        also="setting"),
    row("clin+tm-switched-off-cannot-edit-own-team-template", "000", "Cannot modify team templates",
        ("clinician", "template_manager"), A.EDIT, "own_team_template", DENY, "default-deny", settings=TM_OFF),
    row("fd+clin-assigned-patient-hides-nothing", "003", "Check if provider and patient is assigned",
        ("front_desk", "clinician"), A.READ, "assigned_patient", ALLOW, "role:clinician"),
    row("fd+clin-unassigned-patient-hides-sensitive", "003", "Hide sensitive fields (SSN, insurance)",
        ("front_desk", "clinician"), A.READ, "unassigned_patient", ALLOW, "role:front_desk", hidden=SENSITIVE),
    row("fd+billing-sees-what-either-sees", "003", "Field-level permissions - Hide sensitive fields",
        ("front_desk", "billing"), A.READ, "unassigned_patient", ALLOW, "role:", hidden={"clinical_summary"}),

    # --- Shares ----------------------------------------------------------------------------------------
    row("share-view-reads-session", "000", "View — read-only access to the session and its contents",
        "clinician", A.READ, "colleague_session", ALLOW, "grant:share:", where={"share": "view"}),
    row("share-view-reads-transcript", "000", "View — read-only access to the session and its contents",
        "clinician", A.READ, "colleague_transcript", ALLOW, "grant:share:", where={"share": "view"}),
    row("share-view-cannot-edit-note", "000", "View — read-only access",
        "clinician", A.EDIT, "colleague_note", DENY, "default-deny", where={"share": "view"}),
    row("share-edit-updates-status", "000", "Edit — edit notes, update session status",
        "clinician", A.EDIT, "colleague_session", ALLOW, "grant:share:", where={"share": "edit"}),
    row("share-edit-adds-document", "000", "Edit — ... add documents",
        "clinician", A.CREATE, "colleague_document", ALLOW, "grant:share:", where={"share": "edit"}),
    row("share-edit-edits-context", "000", "Edit — ... edit context",
        "clinician", A.EDIT, "colleague_context", ALLOW, "grant:share:", where={"share": "edit"}),
    row("share-edit-manages-patient-profile", "000", "Edit — ... and manage patient profiles",
        "clinician", A.EDIT, "unassigned_patient", ALLOW, "grant:share:", where={"share": "edit"}),
    row("share-edit-cannot-share-onwards", "000", "Full access — everything in Edit, plus ... share onwards",
        "clinician", A.SHARE, "colleague_session", DENY, "default-deny", where={"share": "edit"}),
    row("share-edit-cannot-record", "PRODUCT", "edit = edit notes, status, documents, context, patient profile",
        "clinician", A.RECORD, "colleague_session", DENY, "default-deny", where={"share": "edit"}),
    row("share-full-shares-onwards", "000", "the ability to share the session onwards to other colleagues",
        "clinician", A.SHARE, "colleague_session", ALLOW, "grant:share:", where={"share": "full"}),
    row("share-full-cannot-delete", "000", "Only the session owner can delete a session.",
        "clinician", A.DELETE, "colleague_session", DENY, "forbid:only-owner-deletes", where={"share": "full"}),
    row("share-session-owner-changes-access", "PRODUCT", "Owner or full holders change or remove access.",
        "clinician", A.SHARE, "own_session", ALLOW, "role:clinician"),
    row("share-reaches-other-teams", "000", "You can share with anyone in your organisation, including people on "
        "other teams.", "clinician", A.READ, "other_team_note", ALLOW, "grant:share:", where={"share": "view"}),
    row("share-reaches-assistant", "PRODUCT", "Shares reach anyone in the organisation, on any team",
        "assistant", A.EDIT, "other_team_note", ALLOW, "grant:share:", where={"share": "edit"}),
    row("share-adds-to-visibility", "000", "Sharing is additive - it does not replace your existing team visibility",
        "administrator", A.EDIT, "colleague_note", ALLOW, "grant:share:", settings=VISIBILITY_ON,
        where={"share": "edit"}),
    row("share-until-later-honoured", "PRODUCT", "temporary grants ... Grants add access",
        "clinician", A.READ, "colleague_session", ALLOW, "grant:share:",
        where={"share": "view", "share_until": timedelta(hours=1)}),
    row("share-expired", "PRODUCT", "time-limited access; A change of ... share ... takes effect on the very next "
        "request", "clinician", A.READ, "colleague_session", DENY, "default-deny",
        where={"share": "view", "share_until": timedelta(0)}),
    row("share-never-crosses-organisations", "PRODUCT", "Sharing works across teams ..., never across organisations",
        "clinician", A.READ, "colleague_session", DENY, "forbid:cross-org",
        where={"share": "full", "org": "org-b"}),

    # --- Time-bound and emergency grants ---------------------------------------------------------------
    row("break-glass-reads-patient", "003", "Break-glass access - One-time emergency account unlock (fully audited)",
        "clinician", A.READ, "other_team_patient", ALLOW, "grant:break_glass:",
        where={"grant": GrantKind.BREAK_GLASS, "grant_until": timedelta(hours=4)}),
    row("break-glass-lapses", "PRODUCT", "gets time-limited access to one patient's records",
        "clinician", A.READ, "other_team_patient", DENY, "default-deny",
        where={"grant": GrantKind.BREAK_GLASS, "grant_until": timedelta(minutes=-1)}),
    row("break-glass-reads-records", "PRODUCT", "gets time-limited access to one patient's records",
        "clinician", A.READ, "other_team_note", ALLOW, "grant:break_glass:",
        where={"grant": GrantKind.BREAK_GLASS, "grant_until": timedelta(hours=4)}),
    row("break-glass-only-reads", "PRODUCT", "gets time-limited access to one patient's records (to read them)",
        "clinician", A.EDIT, "other_team_note", DENY, "default-deny",
        where={"grant": GrantKind.BREAK_GLASS, "grant_until": timedelta(hours=4)}),
    row("break-glass-never-makes-front-desk-a-reader", "PRODUCT", "Front Desk cannot: medical records",
        "front_desk", A.READ, "other_team_note", DENY, "default-deny",
        where={"grant": GrantKind.BREAK_GLASS, "grant_until": timedelta(hours=4)}),
    row("break-glass-keeps-fields-the-role-hides", "PRODUCT", "Front Desk: view patient contact details",
        "front_desk", A.READ, "other_team_patient", ALLOW, "grant:break_glass:", hidden=SENSITIVE,
        where={"grant": GrantKind.BREAK_GLASS, "grant_until": timedelta(hours=4)}),
    row("break-glass-declared-by-clinician", "PRODUCT", "break-glass: a member declares an emergency and a reason",
        "clinician", A.BREAK_GLASS, "other_team_patient", ALLOW, "role:clinician"),
    row("break-glass-declared-by-administrator", "PRODUCT", "break-glass: a member declares an emergency",
        "administrator", A.BREAK_GLASS, "other_team_patient", ALLOW, "role:administrator"),
    row("break-glass-declared-by-owner", "PRODUCT", "Owner: everything",
        "owner", A.BREAK_GLASS, "other_team_patient", ALLOW, "role:owner"),
    *[row(f"break-glass-not-declared-by-{role}", "PRODUCT", f"{label} cannot: {what}",
          role, A.BREAK_GLASS, "other_team_patient", DENY, "default-deny")
      for role, label, what in (("assistant", "Assistant", "own a session or create one for themselves"),
                                ("front_desk", "Front Desk", "medical records"),
                                ("billing", "Billing", "clinical records"),
                                ("template_manager", "Template Manager", "any patient data"),
                                ("call_center", "Call Center", "patient records"),
                                ("inventory", "Inventory", "clinical or billing data"),
                                ("manager", "Manager", "(views all patients and records already)"))],
    row("break-glass-reviewed-by-administrator", "PRODUCT", "a different person reviews it afterwards",
        "administrator", A.REVIEW, "colleague_break_glass", ALLOW, "role:administrator"),
    row("break-glass-reviewed-by-owner", "PRODUCT", "a different person reviews it afterwards",
        "owner", A.REVIEW, "colleague_break_glass", ALLOW, "role:owner"),
    row("break-glass-not-reviewed-by-clinician", "PRODUCT", "compliance officers: audit trail, exports, access "
        "reviews", "clinician", A.REVIEW, "colleague_break_glass", DENY, "default-deny"),
    row("break-glass-not-reviewed-by-its-declarer", "PRODUCT", "the person who approves ... a break-glass review is "
        "not the person who asked for it", "owner", A.REVIEW, "colleague_break_glass", DENY,
        "forbid:separation-of-duties", where={"owner": "me", "attrs": {"requested_by": "me"}}),
    row("access-request-asked-by-clinician", "PRODUCT", "just-in-time access requests with approval chains",
        "clinician", A.REQUEST, "other_team_patient", ALLOW, "role:clinician"),
    row("access-request-asked-by-assistant", "PRODUCT", "just-in-time access requests",
        "assistant", A.REQUEST, "other_team_patient", ALLOW, "role:assistant"),
    row("access-request-not-asked-by-front-desk", "PRODUCT", "Front Desk cannot: medical records",
        "front_desk", A.REQUEST, "other_team_patient", DENY, "default-deny"),
    row("access-request-approved-by-administrator", "PRODUCT", "Administrator: manage team, members",
        "administrator", A.APPROVE, "other_team_patient", ALLOW, "role:administrator",
        where={"attrs": {"requested_by": "stranger"}}),
    row("access-request-not-approved-by-clinician", "PRODUCT", "Clinician cannot: membership",
        "clinician", A.APPROVE, "other_team_patient", DENY, "default-deny",
        where={"attrs": {"requested_by": "stranger"}}),
    row("access-request-not-approved-by-its-asker", "PRODUCT", "the person who approves ... a just-in-time access "
        "request ... is not the person who asked for it", "owner", A.APPROVE, "other_team_patient", DENY,
        "forbid:separation-of-duties", where={"attrs": {"requested_by": "me"}}),
    row("access-review-by-administrator", "PRODUCT", "scheduled access reviews in which a reviewer certifies or "
        "revokes each member's access", "administrator", A.REVIEW, "clinician_member", ALLOW, "role:administrator"),
    row("access-review-by-owner", "PRODUCT", "a reviewer certifies or revokes each member's access",
        "owner", A.REVIEW, "owner_member", ALLOW, "role:owner"),
    row("access-review-not-by-clinician", "PRODUCT", "Clinician cannot: membership",
        "clinician", A.REVIEW, "clinician_member", DENY, "default-deny"),
    row("access-review-not-by-manager", "PRODUCT", "Manager cannot: delete staff, change roles",
        "manager", A.REVIEW, "clinician_member", DENY, "default-deny"),
    row("access-review-not-of-own-access", "PRODUCT", "Separation of duties: the person who approves ... is not the "
        "person who asked for it", "owner", A.REVIEW, "myself", DENY, "forbid:own-access-review",
        where={"attrs": {"rank": 100, "is_owner": True}}, says="nobody reviews their own access"),
    row("delegation-by-manager", "003", "Temporary delegation - 'Acting Manager' role for coverage",
        "manager", A.DELEGATE, "clinician_member", ALLOW, "role:manager"),
    row("delegation-by-administrator", "003", "Temporary delegation - 'Acting Manager' role for coverage",
        "administrator", A.DELEGATE, "clinician_member", ALLOW, "role:administrator"),
    row("delegation-not-by-clinician", "PRODUCT", "Clinician cannot: membership",
        "clinician", A.DELEGATE, "clinician_member", DENY, "default-deny"),
    row("delegation-never-to-oneself", "PRODUCT", "nobody changes their own roles or seat type",
        "manager", A.DELEGATE, "myself", DENY, "forbid:own-roles"),
    row("temporary-grant-reads-patient", "003", "Permission escalation - Temporarily grant higher permissions",
        "front_desk", A.READ, "unassigned_patient", ALLOW, "grant:temporary:",
        where={"grant": GrantKind.TEMPORARY, "grant_until": timedelta(days=1)}),
    row("delegation-acting-manager-approves", "003", "Temporary delegation - 'Acting Manager' role for coverage",
        "clinician", A.APPROVE, "time_entry", ALLOW, "grant:delegation:",
        where={"grant": GrantKind.DELEGATION, "grant_until": timedelta(days=7)}),
    row("delegation-does-not-bypass-separation", "PRODUCT", "the person who approves ... is not the person who "
        "asked for it", "clinician", A.APPROVE, "time_entry", DENY, "forbid:separation-of-duties",
        where={"grant": GrantKind.DELEGATION, "attrs": {"requested_by": "me"}}),

    # --- Member status and organisations ---------------------------------------------------------------
    row("invited-member-refused", "003", "System sends activation email - User clicks link - Account activated",
        "clinician", A.READ, "own_session", DENY, "status:invited", who={"status": "invited"}),
    row("disabled-member-refused", "003", "Disable User - User can no longer log in",
        "clinician", A.READ, "own_session", DENY, "status:disabled", who={"status": "disabled"}),
    row("archived-member-refused", "004", "Remove, archive, and restore users",
        "administrator", A.READ, "settings", DENY, "status:archived", who={"status": "archived"}),
    row("disabled-owner-refused", "PRODUCT", "Disable keeps all data and blocks login",
        "owner", A.READ, "organisation", DENY, "status:disabled", who={"status": "disabled"}),
    row("owner-of-other-org-refused", "PRODUCT", "never across organisations",
        "owner", A.READ, "other_team_patient", DENY, "forbid:cross-org", where={"org": "org-b"}),
    row("admin-cannot-invite-into-other-org", "PRODUCT", "Sharing works across teams of the same organisation, never "
        "across organisations", "administrator", A.INVITE, "new_member", DENY, "forbid:cross-org",
        where={"org": "org-b"}),

    # --- Team- and location-limited, expiring role assignments ------------------------------------------
    row("team-admin-manages-own-team", "000", "This role needs to be assigned by either a Team or Organisation Admin.",
        {"role": "administrator", "team_id": "t1"}, A.INVITE, "new_member", ALLOW, "role:administrator"),
    row("team-admin-not-other-team", "000", "assigned by either a Team or Organisation Admin",
        {"role": "administrator", "team_id": "t1"}, A.DISABLE, "other_team_member", DENY, "default-deny"),
    row("location-manager-reads-patient-below", "003", "Location Managers per facility",
        {"role": "manager", **NORTH}, A.READ, "unassigned_patient", ALLOW, "role:manager",
        where={"locations": ("north-clinic",)}, who={"locations": ("north", "north-clinic")}),
    row("location-manager-not-other-location", "003", "Location hierarchy - Location managers report to regional",
        {"role": "manager", **NORTH}, A.READ, "unassigned_patient", DENY, "default-deny",
        where={"locations": ("south",)}, who={"locations": ("north", "north-clinic")}),
    row("different-roles-per-location-manager-side", "003", "Different roles per location possible",
        ({"role": "front_desk", **NORTH}, {"role": "manager", **SOUTH}), A.READ, "unassigned_patient", ALLOW,
        "role:manager", where={"locations": ("south",)}, who={"locations": ("north", "north-clinic", "south")}),
    row("different-roles-per-location-front-desk-side", "003", "Different roles per location possible",
        ({"role": "front_desk", **NORTH}, {"role": "manager", **SOUTH}), A.READ, "unassigned_patient", ALLOW,
        "role:front_desk", hidden=SENSITIVE, where={"locations": ("north-clinic",)},
        who={"locations": ("north", "north-clinic", "south")}),
    row("front-desk-by-location", "003", "Front Desk by location",
        {"role": "front_desk", **NORTH}, A.CHECK_IN, "colleague_appointment", DENY, "default-deny",
        where={"locations": ("south",)}),
    row("expiring-role-before-date", "003", "Expiring roles - Role automatically revokes on specified date",
        {"role": "administrator", "expires_in": timedelta(days=1)}, A.EDIT, "settings", ALLOW,
        "role:administrator"),
    row("expiring-role-on-date", "003", "Expiring roles - Role automatically revokes on specified date",
        {"role": "administrator", "expires_in": timedelta(0)}, A.EDIT, "settings", DENY, "default-deny"),
    row("contractor-role-lapsed", "003", "Temporary user access - Contractor account active for 3 months only",
        ("clinician", {"role": "billing", "expires_in": timedelta(days=-90)}), A.READ, "invoice", DENY,
        "default-deny"),

    # --- API keys --------------------------------------------------------------------------------------
    row("api-key-reads-reports", "003", "Scoped keys - Keys limited to specific features (e.g., read-only reports)",
        "billing", A.READ, "billing_report", ALLOW, "role:billing",
        who={"kind": "service", "api_scopes": ("reports:read",)}),
    row("api-key-cannot-export-reports", "003", "Scoped keys - ... (e.g., read-only reports)",
        "billing", A.EXPORT, "billing_report", DENY, "scope:api-key",
        who={"kind": "service", "api_scopes": ("reports:read",)}),
    row("api-key-cannot-read-invoices", "003", "Scoped keys - Keys limited to specific features",
        "billing", A.READ, "invoice", DENY, "scope:api-key",
        who={"kind": "service", "api_scopes": ("reports:read",)}),
    row("api-key-feature-wildcard", "003", "Scoped keys - Keys limited to specific features",
        "billing", A.EXPORT, "billing_report", ALLOW, "role:billing",
        who={"kind": "service", "api_scopes": ("reports:*",)}),
    row("api-key-never-widens-roles", "PRODUCT", "service accounts with API keys (... scoped ...)",
        "clinician", A.READ, "invoice", DENY, "default-deny", who={"kind": "service", "api_scopes": ("*:*",)}),
]


@pytest.mark.parametrize("row", ROWS)
def test_seed_sentence(row: Row, clinic: Any) -> None:
    subject = clinic.subject(row.roles, settings=row.settings, **row.who)
    resource = clinic.resource(row.situation, **row.where)
    decision = clinic.decide(subject, row.action, resource, **row.ctx)

    assert decision.reasons, "every decision carries at least one reason"
    first = decision.reasons[0]
    assert decision.allowed is row.allowed, f"{row.quote!r}: {decision.message}"
    assert first.code.startswith(row.reason), f"expected {row.reason!r}, got {first.code!r}: {decision.message}"
    assert first.kind is clinic.kind_of(row.reason)
    for code in row.also:
        assert any(r.code.startswith(code) for r in decision.reasons), decision.message
    if row.says is not None:
        assert row.says in decision.message
    expected_hidden = row.hidden if row.allowed else frozenset()
    assert decision.hidden_fields == expected_hidden


def _rows() -> list[Row]:
    return [p.values[0] for p in ROWS]


def test_table_is_large_and_ids_unique() -> None:
    ids = [r.id for r in _rows()]
    assert len(ids) >= 80
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]


def test_every_row_names_its_sentence() -> None:
    for r in _rows():
        assert r.source in SOURCES, r.id
        assert len(r.quote) >= 10, r.id


@pytest.mark.parametrize("role", sorted(BUILTIN_ROLES))
def test_every_builtin_role_has_rows_both_ways(role: str) -> None:
    mine = [r for r in _rows() if r.role_names() == {role}]
    assert any(r.allowed for r in mine), f"no 'can' row for {role}"
    assert any(not r.allowed for r in mine), f"no 'cannot' row for {role}"


@pytest.mark.parametrize("combo", [{"clinician", "administrator"}, {"clinician", "template_manager"}])
def test_combinations_have_rows(combo: set[str]) -> None:
    assert sum(1 for r in _rows() if r.role_names() == combo) >= 3
