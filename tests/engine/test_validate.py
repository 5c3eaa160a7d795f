"""Custom roles: validation before they are saved, inheritance and overrides, and their conditions in `decide`."""

from __future__ import annotations

from typing import Any

import pytest

from caregate.engine import (
    BUILTIN_ROLES,
    Action,
    Feature,
    PermissionIndex,
    Plan,
    PolicyError,
    Resource,
    RoleSpec,
    RoleValidationError,
    Scope,
    SeatType,
    resolve_roles,
    validate_role,
)
from caregate.engine.errors import EngineError
from caregate.engine.validate import overrides_to_data, parse_overrides

F, A = Feature, Action


@pytest.fixture
def owner(clinic: Any) -> PermissionIndex:
    return clinic.subject(["owner"]).index


@pytest.fixture
def admin(clinic: Any) -> PermissionIndex:
    return clinic.subject(["administrator"]).index


def problems_of(data: dict[str, Any], creator: PermissionIndex, *, key: str = "custom",
                existing: dict[str, RoleSpec] | None = None) -> list[str]:
    with pytest.raises(RoleValidationError) as caught:
        validate_role(data, key=key, existing=existing or {}, creator=creator)
    assert str(caught.value) == "; ".join(caught.value.problems)
    return caught.value.problems


def test_errors_form_one_tree() -> None:
    assert issubclass(RoleValidationError, PolicyError)
    assert issubclass(PolicyError, EngineError)


def test_a_valid_role_resolves_through_its_parent(owner: PermissionIndex) -> None:
    spec, role = validate_role(
        {"name": "Lead Therapist", "parent": "clinician", "rank": 55,
         "permissions": {"patients": {"read": "org", "edit": {"scope": "assigned"}},
                         "appointments": {"delete": "own"}}},
        key="lead_therapist", existing={}, creator=owner)
    assert spec.parent == "clinician"
    assert role.key == "lead_therapist"
    assert role.rank == 55
    assert role.lineage == ("clinician",)
    assert role.seat is SeatType.STANDARD
    assert not role.builtin
    perms = {(p.feature, p.action): p for p in role.permissions}
    assert perms[(F.PATIENTS, A.READ)].scope is Scope.ORG  # overridden
    assert perms[(F.APPOINTMENTS, A.DELETE)].scope is Scope.OWN  # added
    assert (F.SESSIONS, A.RECORD) in perms  # inherited
    assert (F.MEMBERS, A.INVITE) not in perms


def test_rank_defaults_to_the_parents(owner: PermissionIndex) -> None:
    _, role = validate_role({"name": "Senior Desk", "parent": "front_desk"}, key="sd", existing={}, creator=owner)
    assert role.rank == BUILTIN_ROLES["front_desk"].rank


@pytest.mark.parametrize(
    ("permissions", "problem"),
    [
        pytest.param({"xrays": {"read": "org"}}, "unknown feature 'xrays'", id="unknown-feature"),
        pytest.param({"patients": {"fly": "org"}}, "patients: unknown action 'fly' (known: ", id="unknown-action"),
        pytest.param({"templates": {"record": "own"}}, "templates: unknown action 'record' (known: create, delete, "
                     "edit, publish, read, share)", id="action-not-valid-for-feature"),
        pytest.param({"refunds": {"delete": "org"}}, "refunds: unknown action 'delete'", id="refunds-never-deleted"),
        pytest.param({"patients": {"read": "galaxy"}}, "patients:read: scope must be one of own, assigned, team, "
                     "location, org", id="bad-scope"),
        pytest.param({"patients": {"read": {"conditions": []}}}, "patients:read: scope must be one of",
                     id="missing-scope"),
        pytest.param({"patients": {"read": 5}}, "patients:read: give a scope such as 'own' or an object with 'scope'",
                     id="scope-not-text"),
        pytest.param({"patients": {"read": {"scope": "org", "colour": "red"}}}, "patients:read: unknown keys colour",
                     id="unknown-key"),
        pytest.param({"patients": ["read"]}, "patients: give an object of actions", id="actions-not-object"),
        pytest.param(["patients"], "permissions must be an object of features", id="permissions-not-object"),
        pytest.param({"patients": {"read": {"scope": "org", "hidden_fields": ["diagnosis"]}}},
                     "patients:read: hidden_fields must be a list of fields of patients", id="unknown-hidden-field"),
        pytest.param({"invoices": {"read": {"scope": "org", "hidden_fields": ["ssn"]}}},
                     "invoices:read: hidden_fields must be a list of fields of invoices (none)",
                     id="hidden-field-on-wrong-feature"),
        pytest.param({"charges": {"approve": {"scope": "org", "conditions": [
            {"type": "attr", "attr": "amount", "op": "lessthan", "value": 500}]}}},
            "charges:approve: attribute condition: 'op' must be one of lt, le, gt, ge, eq, ne, in, not_in",
            id="bad-condition"),
        pytest.param({"charges": {"approve": {"scope": "org", "conditions": {"type": "mfa_within"}}}},
                     "charges:approve: conditions must be a list of at most 10", id="conditions-not-list"),
    ],
)
def test_bad_permissions_are_named(owner: PermissionIndex, permissions: Any, problem: str) -> None:
    found = problems_of({"name": "Custom", "parent": None, "rank": 10, "permissions": permissions}, owner)
    assert any(problem in p for p in found), found


