"""Every kind of event is written, with its fields, in the transaction of what it records."""

from __future__ import annotations

import pytest
from audit_helpers import PASSWORD, actions, events, verify

from caregate.audit import log
from caregate.service.context import RequestInfo
from caregate.store.audit import SYSTEM_CHAIN

# (name, method, path under /v1/orgs/{org}, body, action, object_type, before/after expected)
CHANGES = [
    ("rename org", "patch", "", {"name": "Renamed Clinic"}, "organisation.renamed", "organisation", True),
    ("settings", "patch", "/settings", {"template_manager_enabled": False}, "settings.updated", "settings", True),
    ("subscription", "put", "/subscription", {"plan": "enterprise"}, "subscription.changed", "subscription", True),
    ("audit settings", "patch", "/audit/settings", {"failed_login_threshold": 9}, "settings.audit_updated",
     "settings", True),
    ("create team", "post", "/teams", {"name": "Night shift"}, "teams.create", "teams", False),
    ("create location", "post", "/locations", {"name": "North", "kind": "region"}, "locations.create", "locations",
     False),
    ("create role", "post", "/roles", {"name": "Scheduler", "parent": "front_desk"}, "roles.create", "roles", False),
    ("invite member", "post", "/members", {"email": "new@example.org", "roles": ["front_desk"],
                                           "confirm_charge_cents": 0}, "members.invite", "members", False),
]


def _last(services, org_id, action):
    found = [e for e in events(services, org_id) if e["action"] == action]
    assert found, f"no {action} event"
    return found[-1]


@pytest.mark.parametrize(("name", "method", "path", "body", "action", "object_type", "diff"), CHANGES,
                         ids=[c[0] for c in CHANGES])
def test_every_change_is_recorded_with_who_what_and_the_decision(client, services, world, name, method, path, body,
                                                                  action, object_type, diff):
    org_id, owner = world.org()
    r = getattr(client, method)(f"/v1/orgs/{org_id}{path}", json=body,
                                headers={**owner.headers, "x-request-id": "req-123", "user-agent": "ua/1"})
    assert r.status_code < 300, r.text
    event = _last(services, org_id, action)
    assert event["org_id"] == org_id and event["outcome"] == "allowed"
    assert (event["actor_member_id"], event["actor_user_id"]) == (owner.member_id, owner.user_id)
    assert event["object_type"] == object_type and event["object_id"]
    assert (event["request_id"], event["user_agent"], event["ip"]) == ("req-123", "ua/1", "testclient")
    assert any(reason["code"].startswith("role:owner") for reason in event["reasons"]), event["reasons"]
    if diff:
        assert event["before"] and event["after"] and event["before"] != event["after"]
    assert verify(services, org_id).intact


def test_member_changes_carry_before_and_after(client, services, world):
    org_id, owner = world.org()
    team = world.team(org_id)
    member = world.member(org_id, roles=("clinician",))
    base = f"/v1/orgs/{org_id}/members/{member.member_id}"
    assert client.put(f"{base}/roles", json={"roles": ["assistant"]}, headers=owner.headers).status_code == 200
    assert client.put(f"{base}/structure", json={"team_ids": [team]}, headers=owner.headers).status_code == 200
    assert client.patch(base, json={"title": "Lead"}, headers=owner.headers).status_code == 200
    assert client.post(f"{base}/disable", headers=owner.headers).status_code == 200
    changed = _last(services, org_id, "members.change_role")
    assert "clinician" in str(changed["before"]) and "assistant" in str(changed["after"])
    assert _last(services, org_id, "members.change_structure")["after"]
    assert _last(services, org_id, "members.edit")["after"]
    disabled = _last(services, org_id, "members.disable")
    assert disabled["object_id"] == member.member_id and disabled["actor_member_id"] == owner.member_id


def test_reads_and_lists_name_what_they_returned(client, services, world):
    org_id, owner = world.org()
    member = world.member(org_id)
    assert client.get(f"/v1/orgs/{org_id}/members/{member.member_id}", headers=owner.headers).status_code == 200
    assert client.get(f"/v1/orgs/{org_id}/members", headers=owner.headers).status_code == 200
    read = _last(services, org_id, "members.read")
    assert read["object_id"] == member.member_id and read["reasons"], read
    listed = _last(services, org_id, "members.list")
    assert set(listed["detail"]["returned"]) == {owner.member_id, member.member_id}
    assert listed["detail"]["total"] == 2


def test_a_refusal_is_recorded_with_its_reasons_and_the_change_is_not(client, services, world):
    org_id, _ = world.org()
    clinician = world.member(org_id, roles=("clinician",))
    r = client.post(f"/v1/orgs/{org_id}/teams", json={"name": "Mine"}, headers=clinician.headers)
    assert r.status_code == 403
    denied = [e for e in events(services, org_id) if e["outcome"] == "denied"]
    assert [e["action"] for e in denied] == ["teams.create"]
    assert denied[0]["actor_member_id"] == clinician.member_id and denied[0]["reasons"]
    assert "teams.create" not in [e["action"] for e in events(services, org_id, outcome="allowed")]
    assert verify(services, org_id).intact


def test_a_failed_change_leaves_no_event(client, services, world):
    org_id, owner = world.org()
    before = actions(services, org_id)
    r = client.patch(f"/v1/orgs/{org_id}/settings", json={"visibility_roles": ["no_such_role"]},
                     headers=owner.headers)
    assert r.status_code == 422
    assert actions(services, org_id) == before  # nothing, not even half an event


