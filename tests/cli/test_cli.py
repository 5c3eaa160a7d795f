"""The `caregate` command, run as a user runs it: a subprocess with the database in the environment."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from caregate.store import migrate

CAREGATE = str(Path(sys.executable).with_name("caregate"))


@pytest.fixture
def env(services, database):
    """The environment of a command using this test's (emptied) database."""
    url = database.url.render_as_string(hide_password=False)
    return {**os.environ, "CAREGATE_DATABASE_URL": url, "CAREGATE_ARGON2_TIME_COST": "1",
            "CAREGATE_ARGON2_MEMORY_KIB": "1024", "COLUMNS": "200"}


def cg(env, *args, timeout=60):
    return subprocess.run([CAREGATE, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False,
                          stdin=subprocess.DEVNULL)


def test_migrate_reports_the_revision(env):
    r = cg(env, "migrate")
    assert r.returncode == 0, r.stderr

    assert f"revision {migrate.head()}" in r.stdout


def test_demo_has_every_builtin_role_and_prints_logins(env, services):
    r = cg(env, "demo")
    assert r.returncode == 0, r.stderr
    for login in ("owner@demo.caregate.test", "assistant@demo.caregate.test", "callcenter@demo.caregate.test"):
        assert login in r.stdout
    assert "caregate-demo-2026" in r.stdout and "http://" in r.stdout
    again = cg(env, "demo")
    assert again.returncode == 0
    from caregate.engine import BUILTIN_ROLES
    from caregate.store import repo

    with services.unit() as uow:
        owner = repo.user_by_email(uow.session, email="owner@demo.caregate.test")
        (org, _), = repo.orgs_of_user(uow.session, user_id=owner.id)  # loaded once, not twice
        held_by = repo.member_statuses_and_roles(uow.session, org_id=org.id, statuses=["active"])
        held = set().union(*held_by.values())
    assert held == set(BUILTIN_ROLES)
    # a lived-in clinic, made through the use cases (so its audit trail is a real one)
    from sqlalchemy import text

    with services.unit() as uow:
        def count(table: str) -> int:
            return uow.session.execute(text(f"SELECT count(*) FROM {table} WHERE org_id = :o"), {"o": org.id}).scalar()

        assert count("patients") == 3 and count("clinical_sessions") == 3 and count("session_shares") == 1
        assert count("templates") == 2 and count("appointments") == 1 and count("invoices") == 1
        assert count("audit_events") > 20
        # the operator loaded it: the event carries no role's reasons (none leak from the unit's last decision)
        body = uow.session.execute(text("SELECT body FROM audit_events WHERE org_id = :o AND action = 'demo.loaded'"),
                                   {"o": org.id}).scalar_one()
        assert not json.loads(body).get("reasons"), body


def test_org_create_and_bad_input(env, services):
    r = cg(env, "org", "create", "--name", "Fjord Clinic", "--owner-email", "Boss@Example.org",
           "--preset", "telehealth")
    assert r.returncode == 0, r.stderr
    assert "boss@example.org" in r.stdout
    from caregate.store import repo

    with services.unit() as uow:
        (message,) = repo.outbox(uow.session, to_address="boss@example.org")
        assert "token=cgi_" in message.body
    bad = cg(env, "org", "create", "--name", "X", "--owner-email", "not an email")
    assert bad.returncode == 2 and "not a valid email" in bad.stderr
    bad = cg(env, "org", "create", "--name", "X", "--owner-email", "a@example.org", "--plan", "gold")
    assert bad.returncode == 2 and "unknown plan" in bad.stderr
    missing = cg(env, "org", "create", "--name", "X")
    assert missing.returncode == 2


def test_check_prints_the_decision_and_exits_by_it(env, world):
    org_id, _owner = world.org()
    clin = world.member(org_id, "clin@example.org", ("clinician",))
    other = world.member(org_id, roles=("clinician",))
    mine, theirs = world.session(org_id, clin.member_id), world.session(org_id, other.member_id)
    ok = cg(env, "check", "--member", "clin@example.org", "--action", "sessions:read", "--resource", f"sessions:{mine}")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "ALLOWED" in ok.stdout and "role Clinician allows sessions:read" in ok.stdout
    no = cg(env, "check", "--member", "clin@example.org", "--action", "sessions:delete", "--resource",
            f"sessions:{theirs}")
    assert no.returncode == 3 and "DENIED" in no.stdout and "only the session's owner" in no.stdout
    assert cg(env, "check", "--member", "nobody@example.org", "--action", "sessions:read", "--resource",
              f"sessions:{mine}").returncode == 4
    assert cg(env, "check", "--member", "clin@example.org", "--action", "sessions:fly", "--resource",
              f"sessions:{mine}").returncode == 2
    assert cg(env, "check", "--member", "clin@example.org", "--action", "sessions:read", "--resource",
              "sessions").returncode == 2


def test_access_reviews_open_due_opens_what_the_schedule_owes(env, world, services):
    """The cron command: a repeating review past its due date gets its next one, opened if its start has come."""
    from datetime import UTC, datetime, timedelta

    from caregate.service import access_reviews
    from caregate.service.actors import actor_for_member
    from caregate.store import repo
    from caregate.store.reviews import AccessReview

    org_id, owner = world.org("Harbour")
    world.member(org_id, roles=("administrator",))
    with services.unit() as uow:
        org = repo.get_org(uow.session, org_id=org_id)
        member = repo.get_member(uow.session, org_id=org_id, member_id=owner.member_id)
        actor = actor_for_member(uow, org, member, repo.get_user(uow.session, user_id=owner.user_id))
        first = access_reviews.start(uow, actor, title="Weekly access review", due_days=7, interval_days=7).id
    # the command runs on the real clock: the review started ten days before it, so its next started three days ago
    with services.unit() as uow:
        row = uow.session.get(AccessReview, first)
        row.starts_at = datetime.now(UTC) - timedelta(days=10)
        row.due_at = row.starts_at + timedelta(days=7)
    r = cg(env, "access-reviews", "open-due")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"{org_id}: opened 1, completed 0, scheduled the next of 1" in r.stdout
    with services.unit() as uow:
        nxt = uow.session.query(AccessReview).filter_by(previous_id=first).one()
        assert nxt.opened_at is not None and nxt.starts_at == row.starts_at + timedelta(days=7)
    again = cg(env, "access-reviews", "open-due")
    assert again.returncode == 0 and "no access review is due" in again.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_starts_migrated_and_answers(env):
    port = _free_port()
    proc = subprocess.Popen([CAREGATE, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("caregate serve did not answer")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=5) as response:
            assert b'"/v1/orgs/{org_id}/check"' in response.read()
    finally:
        proc.terminate()
        output = proc.communicate(timeout=20)[0]
    assert re.search(rf"listening on http://127.0.0.1:{port}", output), output
