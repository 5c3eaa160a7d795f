"""No stale decision: a change of role, setting or status is seen by the member's very next request,
whatever the engine caches (the compiled-index cache is warm before each change)."""

from __future__ import annotations


def can(client, org_id, login, action, resource):
    r = client.post(f"/v1/orgs/{org_id}/check", json={"action": action, "resource": resource}, headers=login.headers)
    assert r.status_code == 200, r.text
    return r.json()["allowed"]


def test_role_given_then_removed(client, world):
    org_id, owner = world.org()
    member = world.member(org_id, roles=("clinician",))
    settings = {"type": "settings", "id": org_id}
    # warm: the member's index is compiled and cached
    assert not can(client, org_id, member, "settings:edit", settings)
    assert client.get(f"/v1/orgs/{org_id}/roles", headers=member.headers).status_code == 403
    assert client.put(f"/v1/orgs/{org_id}/members/{member.member_id}/roles",
                      json={"roles": ["clinician", "administrator"]}, headers=owner.headers).status_code == 200
    assert can(client, org_id, member, "settings:edit", settings)
    assert client.get(f"/v1/orgs/{org_id}/roles", headers=member.headers).status_code == 200
    assert client.put(f"/v1/orgs/{org_id}/members/{member.member_id}/roles",
                      json={"roles": ["clinician"]}, headers=owner.headers).status_code == 200
    assert not can(client, org_id, member, "settings:edit", settings)
    assert client.get(f"/v1/orgs/{org_id}/roles", headers=member.headers).status_code == 403


def test_role_changed_to_another(client, world):
    org_id, owner = world.org()
    member = world.member(org_id, roles=("front_desk",))
    patient = {"type": "patients", "id": world.patient(org_id)}
    r = client.post(f"/v1/orgs/{org_id}/check", json={"action": "patients:read", "resource": patient},
                    headers=member.headers).json()
    assert r["allowed"] and "ssn" in r["hidden_fields"]
    client.put(f"/v1/orgs/{org_id}/members/{member.member_id}/roles", json={"roles": ["call_center"]},
               headers=owner.headers)
    assert not can(client, org_id, member, "patients:read", patient)
    assert can(client, org_id, member, "calls:read", {"type": "calls", "id": "call1", "attrs": {}})


def test_custom_role_edited_under_a_member(client, world):
    org_id, owner = world.org()
    role = client.post(f"/v1/orgs/{org_id}/roles", json={"name": "Stock", "permissions": {
        "inventory": {"order": "org"}}}, headers=owner.headers).json()
    member = world.member(org_id, roles=(role["key"],))
    item = {"type": "inventory", "id": "gloves", "attrs": {}}
    assert can(client, org_id, member, "inventory:order", item)
    client.put(f"/v1/orgs/{org_id}/roles/{role['key']}", json={"name": "Stock", "permissions": {
        "inventory": {"read": "org"}}}, headers=owner.headers)
    assert not can(client, org_id, member, "inventory:order", item)
    assert can(client, org_id, member, "inventory:read", item)


def test_member_disabled_archived_and_restored(client, world):
    org_id, owner = world.org()
    member = world.member(org_id, roles=("clinician",))
    own = {"type": "sessions", "id": world.session(org_id, member.member_id)}
    assert can(client, org_id, member, "sessions:read", own)
    client.post(f"/v1/orgs/{org_id}/members/{member.member_id}/disable", headers=owner.headers)
    assert client.get("/v1/me", headers=member.headers).status_code == 401  # every session ended at once
    member = world.relogin(member)
    assert not can(client, org_id, member, "sessions:read", own)
    client.post(f"/v1/orgs/{org_id}/members/{member.member_id}/enable", headers=owner.headers)
    assert can(client, org_id, member, "sessions:read", own)
    client.post(f"/v1/orgs/{org_id}/members/{member.member_id}/archive", headers=owner.headers)
    member = world.relogin(member)
    assert not can(client, org_id, member, "sessions:read", own)
    client.post(f"/v1/orgs/{org_id}/members/{member.member_id}/restore", headers=owner.headers)
    assert can(client, org_id, member, "sessions:read", own)


