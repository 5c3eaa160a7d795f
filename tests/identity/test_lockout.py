"""Login attempt limiting: account lockout for a period or until unlocked, per-address throttling, and
answers that do not tell a wrong password from an unknown email or a locked account."""

from __future__ import annotations

import statistics
import time

from identity_helpers import bearer, login, set_policy

from support import PASSWORD


def test_account_locks_after_n_failures_for_the_policy_period(client, world, clock):
    org_id, owner = world.org()
    set_policy(client, org_id, owner.headers, lockout={"max_failures": 3, "lock_minutes": 15})
    clin = world.member(org_id, roles=("clinician",))
    for _ in range(3):
        assert login(client, clin.email, "wrong password here").status_code == 401
    locked = login(client, clin.email)  # the right password, but locked
    assert locked.status_code == 401
    clock.advance(minutes=14)
    assert login(client, clin.email).status_code == 401
    clock.advance(minutes=2)
    assert login(client, clin.email).status_code == 200


def test_failures_reset_after_a_good_login(client, world):
    org_id, owner = world.org()
    set_policy(client, org_id, owner.headers, lockout={"max_failures": 3, "lock_minutes": 15})
    clin = world.member(org_id, roles=("clinician",))
    for _ in range(2):
        login(client, clin.email, "wrong password here")
    assert login(client, clin.email).status_code == 200
    for _ in range(2):
        login(client, clin.email, "wrong password here")
    assert login(client, clin.email).status_code == 200


def test_lock_until_an_administrator_unlocks(client, world, clock, services):
    org_id, owner = world.org()
    set_policy(client, org_id, owner.headers, lockout={"max_failures": 2, "lock_minutes": 0})
    clin = world.member(org_id, roles=("clinician",))
    admin = world.member(org_id, roles=("administrator",))
    other = world.member(org_id, roles=("clinician",))
    for _ in range(2):
        login(client, clin.email, "wrong password here")
    clock.advance(days=3)
    assert login(client, clin.email).status_code == 401
    admin = world.relogin(admin)
    other = world.relogin(other)
    refused = client.post(f"/v1/orgs/{org_id}/members/{clin.member_id}/unlock", headers=other.headers)
    assert refused.status_code == 403
    assert client.post(f"/v1/orgs/{org_id}/members/{clin.member_id}/unlock", headers=admin.headers).status_code == 204
    assert login(client, clin.email).status_code == 200
    from caregate.store.audit import AuditEvent

    with services.unit() as uow:
        actions = [e.action for e in uow.session.query(AuditEvent).filter(AuditEvent.org_id == org_id)]
    assert "auth.lockout" in actions and "auth.unlock" in actions


def test_the_strictest_lockout_of_a_persons_organisations_applies(client, world):
    org_a, owner_a = world.org("A")
    org_b, owner_b = world.org("B")
    set_policy(client, org_a, owner_a.headers, lockout={"max_failures": 10, "lock_minutes": 15})
    set_policy(client, org_b, owner_b.headers, lockout={"max_failures": 2, "lock_minutes": 15})
    person = world.member(org_a, "both@example.org", ("clinician",))
    world.member(org_b, "both@example.org", ("assistant",))
    for _ in range(2):
        login(client, person.email, "wrong password here")
    assert login(client, person.email).status_code == 401


def test_per_address_throttling(client_from, world, services):
    services.settings.login_ip_failures_per_15min = 5
    org_id, _ = world.org()
    clin = world.member(org_id, roles=("clinician",))
    attacker = client_from("203.0.113.66")
    for i in range(5):
        assert login(attacker, f"guess{i}@example.org", "wrong password here").status_code == 401
    r = login(attacker, clin.email)
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) > 0
    assert r.headers["content-type"] == "application/problem+json"
    # another address is not affected
    assert login(client_from("198.51.100.20"), clin.email).status_code == 200


def test_wrong_password_unknown_email_and_locked_account_cannot_be_told_apart(client, world, services):
    from caregate.identity.passwords import Passwords

    # production-like: a realistic hash cost, and the refusal floor that hides the work behind a refusal
    # (a known user's failure also locks, counts and copies its audit event into each organisation)
    services.passwords = Passwords(time_cost=2, memory_cost=65536, parallelism=1)
    services.settings.login_failure_floor_ms = 700
    org_id, owner = world.org()
    set_policy(client, org_id, owner.headers, lockout={"max_failures": 2, "lock_minutes": 60})
    wrong = world.member(org_id, "wrong@example.org", ("clinician",))
    locked = world.member(org_id, "locked@example.org", ("clinician",))
    world.member(world.org("Second")[0], "wrong@example.org", ("assistant",))  # two organisations' chains
    with services.unit() as uow:  # give both real-cost hashes
        from caregate.store import repo

        for email in (wrong.email, locked.email):
            repo.user_by_email(uow.session, email=email).password_hash = services.passwords.hash(PASSWORD)
    for _ in range(2):
        login(client, locked.email, "nope nope nope")
    cases = {"wrong": (wrong.email, "not the password"), "unknown": ("nobody@example.org", "not the password"),
             "locked": (locked.email, PASSWORD)}
    answers, timings = {}, {name: [] for name in cases}
    for _ in range(6):
        for name, (email, password) in cases.items():
            start = time.perf_counter()
            r = login(client, email, password)
            timings[name].append(time.perf_counter() - start)
            answers[name] = (r.status_code, {k: v for k, v in r.json().items() if k != "request_id"},
                             r.headers.get("www-authenticate"))
    assert answers["wrong"] == answers["unknown"] == answers["locked"]
    assert answers["wrong"][0] == 401
    medians = {name: statistics.median(t) for name, t in timings.items()}
    assert min(min(t) for t in timings.values()) >= 0.7, timings  # nobody answers before the floor
    fastest, slowest = min(medians.values()), max(medians.values())
    assert slowest / fastest < 1.15, medians


def test_a_locked_account_stays_locked_for_the_right_password_too(client, world):
    org_id, owner = world.org()
    set_policy(client, org_id, owner.headers, lockout={"max_failures": 1, "lock_minutes": 30})
    clin = world.member(org_id, roles=("clinician",))
    login(client, clin.email, "wrong password here")
    r = login(client, clin.email)
    assert r.status_code == 401
    assert "bearer" not in r.text.lower() or "token" not in r.json()
    assert bearer("x")  # helper import used
