"""Bad input gets a clear 4xx problem+json and loses nothing; never a 500, never a stack trace."""

from __future__ import annotations

import pytest

PROBLEM = "application/problem+json"


def assert_problem(r, status):
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["status"] == status and body["type"].startswith("urn:caregate:problem:")
    assert body["detail"] and "Traceback" not in r.text and 'File "' not in r.text
    return body


def test_no_token_and_a_bad_token(client, world):
    org_id, _ = world.org()
    body = assert_problem(client.get(f"/v1/orgs/{org_id}/members"), 401)
    assert "bearer token" in body["detail"]
    assert assert_problem(client.get("/v1/me", headers={"Authorization": "Bearer cgs_" + "x" * 43}), 401)
    assert assert_problem(client.get("/v1/me", headers={"Authorization": "Bearer ' OR 1=1 --"}), 401)
    assert assert_problem(client.get("/v1/me", headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401)
    assert client.get("/v1/me").headers["www-authenticate"].startswith("Bearer")


def test_tokens_expire_and_logout_revokes(client, world, services, clock):
    _org_id, owner = world.org()
    assert client.get("/v1/me", headers=owner.headers).status_code == 200
    assert client.post("/v1/auth/logout", headers=owner.headers).status_code == 204
    assert_problem(client.get("/v1/me", headers=owner.headers), 401)
    fresh = {"Authorization": f"Bearer {world.token(owner.email)}"}
    clock.advance(minutes=services.settings.token_ttl_minutes, seconds=1)
    assert_problem(client.get("/v1/me", headers=fresh), 401)


def test_tokens_are_stored_hashed(client, world, services):
    from caregate.store.tables import AuthToken

    _, owner = world.org()
    with services.unit() as uow:
        stored = [t.token_hash for t in uow.session.query(AuthToken).all()]
    assert owner.token not in stored and all(len(h) == 64 for h in stored)


def test_wrong_password_and_unknown_email_look_the_same(client, world):
    _, owner = world.org()
    a = client.post("/v1/auth/login", json={"email": owner.email, "password": "wrong password here"})
    b = client.post("/v1/auth/login", json={"email": "nobody@example.org", "password": "wrong password here"})
    assert a.status_code == b.status_code == 401
    strip = lambda body: {k: v for k, v in body.items() if k != "request_id"}
    assert strip(a.json()) == strip(b.json())


def test_malformed_json_unknown_fields_wrong_types(client, world):
    org_id, owner = world.org()
    url = f"/v1/orgs/{org_id}/teams"
    r = client.post(url, content=b'{"name": "x",', headers={**owner.headers, "content-type": "application/json"})
    assert "not valid JSON" in assert_problem(r, 400)["detail"]
    assert "extra" in assert_problem(client.post(url, json={"name": "x", "colour": "red"}, headers=owner.headers),
                                     422)["detail"].lower()
    assert_problem(client.post(url, json={"name": 12}, headers=owner.headers), 422)
    assert_problem(client.post(url, json=["name"], headers=owner.headers), 422)
    assert_problem(client.post(url, json={"name": ""}, headers=owner.headers), 422)
    assert_problem(client.post(url, json={"name": "x" * 121}, headers=owner.headers), 422)
    assert client.get(url, headers=owner.headers).json() == []


def test_oversized_bodies_are_refused_before_reading(client, world, services):
    org_id, owner = world.org()
    big = b'{"name": "' + b"x" * (services.settings.max_body_bytes + 10) + b'"}'
    r = client.post(f"/v1/orgs/{org_id}/teams", content=big,
                    headers={**owner.headers, "content-type": "application/json"})
    assert_problem(r, 413)
    assert client.get(f"/v1/orgs/{org_id}/teams", headers=owner.headers).json() == []


def test_oversized_password_is_refused_without_hashing(client):
    r = client.post("/v1/auth/login", json={"email": "a@example.org", "password": "p" * 100_000})
    assert_problem(r, 422)


def test_unknown_routes_methods_and_ids(client, world):
    org_id, owner = world.org()
    assert_problem(client.get("/v1/nowhere", headers=owner.headers), 404)
    assert_problem(client.put("/v1/auth/login", json={}), 405)
    assert_problem(client.get(f"/v1/orgs/{org_id}/members/mem_doesnotexist", headers=owner.headers), 404)
    assert_problem(client.get("/v1/orgs/org_doesnotexist", headers=owner.headers), 404)
    assert_problem(client.get("/v1/orgs/%00%27%22", headers=owner.headers), 404)
    assert_problem(client.get(f"/v1/orgs/{org_id}/members", params={"limit": 0}, headers=owner.headers), 422)
    assert_problem(client.get(f"/v1/orgs/{org_id}/members", params={"after": "x'--"}, headers=owner.headers), 422)
    assert_problem(client.get(f"/v1/orgs/{org_id}/members", params={"status": "zombie"}, headers=owner.headers), 422)


def test_another_organisation_is_not_found_not_forbidden(client, world):
    _org_a, owner_a = world.org("A")
    org_b, _ = world.org("B")
    for method, path in [("get", f"/v1/orgs/{org_b}"), ("get", f"/v1/orgs/{org_b}/members"),
                         ("get", f"/v1/orgs/{org_b}/settings"), ("get", f"/v1/orgs/{org_b}/roles")]:
        assert_problem(getattr(client, method)(path, headers=owner_a.headers), 404)


def test_security_headers_and_request_id(client):
    r = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.status_code == 200
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-request-id"] == "abc-123"
    odd = client.get("/healthz", headers={"X-Request-ID": b"bad id; <script>"})
    assert odd.headers["x-request-id"] not in ("bad id; <script>", "")


@pytest.mark.parametrize("payload", [
    {"email": "a@example.org"},
    {"password": "x"},
    {"email": None, "password": None},
    {"email": "a@example.org", "password": "x", "admin": True},
])
def test_login_input_is_validated(client, payload):
    assert_problem(client.post("/v1/auth/login", json=payload), 422)


def test_openapi_describes_the_api(client):
    spec = client.get("/openapi.json").json()
    assert spec["info"]["title"] == "caregate"
    for path in ("/v1/orgs/{org_id}/check", "/v1/orgs/{org_id}/members", "/v1/orgs/{org_id}/roles/matrix",
                 "/v1/orgs/{org_id}/seats", "/v1/invitations/accept"):
        assert path in spec["paths"], path
    assert client.get("/docs").status_code == 200