def test_team_visibility_setting_and_plan(client, world, clock):
    org_id, owner = world.org(plan="free")
    team = world.team(org_id)
    admin = world.member(org_id, roles=("administrator",), teams=(team,))
    clin = world.member(org_id, roles=("clinician",), teams=(team,))
    session = {"type": "sessions", "id": world.session(org_id, clin.member_id, team=team)}
    assert not can(client, org_id, admin, "sessions:read", session)
    r = client.patch(f"/v1/orgs/{org_id}/settings", json={"session_visibility": True}, headers=owner.headers)
    assert r.status_code == 403
    assert r.json()["reasons"][0]["code"] == "plan:session_visibility"
    assert "practice plan or a running trial" in r.json()["detail"]
    assert client.put(f"/v1/orgs/{org_id}/subscription", json={"start_trial": True},
                      headers=owner.headers).status_code == 200
    assert client.patch(f"/v1/orgs/{org_id}/settings", json={"session_visibility": True},
                        headers=owner.headers).status_code == 200
    answer = client.post(f"/v1/orgs/{org_id}/check", json={"action": "sessions:read", "resource": session},
                         headers=admin.headers).json()
    assert answer["allowed"] and answer["reasons"][0]["code"] == "setting:session_visibility"
    # the trial ends: the setting stays but is no longer honoured, at the next request
    clock.advance(days=31)
    admin_again = world.relogin(admin)
    assert not can(client, org_id, admin_again, "sessions:read", session)
    # the chosen roles can be changed: clinicians too
    owner_again = world.relogin(owner)
    client.put(f"/v1/orgs/{org_id}/subscription", json={"plan": "practice"}, headers=owner_again.headers)
    other = world.member(org_id, roles=("clinician",), teams=(team,))
    assert not can(client, org_id, other, "sessions:read", session)
    client.patch(f"/v1/orgs/{org_id}/settings", json={"visibility_roles": ["administrator", "clinician"]},
                 headers=owner_again.headers)
    assert can(client, org_id, other, "sessions:read", session)
    client.patch(f"/v1/orgs/{org_id}/settings", json={"session_visibility": False}, headers=owner_again.headers)
    assert not can(client, org_id, other, "sessions:read", session)


def test_billing_policy_owners_only(client, world):
    org_id, owner = world.org()
    admin = world.member(org_id, roles=("administrator",))
    sub = {"type": "subscription", "id": org_id}
    assert can(client, org_id, admin, "subscription:edit", sub)
    client.patch(f"/v1/orgs/{org_id}/settings", json={"billing_policy": "owners_only"}, headers=owner.headers)
    r = client.post(f"/v1/orgs/{org_id}/check", json={"action": "subscription:edit", "resource": sub},
                    headers=admin.headers).json()
    assert not r["allowed"]
    assert any("owners only" in reason["message"] for reason in r["reasons"])
    assert can(client, org_id, owner, "subscription:edit", sub)
    assert client.put(f"/v1/orgs/{org_id}/subscription", json={"plan": "enterprise"},
                      headers=admin.headers).status_code == 403


def test_template_manager_switch(client, world):
    org_id, owner = world.org()
    tm = world.member(org_id, roles=("template_manager",))
    template = {"type": "templates", "id": "tpl1", "attrs": {"visibility": "org"}}
    assert can(client, org_id, tm, "templates:publish", template)
    client.patch(f"/v1/orgs/{org_id}/settings", json={"template_manager_enabled": False}, headers=owner.headers)
    r = client.post(f"/v1/orgs/{org_id}/check", json={"action": "templates:publish", "resource": template},
                    headers=tm.headers).json()
    assert not r["allowed"] and any("switched off" in x["message"] for x in r["reasons"])
    invite = client.post(f"/v1/orgs/{org_id}/members", json={"email": "t@example.org", "roles": ["template_manager"]},
                         headers=owner.headers)
    assert invite.status_code == 422 and "switched off" in invite.text
