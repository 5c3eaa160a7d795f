"""Access that ends on its own (the third seed): temporary members, and access that lapses after N days of
inactivity. The member is disabled as an administrator would disable them, by caregate, with the reason."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from caregate.store import repo
from caregate.store.audit import AuditEvent
from caregate.store.tables import Membership

CAREGATE = str(Path(sys.executable).with_name("caregate"))


def last_active(world: Any, member_id: str) -> Any:
    with world.services.unit() as uow:
        return repo.last_active(uow.session, member_ids=[member_id]).get(member_id)


def member_row(world: Any, member_id: str) -> Membership:
    with world.services.unit() as uow:
        row = uow.session.get(Membership, member_id)
        assert row is not None
        uow.session.expunge(row)
        return row


def lapsed_events(world: Any) -> list[AuditEvent]:
    with world.services.unit() as uow:
        return list(uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "members.lapsed")))


def later(world: Any, clock: Any, *logins: Any, **delta: float) -> list[Any]:
    clock.advance(timedelta(**delta))
    return [world.relogin(login) for login in logins]


def test_a_temporary_member_is_disabled_when_their_access_ends(client: Any, world: Any, clock: Any) -> None:
    org_id, owner = world.org()
    locum = world.member(org_id, "locum@example.org")
    base = f"/v1/orgs/{org_id}"
    until = (clock.now() + timedelta(days=14)).isoformat()
    r = client.put(f"{base}/members/{locum.member_id}/access-until", json={"until": until}, headers=owner.headers)
    assert r.status_code == 200, r.text
    assert r.json()["access_until"].startswith(until[:16])
    assert client.get(f"{base}/members", headers=locum.headers).status_code == 200
    locum, owner = later(world, clock, locum, owner, days=14)
    r = client.get(f"{base}/members", headers=locum.headers)
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    assert "temporary access ended" in r.json()["detail"] and "can enable it again" in r.json()["detail"]
    assert member_row(world, locum.member_id).status == "disabled"
    [event] = lapsed_events(world)
    assert event.actor_member_id is None and event.object_id == locum.member_id
    assert "temporary access ended" in event.content["detail"]["why"]
    # their login sessions ended with it; an administrator enables them again, the end date that passed cleared
    assert client.get(f"{base}/members", headers=locum.headers).status_code == 401
    enabled = client.post(f"{base}/members/{locum.member_id}/enable", headers=owner.headers)
    assert enabled.status_code == 200 and enabled.json()["access_until"] is None
    assert client.get(f"{base}/members", headers=world.relogin(locum).headers).status_code == 200


def test_temporary_access_is_set_by_whoever_may_disable_and_never_for_an_owner(client: Any, world: Any,
                                                                               clock: Any) -> None:
    org_id, owner = world.org()
    admin = world.member(org_id, roles=("administrator",))
    other_owner = world.member(org_id, roles=("owner",))
    clinician = world.member(org_id)
    base = f"/v1/orgs/{org_id}"
    soon = (clock.now() + timedelta(days=3)).isoformat()
    r = client.put(f"{base}/members/{clinician.member_id}/access-until", json={"until": soon},
                   headers=clinician.headers)  # nobody shortens anyone's access without members:disable
    assert r.status_code == 403
    r = client.put(f"{base}/members/{other_owner.member_id}/access-until", json={"until": soon}, headers=admin.headers)
    assert r.status_code == 403  # an Administrator cannot disable an Owner, on a schedule either
    r = client.put(f"{base}/members/{other_owner.member_id}/access-until", json={"until": soon}, headers=owner.headers)
    assert r.status_code == 422 and "never temporary" in r.json()["detail"]
    for bad, words in [({"until": "2020-01-01T00:00:00Z"}, "future"), ({"until": "2030-01-01T00:00:00"}, "timezone"),
                       ({"until": "soon"}, "datetime"), ({}, "until"), ({"until": None, "x": 1}, "x")]:
        r = client.put(f"{base}/members/{clinician.member_id}/access-until", json=bad, headers=admin.headers)
        assert r.status_code == 422 and words in r.text, (bad, r.text)
    assert member_row(world, clinician.member_id).access_until is None
    # an invitation can be temporary from the start (never an Owner's)
    invited = client.post(f"{base}/members", json={"email": "temp@example.org", "roles": ["clinician"],
                                                   "access_until": soon}, headers=owner.headers)
    assert invited.status_code == 201 and invited.json()["member"]["access_until"] is not None
    r = client.post(f"{base}/members", json={"email": "boss@example.org", "roles": ["owner"], "access_until": soon},
                    headers=owner.headers)
    assert r.status_code == 422 and "never temporary" in r.json()["detail"]
    # and a temporary member becomes permanent again with null
    client.put(f"{base}/members/{clinician.member_id}/access-until", json={"until": soon}, headers=admin.headers)
    r = client.put(f"{base}/members/{clinician.member_id}/access-until", json={"until": None}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["access_until"] is None


def test_access_lapses_after_days_without_use(client: Any, world: Any, clock: Any) -> None:
    org_id, owner = world.org()
    busy, idle = world.member(org_id), world.member(org_id)
    base = f"/v1/orgs/{org_id}"
    r = client.patch(f"{base}/security", json={"inactivity_days": 30}, headers=owner.headers)
    assert r.status_code == 200 and r.json()["inactivity_days"] == 30
    for _ in range(3):  # the busy member works every 20 days; the idle one never comes back
        busy, owner = later(world, clock, busy, owner, days=20)
        assert client.get(f"{base}/members", headers=busy.headers).status_code == 200
        assert client.get(f"{base}/members", headers=owner.headers).status_code == 200
    assert last_active(world, busy.member_id) == clock.now()
    [idle] = later(world, clock, idle, seconds=1)
    r = client.get(f"{base}/members", headers=idle.headers)
    assert r.status_code == 403 and "lapsed after 30 days without use" in r.json()["detail"]
    assert member_row(world, idle.member_id).status == "disabled"
    assert member_row(world, busy.member_id).status == "active"


def test_the_last_active_owner_never_lapses(client: Any, world: Any, clock: Any) -> None:
    org_id, owner = world.org()
    client.patch(f"/v1/orgs/{org_id}/security", json={"inactivity_days": 7}, headers=owner.headers)
    [owner] = later(world, clock, owner, days=100)
    assert client.get(f"/v1/orgs/{org_id}/members", headers=owner.headers).status_code == 200
    assert member_row(world, owner.member_id).status == "active"


def test_activity_is_written_at_most_hourly(client: Any, world: Any, clock: Any) -> None:
    org_id, owner = world.org()
    client.get(f"/v1/orgs/{org_id}/members", headers=owner.headers)
    first = last_active(world, owner.member_id)
    assert first == clock.now()
    clock.advance(timedelta(minutes=20))
    client.get(f"/v1/orgs/{org_id}/members", headers=owner.headers)
    assert last_active(world, owner.member_id) == first
    clock.advance(timedelta(minutes=41))
    [owner] = [world.relogin(owner)]
    client.get(f"/v1/orgs/{org_id}/members", headers=owner.headers)
    assert last_active(world, owner.member_id) == clock.now()


def test_the_sweep_disables_them_all_before_they_come_back(world: Any, clock: Any, database: Any,
                                                           client: Any) -> None:
    org_id, owner = world.org()
    client.patch(f"/v1/orgs/{org_id}/security", json={"inactivity_days": 10}, headers=owner.headers)
    gone = [world.member(org_id) for _ in range(2)]
    locum = world.member(org_id)
    client.put(f"/v1/orgs/{org_id}/members/{locum.member_id}/access-until",
               json={"until": (clock.now() + timedelta(days=2)).isoformat()}, headers=owner.headers)
    from caregate.service import members

    clock.advance(timedelta(days=3))
    with world.services.unit() as uow:
        done = members.lapse_all(uow, org_id=org_id)
    assert {m for _, m, _ in done} == {locum.member_id}
    clock.advance(timedelta(days=8))
    with world.services.unit() as uow:
        done = members.lapse_all(uow)
    assert {m for _, m, _ in done} == {g.member_id for g in gone}  # the owner never lapses
    assert all(member_row(world, g.member_id).status == "disabled" for g in gone)


@pytest.mark.usefixtures("services")
def test_the_sweep_runs_from_the_command_line(world: Any, database: Any) -> None:
    org_id, _ = world.org()
    env = {**os.environ, "CAREGATE_DATABASE_URL": database.url.render_as_string(hide_password=False)}
    r = subprocess.run([CAREGATE, "members", "lapse", "--org", org_id], env=env, capture_output=True, text=True,
                       timeout=60, check=False, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    assert "0 member(s) disabled" in r.stdout
    r = subprocess.run([CAREGATE, "members", "lapse", "--org", "org_nope"], env=env, capture_output=True, text=True,
                       timeout=60, check=False, stdin=subprocess.DEVNULL)
    assert r.returncode == 4 and "not found" in r.stderr