def test_every_problem_is_reported_at_once(owner: PermissionIndex) -> None:
    found = problems_of({"name": "", "parent": "ghost", "rank": 0, "description": 7,
                         "permissions": {"xrays": {"read": "org"}, "patients": {"read": "galaxy"}}}, owner)
    assert len(found) == 6, found


@pytest.mark.parametrize("rank", [0, 101, -5, True, "50", 2.5])
def test_rank_must_be_a_whole_number_in_range(owner: PermissionIndex, rank: object) -> None:
    assert problems_of({"name": "Custom", "rank": rank}, owner) == ["rank must be a whole number from 1 to 100"]


def test_rank_above_the_creator_is_refused(admin: PermissionIndex) -> None:
    found = problems_of({"name": "Deputy", "parent": "clinician", "rank": 90}, admin)
    assert found == ["rank 90 is above your own (80); you can only create roles at your level or below"]


def test_rank_at_the_creators_level_is_accepted(admin: PermissionIndex) -> None:
    _, role = validate_role({"name": "Deputy", "parent": "clinician", "rank": 80}, key="d", existing={},
                            creator=admin)
    assert role.rank == 80


def test_permissions_broader_than_the_creator_holds_are_refused(admin: PermissionIndex) -> None:
    # an Administrator reads only the patients on their own care list
    found = problems_of({"name": "Records Clerk", "rank": 40, "permissions": {"patients": {"read": "org"}}}, admin)
    assert found == ["patients:read (org) is more than you hold yourself"]


def test_inherited_permissions_count_against_the_creator(admin: PermissionIndex) -> None:
    found = problems_of({"name": "Almost Owner", "parent": "owner", "rank": 80}, admin)
    assert "organisation:delete (org) is more than you hold yourself" in found
    assert "sessions:read (org) is more than you hold yourself" in found


def test_a_creator_may_give_what_they_hold_at_a_narrower_scope(admin: PermissionIndex) -> None:
    _, role = validate_role({"name": "Team Keys", "rank": 40, "permissions": {"api_keys": {"read": "team"}}},
                            key="k", existing={}, creator=admin)
    assert [(p.feature, p.action, p.scope) for p in role.permissions] == [(F.API_KEYS, A.READ, Scope.TEAM)]


def test_dropping_the_creators_conditions_is_broader(admin: PermissionIndex) -> None:
    problems_of({"name": "Template Janitor", "rank": 40, "permissions": {"templates": {"edit": "org"}}}, admin)


def test_a_cycle_is_refused(owner: PermissionIndex) -> None:
    existing = {"b": RoleSpec("b", "Role B", "a", 10)}
    found = problems_of({"name": "Role A", "parent": "b", "rank": 10}, owner, key="a", existing=existing)
    assert found == ["role inheritance has a cycle: a -> b -> a"]


