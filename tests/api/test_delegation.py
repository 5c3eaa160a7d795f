"""Delegation (the third seed: "Temporary delegation - 'Acting Manager' role for coverage"): a member hands one
of their own roles to a colleague until a date; the colleague acts with it, and it ends on its own."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from caregate.store.audit import AuditEvent
from caregate.store.clinical import Notification


def setup(world: Any) -> tuple[str, Any, Any, Any, str]:
    org_id, owner = world.org()
    manager = world.member(org_id, roles=("manager",))
    cover = world.member(org_id, roles=("clinician",))
    patient = world.patient(org_id)  # on nobody's care list: a Manager reads it, a Clinician does not
    return org_id, owner, manager, cover, patient


def delegate(client: Any, org_id: str, who: Any, to: Any, **body: Any) -> Any:
    return client.post(f"/v1/orgs/{org_id}/members/{to.member_id}/delegations", json=body, headers=who.headers)


def test_an_acting_manager_has_the_role_until_the_date(client: Any, world: Any, clock: Any) -> None:
    org_id, owner, manager, cover, patient = setup(world)
    base = f"/v1/orgs/{org_id}"
    assert client.get(f"{base}/patients/{patient}", headers=cover.headers).status_code == 403
    until = (clock.now() + timedelta(days=7)).isoformat()
    r = delegate(client, org_id, manager, cover, role="manager", until=until)
    assert r.status_code == 201, r.text
    [acting] = [g for g in r.json()["roles"] if g["delegated_by"]]
    assert acting["role"] == "manager" and acting["delegated_by"] == manager.member_id and acting["expires_at"]
    assert r.json()["seat_type"] == "standard"  # unchanged: a delegation never changes the bill
    # at once, with no new login: the colleague reads what a Manager reads
    assert client.get(f"{base}/patients/{patient}", headers=cover.headers).status_code == 200
    with world.services.unit() as uow:
        told = list(uow.session.scalars(select(Notification.membership_id).where(Notification.kind == "delegation")))
        [event] = list(uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "members.delegate")))
    assert told == [cover.member_id] and event.actor_member_id == manager.member_id
    # an administrator's change of the colleague's own roles keeps the delegation
    r = client.put(f"{base}/members/{cover.member_id}/roles", json={"roles": ["clinician", "assistant"]},
                   headers=owner.headers)
    assert r.status_code == 200 and "manager" in [g["role"] for g in r.json()["roles"]]
    clock.advance(timedelta(days=7))
    cover = world.relogin(cover)
    assert client.get(f"{base}/patients/{patient}", headers=cover.headers).status_code == 403


def test_the_giver_or_whoever_changes_roles_ends_it(client: Any, world: Any, clock: Any) -> None:
    org_id, owner, manager, cover, patient = setup(world)
    base = f"/v1/orgs/{org_id}"
    until = (clock.now() + timedelta(days=3)).isoformat()
    member = delegate(client, org_id, manager, cover, role="manager", until=until).json()
    [acting] = [g for g in member["roles"] if g["delegated_by"]]
    other = world.member(org_id, roles=("manager",))
    url = f"{base}/members/{cover.member_id}/delegations/{acting['id']}"
    assert client.delete(url, headers=other.headers).status_code == 403  # another Manager changes no roles
    r = client.delete(url, headers=manager.headers)
    assert r.status_code == 200 and not [g for g in r.json()["roles"] if g["delegated_by"]]
    assert client.get(f"{base}/patients/{patient}", headers=cover.headers).status_code == 403
    assert client.delete(url, headers=manager.headers).status_code == 404
    again = delegate(client, org_id, manager, cover, role="manager", until=until).json()
    [acting] = [g for g in again["roles"] if g["delegated_by"]]
    r = client.delete(f"{base}/members/{cover.member_id}/delegations/{acting['id']}", headers=owner.headers)
    assert r.status_code == 200
    # an ordinary role is no delegation
    [own] = [g for g in again["roles"] if not g["delegated_by"]]
    assert client.delete(f"{base}/members/{cover.member_id}/delegations/{own['id']}",
                         headers=owner.headers).status_code == 404


def test_what_cannot_be_delegated(client: Any, world: Any, clock: Any) -> None:
    org_id, owner, manager, cover, _ = setup(world)
    assistant = world.member(org_id, roles=("assistant",))
    admin = world.member(org_id, roles=("administrator",))
    soon = (clock.now() + timedelta(days=2)).isoformat()
    cases = [
        (manager, cover, {"role": "administrator", "until": soon}, 422, "a role you hold"),
        (owner, cover, {"role": "owner", "until": soon}, 422, "never delegated"),
        (manager, cover, {"role": "manager", "until": (clock.now() + timedelta(days=91)).isoformat()}, 422,
         "within 90 days"),
        (manager, cover, {"role": "manager", "until": "2020-01-01T00:00:00Z"}, 422, "within 90 days"),
        (manager, cover, {"role": "manager", "until": "2030-01-01T00:00:00"}, 422, "timezone"),
        (manager, cover, {"role": "manager"}, 422, "until"),
        (manager, manager, {"role": "manager", "until": soon}, 403, "their own roles"),
        (cover, assistant, {"role": "clinician", "until": soon}, 403, "no role or grant"),
        (admin, assistant, {"role": "administrator", "until": soon}, 422, "standard seat"),
        (manager, cover, {"role": "manager", "until": soon, "extra": 1}, 422, "extra"),
    ]
    for giver, to, body, status, words in cases:
        r = delegate(client, org_id, giver, to, **body)
        assert r.status_code == status, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert words in r.text, (body, r.text)
    r = client.get(f"/v1/orgs/{org_id}/members/{cover.member_id}", headers=owner.headers)
    assert [g["role"] for g in r.json()["roles"]] == ["clinician"]  # nothing was written
    other_org, other_owner = world.org("Elsewhere")
    r = client.post(f"/v1/orgs/{other_org}/members/{cover.member_id}/delegations", headers=other_owner.headers,
                    json={"role": "owner", "until": soon})
    assert r.status_code == 404
