"""Roles through the API: built-in and custom side by side, the matrix, custom role validation."""

from __future__ import annotations

import pytest

LEAD_THERAPIST = {
    "name": "Lead Therapist",
    "parent": "clinician",
    "rank": 55,
    "permissions": {
        "patients": {"read": "org", "create": "assigned", "edit": "assigned"},
        "appointments": {"read": "org", "create": "org", "edit": "org", "delete": "org"},
        "invoices": {"read": "org"},
        "notes": {"delete": None},
    },
}


def test_roles_list_and_matrix(client, world):
    org_id, owner = world.org()
    r = client.get(f"/v1/orgs/{org_id}/roles", headers=owner.headers)
    assert r.status_code == 200
    keys = {role["key"] for role in r.json()}
    assert keys == {"owner", "administrator", "clinician", "assistant", "template_manager", "manager", "front_desk",
                    "billing", "inventory", "call_center"}
    matrix = client.get(f"/v1/orgs/{org_id}/roles/matrix", headers=owner.headers).json()
    assert "record" in matrix["features"]["sessions"]
    by_key = {role["key"]: role for role in matrix["roles"]}
    assert by_key["clinician"]["permissions"]["sessions"]["delete"][0]["scope"] == "own"
    assert "record" not in by_key["assistant"]["permissions"].get("sessions", {})
    front = by_key["front_desk"]["permissions"]["patients"]["read"][0]
    assert set(front["hidden_fields"]) == {"ssn", "insurance", "clinical_summary"}
    billing_reports = by_key["billing"]["permissions"]["reports"]["read"][0]
    assert billing_reports["condition_text"] == "kind = billing"


def test_roles_need_roles_read(client, world):
    org_id, _ = world.org()
    clinician = world.member(org_id, roles=("clinician",))
    assert client.get(f"/v1/orgs/{org_id}/roles/matrix", headers=clinician.headers).status_code == 403


def test_preset_labels_name_the_roles(client, world):
    org_id, owner = world.org(preset="telehealth")
    roles = {r["key"]: r["name"] for r in client.get(f"/v1/orgs/{org_id}/roles", headers=owner.headers).json()}
    assert roles["clinician"] == "Member" and roles["administrator"] == "Admin"


def test_create_custom_role_inherits_then_overrides(client, world):
    org_id, owner = world.org()
    r = client.post(f"/v1/orgs/{org_id}/roles", json=LEAD_THERAPIST, headers=owner.headers)
    assert r.status_code == 201, r.text
    role = r.json()
    assert role["builtin"] is False and role["parent"] == "clinician" and role["seat_type"] == "standard"
    perms = role["permissions"]
    assert perms["patients"]["read"][0]["scope"] == "org"           # overridden
    assert perms["sessions"]["record"][0]["scope"] == "own"         # inherited
    assert "delete" not in perms["notes"]                           # removed
    # held by a member, it decides
    therapist = world.member(org_id, roles=(role["key"],))
    other = world.member(org_id, roles=("clinician",))
    patient = world.patient(org_id, care_team=(other.member_id,))
    session = world.session(org_id, therapist.member_id)
    ask = lambda action, rtype, rid: client.post(
        f"/v1/orgs/{org_id}/check", json={"action": action, "resource": {"type": rtype, "id": rid}},
        headers=therapist.headers).json()
    assert ask("patients:read", "patients", patient)["allowed"] is True
    assert ask("patients:read", "patients", patient)["reasons"][0]["message"].startswith("role Lead Therapist")
    assert ask("notes:delete", "notes", session)["allowed"] is False
    assert ask("sessions:record", "sessions", session)["allowed"] is True


def test_approve_charges_under_500_condition(client, world):
    org_id, owner = world.org()
    role = client.post(f"/v1/orgs/{org_id}/roles", headers=owner.headers, json={
        "name": "Junior Biller", "parent": "billing",
        "permissions": {"charges": {"approve": {"scope": "org", "conditions": [
            {"type": "attr", "attr": "amount", "op": "lt", "value": 500}]}}}}).json()
    biller = world.member(org_id, roles=(role["key"],))

    def approve(amount):
        return client.post(f"/v1/orgs/{org_id}/check", headers=biller.headers, json={
            "action": "charges:approve", "resource": {"type": "charges", "id": "chg_1", "attrs": {"amount": amount}}
        }).json()

    assert approve(499)["allowed"] is True
    denied = approve(500)
    assert denied["allowed"] is False
    assert any("amount < 500" in reason["message"] for reason in denied["reasons"])