def test_an_event_rolls_back_with_its_change(services, world):
    org_id, _ = world.org()
    before = actions(services, org_id)

    def fails_after_recording() -> None:
        with services.unit() as uow:
            uow.record("teams.create", org_id=org_id, object_type="teams", object_id="team_x")
            raise RuntimeError("the change fails after recording")

    with pytest.raises(RuntimeError):
        fails_after_recording()
    assert actions(services, org_id) == before
    assert verify(services, org_id).intact


def test_sign_ins_go_to_the_system_chain_and_each_organisation_of_the_user(client, services, world):
    org_a, owner = world.org(owner="pat@example.org")
    org_b, _ = world.org()
    world.member(org_b, email="pat@example.org")
    assert client.post("/v1/auth/login", json={"email": "pat@example.org", "password": "wrong password!"}
                       ).status_code == 401
    assert client.post("/v1/auth/login", json={"email": "nobody@example.org", "password": "x" * 12}
                       ).status_code == 401
    token = client.post("/v1/auth/login", json={"email": "pat@example.org", "password": PASSWORD}).json()["token"]
    assert client.post("/v1/auth/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    system = [e["action"] for e in events(services, SYSTEM_CHAIN)]
    assert system[-4:] == ["auth.login_failed", "auth.login_failed", "auth.login", "auth.logout"]
    for org_id in (org_a, org_b):
        mine = [e for e in events(services, org_id, actor_user_id=owner.user_id) if e["action"].startswith("auth.")]
        assert [e["action"] for e in mine][-3:] == ["auth.login_failed", "auth.login", "auth.logout"]
        assert all(e["actor_member_id"] for e in mine)
        assert all(e["detail"]["system_event"] for e in mine)
        assert verify(services, org_id).intact
    unknown = [e for e in events(services, SYSTEM_CHAIN) if e["detail"].get("email") == "nobody@example.org"]
    assert unknown and unknown[0]["outcome"] == "denied" and unknown[0]["actor_user_id"] is None
    assert verify(services, SYSTEM_CHAIN).intact


# The actions the identity and clinical work record through uow.record: each is stored and chained.
OTHERS = [
    ("auth.lockout", {"actor_user_id": "usr_x", "detail": {"attempts": 5}}),
    ("auth.unlock", {"object_type": "users", "object_id": "usr_x"}),
    ("auth.mfa_enrolled", {"detail": {"method": "totp"}}),
    ("auth.mfa_failed", {"outcome": "denied"}),
    ("auth.mfa_verified", {}),
    ("auth.password_changed", {}),
    ("auth.password_reset", {"object_type": "users", "object_id": "usr_x"}),
    ("api_keys.create", {"object_type": "api_keys", "object_id": "key_1", "after": {"scopes": ["sessions:read"]}}),
    ("api_keys.rotate", {"object_type": "api_keys", "object_id": "key_1", "before": {"v": 1}, "after": {"v": 2}}),
    ("api_keys.revoke", {"object_type": "api_keys", "object_id": "key_1", "before": {"revoked": False}}),
    ("sessions.read", {"object_type": "sessions", "object_id": "ses_1", "patient_id": "pat_1",
                       "purpose": "treatment", "on_behalf_of": "api_key:key_1"}),
    ("sessions.list", {"object_type": "sessions", "detail": {"returned": ["ses_1", "ses_2"], "total": 2}}),
    ("sessions.export", {"object_type": "sessions", "object_id": "ses_1", "patient_id": "pat_1"}),
    ("sessions.share", {"object_type": "sessions", "object_id": "ses_1", "after": {"mem_2": "view"}}),
    ("sessions.unshare", {"object_type": "sessions", "object_id": "ses_1", "before": {"mem_2": "view"}}),
    ("notes.copy", {"object_type": "notes", "object_id": "ses_1", "patient_id": "pat_1"}),
    ("patients.read", {"object_type": "patients", "object_id": "pat_1", "patient_id": "pat_1",
                       "on_behalf_of": "delegation:del_1"}),
    ("patients.list", {"object_type": "patients", "detail": {"returned": ["pat_1", "pat_2"], "total": 2}}),
    ("patients.export", {"object_type": "patients", "object_id": "pat_1", "patient_id": "pat_1"}),
    ("patient_access.grant", {"object_type": "patients", "object_id": "pat_1", "after": {"member": "mem_2"}}),
    ("patient_access.revoke", {"object_type": "patients", "object_id": "pat_1", "before": {"member": "mem_2"}}),
    ("break_glass.declare", {"patient_id": "pat_1", "purpose": "emergency", "detail": {"reason": "unconscious"}}),
]


@pytest.mark.parametrize(("action", "fields"), OTHERS, ids=[a for a, _ in OTHERS])
def test_other_features_events_are_stored_and_chained(services, world, action, fields):
    org_id, owner = world.org()
    request = RequestInfo(ip="203.0.113.7", user_agent="scribe/2.0", request_id="r-1")
    with services.unit(request) as uow:
        uow.record(action, org_id=org_id, actor_member_id=owner.member_id,
                              **{"actor_user_id": owner.user_id, **fields})
    stored = _last(services, org_id, action)
    expected = {"outcome": "allowed", "ip": "203.0.113.7", "user_agent": "scribe/2.0", "request_id": "r-1",
                "actor_member_id": owner.member_id, **fields}
    for key, value in expected.items():
        assert stored[key] == value, key
    assert verify(services, org_id).intact


def test_fields_longer_than_their_columns_are_cut_not_fatal(services, world):
    org_id, _ = world.org()
    with services.unit(RequestInfo(user_agent="u" * 1000)) as uow:
        uow.record("x" * 100, org_id=org_id, purpose="p" * 100, object_id="o" * 200)
    stored = events(services, org_id)[-1]
    assert len(stored["action"]) == log.LIMITS["action"] and len(stored["user_agent"]) == 300
    assert verify(services, org_id).intact