def test_a_role_cannot_be_its_own_parent(owner: PermissionIndex) -> None:
    existing = {"a": RoleSpec("a", "Role A", None, 10)}
    found = problems_of({"name": "Role A", "parent": "a", "rank": 10}, owner, key="a", existing=existing)
    assert found == ["role inheritance has a cycle: a -> a"]


def test_an_unknown_parent_is_refused(owner: PermissionIndex) -> None:
    assert problems_of({"name": "Orphan", "parent": "ghost", "rank": 10}, owner) == [
        "parent role 'ghost' does not exist"]


@pytest.mark.parametrize("name", ["Owner", "front desk", "TEMPLATE MANAGER", "  Billing  "])
def test_a_name_clashing_with_a_builtin_role_is_refused(owner: PermissionIndex, name: str) -> None:
    found = problems_of({"name": name, "rank": 10}, owner)
    assert found == [f"a role called {name.strip()!r} already exists"]


def test_a_name_clashing_with_another_custom_role_is_refused(owner: PermissionIndex) -> None:
    existing = {"lead": RoleSpec("lead", "Lead Therapist", "clinician", 55)}
    assert problems_of({"name": "lead therapist", "rank": 10}, owner, existing=existing) == [
        "a role called 'lead therapist' already exists"]
    # editing the role itself keeps its name
    validate_role({"name": "Lead Therapist", "parent": "clinician", "rank": 55}, key="lead", existing=existing,
                  creator=owner)


@pytest.mark.parametrize("name", ["", "   ", "x" * 61, "<script>", 42, None])
def test_a_name_must_be_plain_text(owner: PermissionIndex, name: object) -> None:
    assert problems_of({"name": name, "rank": 10}, owner) == [
        "name must be 1 to 60 letters, digits, spaces or . ' & ( ) / -"]


def test_null_removes_what_the_parent_gives(clinic: Any, owner: PermissionIndex) -> None:
    _, role = validate_role(
        {"name": "Careful Clinician", "parent": "clinician", "rank": 50,
         "permissions": {"notes": {"delete": None}, "transcripts": {"delete": None}}},
        key="careful", existing={}, creator=owner)
    keys = {(p.feature, p.action) for p in role.permissions}
    assert (F.NOTES, A.DELETE) not in keys
    assert (F.TRANSCRIPTS, A.DELETE) not in keys
    assert (F.NOTES, A.EDIT) in keys
    member = clinic.subject([role])
    denied = clinic.decide(member, A.DELETE, clinic.resource("own_note"))
    assert not denied.allowed
    assert denied.reasons[0].code == "default-deny"
    assert clinic.decide(member, A.EDIT, clinic.resource("own_note")).reasons[0].code == "role:careful"


def test_charges_under_500_can_be_approved(clinic: Any, owner: PermissionIndex) -> None:
    _, role = validate_role(
        {"name": "Junior Biller", "parent": "billing", "rank": 30,
         "permissions": {"charges": {"approve": {"scope": "org", "conditions": [
             {"type": "attr", "attr": "amount", "op": "lt", "value": 500}]}}}},
        key="junior_biller", existing={}, creator=owner)
    member = clinic.subject([role])

    def approve(**attrs: Any) -> Any:
        return clinic.decide(member, A.APPROVE, clinic.resource("charge", attrs=attrs))

    assert approve(amount=499.99).allowed
    assert approve(amount=0).allowed
    refused = approve(amount=500)
    assert not refused.allowed
    assert "amount < 500" in refused.message
    assert not approve(amount=12_000).allowed
    assert not approve(amount="400").allowed  # text is not an amount
    assert not clinic.decide(member, A.APPROVE, clinic.resource("charge", attrs={"amount": None})).allowed
    assert approve(amount=100, requested_by="me").reasons[0].code == "forbid:separation-of-duties"