@pytest.mark.parametrize(("body", "problem"), [
    ({"name": "X", "permissions": {"spaceships": {"read": "org"}}}, "unknown feature 'spaceships'"),
    ({"name": "X", "permissions": {"sessions": {"fly": "org"}}}, "unknown action 'fly'"),
    ({"name": "X", "permissions": {"sessions": {"publish": "org"}}}, "unknown action 'publish'"),
    ({"name": "X", "permissions": {"sessions": {"read": "galaxy"}}}, "scope must be one of"),
    ({"name": "X", "parent": "wizard"}, "parent role 'wizard' does not exist"),
    ({"name": "Clinician"}, "already exists"),
    ({"name": "X", "permissions": {"charges": {"approve": {"scope": "org", "conditions": [{"type": "nope"}]}}}},
     "unknown condition type"),
    ({"name": "X", "permissions": {"patients": {"read": {"scope": "org", "hidden_fields": ["dna"]}}}},
     "hidden_fields must be"),
])
def test_invalid_custom_roles_are_refused_with_every_problem(client, world, body, problem):
    org_id, owner = world.org()
    r = client.post(f"/v1/orgs/{org_id}/roles", json=body, headers=owner.headers)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert any(problem in p for p in r.json()["problems"]), r.json()
    assert len(client.get(f"/v1/orgs/{org_id}/roles", headers=owner.headers).json()) == 10


def test_administrator_cannot_create_a_role_above_themselves(client, world):
    org_id, _ = world.org()
    admin = world.member(org_id, roles=("administrator",))
    r = client.post(f"/v1/orgs/{org_id}/roles", json={"name": "Boss", "rank": 90}, headers=admin.headers)
    assert r.status_code == 422 and any("above your own" in p for p in r.json()["problems"])
    r = client.post(f"/v1/orgs/{org_id}/roles", json={"name": "Deleter", "permissions": {
        "organisation": {"delete": "org"}}}, headers=admin.headers)
    assert r.status_code == 422 and any("more than you hold" in p for p in r.json()["problems"])
    r = client.post(f"/v1/orgs/{org_id}/roles", json={"name": "Owner Two", "parent": "owner", "rank": 80},
                    headers=admin.headers)
    assert r.status_code == 422


def test_inheritance_cycle_is_refused(client, world):
    org_id, owner = world.org()
    a = client.post(f"/v1/orgs/{org_id}/roles", json={"name": "A", "parent": "clinician"}, headers=owner.headers).json()
    b = client.post(f"/v1/orgs/{org_id}/roles", json={"name": "B", "parent": a["key"]}, headers=owner.headers).json()
    r = client.put(f"/v1/orgs/{org_id}/roles/{a['key']}", json={"name": "A", "parent": b["key"]}, headers=owner.headers)
    assert r.status_code == 422
    assert any("cycle" in p for p in r.json()["problems"])


def test_editing_a_role_changes_decisions_at_the_next_request(client, world):
    org_id, owner = world.org()
    role = client.post(f"/v1/orgs/{org_id}/roles", json={"name": "Reader", "permissions": {
        "inventory": {"read": "org"}}}, headers=owner.headers).json()
    member = world.member(org_id, roles=(role["key"],))
    q = {"action": "inventory:read", "resource": {"type": "inventory", "id": "item1", "owner_id": None}}
    q["resource"]["team_ids"] = []
    assert client.post(f"/v1/orgs/{org_id}/check", json=q, headers=member.headers).json()["allowed"] is True
    edited = client.put(f"/v1/orgs/{org_id}/roles/{role['key']}", json={"name": "Reader", "permissions": {}},
                        headers=owner.headers)
    assert edited.status_code == 200 and edited.json()["version"] == 2
    assert client.post(f"/v1/orgs/{org_id}/check", json=q, headers=member.headers).json()["allowed"] is False


def test_delete_custom_role_only_when_unused(client, world):
    org_id, owner = world.org()
    role = client.post(f"/v1/orgs/{org_id}/roles", json={"name": "Temp"}, headers=owner.headers).json()
    holder = world.member(org_id, roles=(role["key"],))
    r = client.delete(f"/v1/orgs/{org_id}/roles/{role['key']}", headers=owner.headers)
    assert r.status_code == 409 and "hold the role" in r.json()["detail"]
    client.put(f"/v1/orgs/{org_id}/members/{holder.member_id}/roles", json={"roles": ["assistant"]},
               headers=owner.headers)
    assert client.delete(f"/v1/orgs/{org_id}/roles/{role['key']}", headers=owner.headers).status_code == 204
    assert client.delete(f"/v1/orgs/{org_id}/roles/clinician", headers=owner.headers).status_code == 409


def test_custom_roles_do_not_cross_organisations(client, world):
    org_a, owner_a = world.org("A")
    org_b, owner_b = world.org("B")
    role = client.post(f"/v1/orgs/{org_a}/roles", json={"name": "Mine"}, headers=owner_a.headers).json()
    assert client.get(f"/v1/orgs/{org_b}/roles/{role['key']}", headers=owner_b.headers).status_code == 404
    assert client.get(f"/v1/orgs/{org_a}/roles/{role['key']}", headers=owner_b.headers).status_code == 404
    r = client.post(f"/v1/orgs/{org_b}/members", json={"email": "x@example.org", "roles": [role["key"]]},
                    headers=owner_b.headers)
    assert r.status_code == 422
