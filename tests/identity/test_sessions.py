"""Login sessions: idle and absolute expiry, per-role idle timeouts, the concurrent-session limit, client
binding, the list of my sessions with remote logout, log out everywhere, fresh authentication."""

from __future__ import annotations

from identity_helpers import bearer, login, set_policy

from caregate.identity import totp


def test_idle_timeout_and_activity_keeps_it_alive(client, world, clock):
    org_id, owner = world.org()
    set_policy(client, org_id, owner.headers, sessions={"idle_minutes": 20})
    clin = world.member(org_id, roles=("clinician",))
    headers = bearer(login(client, clin.email).json()["token"])
    for _ in range(4):  # active every 15 minutes for an hour: still in
        clock.advance(minutes=15)
        assert client.get("/v1/me", headers=headers).status_code == 200
    clock.advance(minutes=21)
    r = client.get("/v1/me", headers=headers)
    assert r.status_code == 401 and "without activity" in r.json()["detail"]
    # ended for good, even if the clock could be turned back
    assert client.get("/v1/me", headers=headers).status_code == 401


def test_absolute_lifetime(client, world, clock):
    org_id, owner = world.org()
    set_policy(client, org_id, owner.headers, sessions={"idle_minutes": 60, "absolute_hours": 2})
    clin = world.member(org_id, roles=("clinician",))
    headers = bearer(login(client, clin.email).json()["token"])
    for minutes in (40, 40, 39):  # active all along, 119 minutes in
        clock.advance(minutes=minutes)
        assert client.get("/v1/me", headers=headers).status_code == 200
    clock.advance(minutes=1)  # two hours: over, however active
    r = client.get("/v1/me", headers=headers)
    assert r.status_code == 401 and "maximum length" in r.json()["detail"]


def test_a_shorter_idle_timeout_for_a_role(client, world, clock):
    org_id, owner = world.org()
    set_policy(client, org_id, owner.headers, sessions={"idle_minutes": 60, "role_idle_minutes": {"front_desk": 5}})
    desk = world.member(org_id, roles=("front_desk",))
    clin = world.member(org_id, roles=("clinician",))
    desk_h = bearer(login(client, desk.email).json()["token"])
    clin_h = bearer(login(client, clin.email).json()["token"])
    clock.advance(minutes=6)
    assert client.get(f"/v1/orgs/{org_id}/teams", headers=clin_h).status_code == 200
    r = client.get(f"/v1/orgs/{org_id}/teams", headers=desk_h)
    assert r.status_code == 401 and "5 minutes" in r.json()["detail"]


def test_concurrent_session_limit_ends_the_oldest(client, world):
    org_id, owner = world.org()
    set_policy(client, org_id, owner.headers, sessions={"max_concurrent": 2})
    clin = world.member(org_id, roles=("clinician",))
    first, second, third = (bearer(login(client, clin.email).json()["token"]) for _ in range(3))
    assert client.get("/v1/me", headers=first).status_code == 401
    assert client.get("/v1/me", headers=second).status_code == 200
    assert client.get("/v1/me", headers=third).status_code == 200


def test_binding_refuses_a_token_replayed_from_another_client(client_from, world):
    office = client_from("10.1.2.3", "Mozilla/5.0 (Windows NT 10.0) Firefox/140.0")
    org_id, owner = world.org()
    clin = world.member(org_id, roles=("clinician",))
    set_policy(office, org_id, bearer(login(office, owner.email).json()["token"]), sessions={"bind_to_client": "both"})
    token = login(office, clin.email).json()["token"]
    assert office.get("/v1/me", headers=bearer(token)).status_code == 200
    elsewhere = client_from("203.0.113.50", "Mozilla/5.0 (Windows NT 10.0) Firefox/140.0")
    r = elsewhere.get("/v1/me", headers=bearer(token))
    assert r.status_code == 401 and "another device" in r.json()["detail"]
    other_browser = client_from("10.1.2.3", "curl/8.0")
    assert other_browser.get("/v1/me", headers=bearer(token)).status_code == 401
    assert office.get("/v1/me", headers=bearer(token)).status_code == 200  # the real client keeps working


