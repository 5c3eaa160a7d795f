"""Service accounts and API keys: shown once, stored hashed, scoped, expiring, rotated with a grace period,
revoked at once, rate-limited per key (through a real Redis, and without one), usage visible to admins."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from identity_helpers import bearer

from caregate.identity.ratelimit import MemoryRateLimiter, RedisRateLimiter

REDIS = "redis://127.0.0.1:6379/15"


def make_account(client, org_id, headers, roles=("clinician",), name="EHR integration"):
    r = client.post(f"/v1/orgs/{org_id}/service-accounts", json={"name": name, "roles": list(roles)}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def make_key(client, org_id, headers, account_id, **body):
    body = {"name": "prod", "scopes": ["*:*"], **body}
    r = client.post(f"/v1/orgs/{org_id}/service-accounts/{account_id}/keys", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_key_is_shown_once_stored_hashed_and_works(client, world, services):
    org_id, owner = world.org()
    account = make_account(client, org_id, owner.headers)
    assert account["kind"] == "service" and account["seat_type"] == "standard"
    seats = client.get(f"/v1/orgs/{org_id}/seats", headers=owner.headers).json()
    assert seats["standard"] == 1  # the owner only: a service account holds no seat
    key = make_key(client, org_id, owner.headers, account["id"])
    secret = key["key"]
    assert secret.startswith(key["prefix"] + "_") and key["prefix"].startswith("cgk_")
    listed = client.get(f"/v1/orgs/{org_id}/service-accounts/{account['id']}/keys", headers=owner.headers).json()
    assert listed[0]["prefix"] == key["prefix"] and "key" not in listed[0]
    from caregate.store.identity import ApiKey

    with services.unit() as uow:
        stored = uow.session.query(ApiKey).one()
    # (the secret part may itself contain "_": cut at the prefix, or a one-letter tail can match the hex)
    assert secret.removeprefix(key["prefix"] + "_") not in stored.secret_hash and len(stored.secret_hash) == 64
    r = client.get(f"/v1/orgs/{org_id}/teams", headers=bearer(secret))
    assert r.status_code == 200
    # the account acts as a member of its own organisation only
    other_org, _ = world.org("Other")
    assert client.get(f"/v1/orgs/{other_org}/teams", headers=bearer(secret)).status_code == 404


def test_scopes_narrow_what_the_account_may_do(client, world):
    org_id, owner = world.org()
    account = make_account(client, org_id, owner.headers, roles=("administrator",))
    key = make_key(client, org_id, owner.headers, account["id"], scopes=["members:read", "teams:*"])
    headers = bearer(key["key"])
    assert client.get(f"/v1/orgs/{org_id}/members", headers=headers).status_code == 200
    assert client.post(f"/v1/orgs/{org_id}/teams", json={"name": "Night shift"}, headers=headers).status_code == 201
    r = client.get(f"/v1/orgs/{org_id}/roles", headers=headers)  # the role allows it; the key's scopes do not
    assert r.status_code == 403 and r.json()["reasons"][0]["code"] == "scope:api-key"


@pytest.mark.parametrize(("scopes", "problem"), [
    ([], "at least 1 item"),
    (["sessions:fly"], "unknown action 'fly'"),
    (["spaceships:read"], "unknown feature 'spaceships'"),
    (["sessions"], "unknown action ''"),
])
def test_bad_scopes_are_refused(client, world, scopes, problem):
    org_id, owner = world.org()
    account = make_account(client, org_id, owner.headers)
    r = client.post(f"/v1/orgs/{org_id}/service-accounts/{account['id']}/keys", json={"name": "x", "scopes": scopes},
                    headers=owner.headers)
    assert r.status_code == 422 and problem in r.text


def test_expiry_rotation_grace_and_revocation(client, world, clock):
    org_id, owner = world.org()
    account = make_account(client, org_id, owner.headers)
    lasting = make_key(client, org_id, owner.headers, account["id"], name="no expiry")
    old = make_key(client, org_id, owner.headers, account["id"], name="rotating")
    path = f"/v1/orgs/{org_id}/service-accounts/{account['id']}/keys"
    rotated = client.post(f"{path}/{old['id']}/rotate", json={"grace_hours": 2}, headers=owner.headers)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()
    assert new["key"] != old["key"] and new["scopes"] == old["scopes"]
    for secret in (old["key"], new["key"]):  # both work at once
        assert client.get(f"/v1/orgs/{org_id}/teams", headers=bearer(secret)).status_code == 200
    clock.advance(hours=2, seconds=1)
    owner = world.relogin(owner)
    assert client.get(f"/v1/orgs/{org_id}/teams", headers=bearer(old["key"])).status_code == 401
    assert client.get(f"/v1/orgs/{org_id}/teams", headers=bearer(new["key"])).status_code == 200
    # revocation is effective on the next request
    assert client.delete(f"{path}/{new['id']}", headers=owner.headers).status_code == 204
    assert client.get(f"/v1/orgs/{org_id}/teams", headers=bearer(new["key"])).status_code == 401
    states = {k["id"]: k["state"] for k in client.get(path, headers=owner.headers).json()}
    assert states[old["id"]] == "expired" and states[new["id"]] == "revoked" and states[lasting["id"]] == "active"
    # a key with an expiry date stops then
    dated = make_key(client, org_id, owner.headers, account["id"], name="dated",
                     expires_at=(clock.now() + timedelta(hours=1)).isoformat())
    assert client.get(f"/v1/orgs/{org_id}/teams", headers=bearer(dated["key"])).status_code == 200
    clock.advance(hours=1)
    assert client.get(f"/v1/orgs/{org_id}/teams", headers=bearer(dated["key"])).status_code == 401


def _rate_limited(client, world, services, clock):
    org_id, owner = world.org()
    account = make_account(client, org_id, owner.headers)
    key = make_key(client, org_id, owner.headers, account["id"], rate_limit_per_minute=3)
    headers = bearer(key["key"])
    assert [client.get(f"/v1/orgs/{org_id}/teams", headers=headers).status_code for _ in range(3)] == [200] * 3
    r = client.get(f"/v1/orgs/{org_id}/teams", headers=headers)
    assert r.status_code == 429
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert r.headers["content-type"] == "application/problem+json"
    clock.advance(seconds=int(r.headers["retry-after"]))
    assert client.get(f"/v1/orgs/{org_id}/teams", headers=headers).status_code == 200
    usage = client.get(f"/v1/orgs/{org_id}/service-accounts/{account['id']}/keys", headers=world.relogin(owner).headers)
    (listed,) = usage.json()
    assert sum(listed["usage_by_day"].values()) == 4 and listed["last_used_at"] is not None


def test_rate_limit_in_process(client, world, services, clock):
    services.rate_limiter = MemoryRateLimiter()
    _rate_limited(client, world, services, clock)


def test_rate_limit_shared_through_redis(client, world, services, clock):
    limiter = RedisRateLimiter(REDIS, prefix=f"caregate-test:{uuid.uuid4().hex}:")
    services.rate_limiter = limiter
    _rate_limited(client, world, services, clock)
    # a second server (another limiter on the same Redis) sees the same counts
    twin = RedisRateLimiter(REDIS, prefix=limiter._prefix)
    now = clock.now()
    for _ in range(5):
        limiter.hit("shared", limit=5, window_seconds=60, now=now)
    assert not twin.hit("shared", limit=5, window_seconds=60, now=now).allowed


def test_redis_down_falls_back_to_the_process(clock):
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0")
    verdicts = [limiter.hit("k", limit=2, window_seconds=60, now=clock.now()).allowed for _ in range(3)]
    assert verdicts == [True, True, False]


def test_only_owners_and_administrators_manage_keys(client, world):
    org_id, owner = world.org()
    account = make_account(client, org_id, owner.headers)
    clin = world.member(org_id, roles=("clinician",))
    assert client.post(f"/v1/orgs/{org_id}/service-accounts", json={"name": "x", "roles": ["clinician"]},
                       headers=clin.headers).status_code == 403
    assert client.post(f"/v1/orgs/{org_id}/service-accounts/{account['id']}/keys",
                       json={"name": "x", "scopes": ["*:*"]}, headers=clin.headers).status_code == 403
    assert client.get(f"/v1/orgs/{org_id}/service-accounts/{account['id']}/keys",
                      headers=clin.headers).status_code == 403
    # keys are for service accounts only
    assert client.post(f"/v1/orgs/{org_id}/service-accounts/{clin.member_id}/keys",
                       json={"name": "x", "scopes": ["*:*"]}, headers=owner.headers).status_code == 404


@pytest.mark.parametrize("token", ["cgk_", "cgk_short_x", "cgk_" + "a" * 12 + "_" + "b" * 43,
                                   "cgk_ABCDEFGHIJKL_" + "b" * 43, "cgk_" + "a" * 12 + "_" + "b" * 500])
def test_malformed_or_unknown_keys(client, world, token):
    org_id, _ = world.org()
    r = client.get(f"/v1/orgs/{org_id}/teams", headers=bearer(token))
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"


def test_a_refused_request_still_counts_as_use_of_the_key(client, world):
    org_id, owner = world.org()
    account = make_account(client, org_id, owner.headers)
    key = make_key(client, org_id, owner.headers, account["id"], scopes=["teams:read"])
    assert client.get(f"/v1/orgs/{org_id}/teams", headers=bearer(key["key"])).status_code == 200
    assert client.get(f"/v1/orgs/{org_id}/roles", headers=bearer(key["key"])).status_code == 403
    (listed,) = client.get(f"/v1/orgs/{org_id}/service-accounts/{account['id']}/keys", headers=owner.headers).json()
    assert sum(listed["usage_by_day"].values()) == 2 and listed["last_used_at"] is not None