def test_charges_with_no_amount_are_not_approved(clinic: Any, owner: PermissionIndex) -> None:
    _, role = validate_role(
        {"name": "Junior Biller", "parent": "billing", "rank": 30,
         "permissions": {"charges": {"approve": {"scope": "org", "conditions": [
             {"type": "attr", "attr": "amount", "op": "lt", "value": 500}]}}}},
        key="junior_biller", existing={}, creator=owner)
    bare = Resource(F.CHARGES, "org-a", id="charge-1")
    decision = clinic.decide(clinic.subject([role]), A.APPROVE, bare)
    assert not decision.allowed
    assert decision.reasons[0].code == "default-deny"


def test_a_child_of_a_custom_role_inherits_both(owner: PermissionIndex) -> None:
    parent_spec, _ = validate_role(
        {"name": "Lead Therapist", "parent": "clinician", "rank": 55, "permissions": {"patients": {"read": "team"}}},
        key="lead", existing={}, creator=owner)
    _, child = validate_role(
        {"name": "Head Therapist", "parent": "lead", "rank": 60, "permissions": {"patients": {"export": None}}},
        key="head", existing={"lead": parent_spec}, creator=owner)
    perms = {(p.feature, p.action): p.scope for p in child.permissions}
    assert child.lineage == ("lead", "clinician")
    assert perms[(F.PATIENTS, A.READ)] is Scope.TEAM
    assert (F.PATIENTS, A.EXPORT) not in perms
    assert (F.SESSIONS, A.RECORD) in perms


def test_resolve_roles_keeps_the_builtins() -> None:
    roles = resolve_roles([RoleSpec("lead", "Lead", "clinician", 55)])
    assert set(BUILTIN_ROLES) <= set(roles)
    assert roles["lead"].lineage == ("clinician",)


def test_a_role_without_clinical_ownership_takes_a_support_seat(owner: PermissionIndex) -> None:
    _, clerk = validate_role({"name": "Clerk", "rank": 20, "permissions": {"appointments": {"read": "org"}}},
                             key="clerk", existing={}, creator=owner)
    _, doc = validate_role({"name": "Locum", "rank": 20, "permissions": {"sessions": {"create": "own"}}},
                           key="locum", existing={}, creator=owner)
    assert clerk.seat is SeatType.SUPPORT
    assert doc.seat is SeatType.STANDARD


def test_a_child_of_administrator_gets_team_visibility(clinic: Any, owner: PermissionIndex) -> None:
    _, lead = validate_role({"name": "Practice Lead", "parent": "administrator", "rank": 80}, key="practice_lead",
                            existing={}, creator=owner)
    member = clinic.subject([lead], settings={"plan": Plan.PRACTICE, "session_visibility": True})
    decision = clinic.decide(member, A.READ, clinic.resource("colleague_note"))
    assert decision.reasons[0].code == "setting:session_visibility"


def test_a_child_of_template_manager_is_switched_off_with_it(clinic: Any, owner: PermissionIndex) -> None:
    _, curator = validate_role({"name": "Template Curator", "parent": "template_manager", "rank": 40},
                               key="curator", existing={}, creator=owner)
    on = clinic.subject([curator])
    off = clinic.subject([curator], settings={"template_manager_enabled": False})
    assert clinic.decide(on, A.PUBLISH, clinic.resource("team_template")).allowed
    assert not clinic.decide(off, A.PUBLISH, clinic.resource("team_template")).allowed


def test_overrides_round_trip_through_data(owner: PermissionIndex) -> None:
    spec, _ = validate_role(
        {"name": "Lead Therapist", "parent": "clinician", "rank": 55,
         "permissions": {"patients": {"read": {"scope": "org", "hidden_fields": ["ssn"]}},
                         "notes": {"delete": None},
                         "charges": {"approve": [{"scope": "org", "conditions": [
                             {"type": "attr", "attr": "amount", "op": "lt", "value": 500},
                             {"type": "time_window", "days": ["mon"], "start": "09:00", "end": "17:00",
                              "timezone": "Europe/Oslo"}]}]}}},
        key="lead", existing={}, creator=owner)
    problems: list[str] = []
    assert parse_overrides(overrides_to_data(spec.overrides), problems) == dict(spec.overrides)
    assert problems == []