def test_my_sessions_remote_logout_and_logout_everywhere(client_from, world):
    org_id, _ = world.org()
    clin = world.member(org_id, roles=("clinician",))
    laptop = client_from("10.0.0.5", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14) Safari/605.1")
    phone = client_from("10.0.0.6", "Mozilla/5.0 (iPhone; CPU iPhone OS 18) Safari/604.1")
    lap = bearer(login(laptop, clin.email).json()["token"])
    tel = bearer(login(phone, clin.email).json()["token"])
    mine = laptop.get("/v1/auth/sessions", headers=lap).json()
    devices = {s["device"]: s for s in mine}
    assert set(devices) >= {"Safari on macOS", "Safari on iPhone"}
    assert devices["Safari on macOS"]["current"] and not devices["Safari on iPhone"]["current"]
    phone_id = devices["Safari on iPhone"]["id"]
    assert laptop.delete(f"/v1/auth/sessions/{phone_id}", headers=lap).status_code == 204
    assert phone.get("/v1/me", headers=tel).status_code == 401
    assert laptop.delete("/v1/auth/sessions/tok_notmine", headers=lap).status_code == 404
    tel = bearer(login(phone, clin.email).json()["token"])
    assert laptop.post("/v1/auth/logout-everywhere", headers=lap).json()["ended"] >= 2
    assert laptop.get("/v1/me", headers=lap).status_code == 401
    assert phone.get("/v1/me", headers=tel).status_code == 401


def test_sensitive_operations_need_fresh_authentication(client, world, clock):
    org_id, owner = world.org()
    set_policy(client, org_id, owner.headers, reauth_minutes=10, sessions={"idle_minutes": 60})
    clin = world.member(org_id, roles=("clinician",))
    headers = bearer(login(client, owner.email).json()["token"])
    clock.advance(minutes=11)
    sensitive = (("put", f"/v1/orgs/{org_id}/members/{clin.member_id}/roles", {"roles": ["assistant"]}),
                 ("patch", f"/v1/orgs/{org_id}/security", {"reauth_minutes": 5}),
                 ("post", f"/v1/orgs/{org_id}/service-accounts", {"name": "EHR", "roles": ["clinician"]}))
    for method, path, body in sensitive:
        r = getattr(client, method)(path, json=body, headers=headers)
        assert r.status_code == 401, r.text
        assert r.json()["type"] == "urn:caregate:problem:reauthentication-required"
    # nothing changed
    assert client.get(f"/v1/orgs/{org_id}/members/{clin.member_id}", headers=headers).json()["roles"][0]["role"] == \
        "clinician"
    assert client.post("/v1/auth/reauthenticate", json={"password": "wrong password!"}, headers=headers
                       ).status_code == 401
    assert client.post("/v1/auth/reauthenticate", json={"password": "correct horse battery staple"},
                       headers=headers).status_code == 200
    r = client.put(f"/v1/orgs/{org_id}/members/{clin.member_id}/roles", json={"roles": ["assistant"]}, headers=headers)
    assert r.status_code == 200


def test_reauthenticate_with_a_totp_code(client, world, clock):
    org_id, owner = world.org()
    headers = bearer(login(client, owner.email).json()["token"])
    start = client.post("/v1/auth/mfa/totp", headers=headers).json()
    client.post("/v1/auth/mfa/totp/confirm", json={"code": totp.code_at(start["secret"], clock.now())},
                headers=headers)
    clock.advance(minutes=16)
    headers = bearer(login(client, owner.email).json()["token"])
    client.post("/v1/auth/mfa/verify", json={"code": totp.code_at(start["secret"], clock.now())}, headers=headers)
    clock.advance(minutes=16)
    assert client.patch(f"/v1/orgs/{org_id}/security", json={"reauth_minutes": 5}, headers=headers).status_code == 401
    clock.advance(seconds=30)
    r = client.post("/v1/auth/reauthenticate", json={"code": totp.code_at(start["secret"], clock.now())},
                    headers=headers)
    assert r.status_code == 200
    assert client.patch(f"/v1/orgs/{org_id}/security", json={"reauth_minutes": 5}, headers=headers).status_code == 200


def test_disable_archive_delete_and_password_change_end_every_session(client, world):
    org_id, owner = world.org()
    for change in ("disable", "archive", "delete"):
        member = world.member(org_id, roles=("assistant",))
        extra = bearer(login(client, member.email).json()["token"])
        if change == "delete":
            assert client.delete(f"/v1/orgs/{org_id}/members/{member.member_id}", headers=owner.headers
                                 ).status_code == 204
        else:
            assert client.post(f"/v1/orgs/{org_id}/members/{member.member_id}/{change}", headers=owner.headers
                               ).status_code == 200
        assert client.get("/v1/me", headers=member.headers).status_code == 401, change
        assert client.get("/v1/me", headers=extra).status_code == 401, change
