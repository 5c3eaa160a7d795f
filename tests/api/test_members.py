"""Members through the API: invite and accept, roles, status changes, delete and transfer."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from support import PASSWORD

PROBLEM = "application/problem+json"


def _link_token(services, email: str) -> str:
    from caregate.store import repo

    with services.unit() as uow:
        messages = repo.outbox(uow.session, to_address=email)
    assert messages, f"no email to {email}"
    match = re.search(r"token=(cgi_[A-Za-z0-9_-]+)", messages[0].body)
    assert match, messages[0].body
    return match.group(1)


def invite(client, org_id, login, email, roles, **extra):
    body = {"email": email, "roles": roles, **extra}
    return client.post(f"/v1/orgs/{org_id}/members", json=body, headers=login.headers)


def test_invite_accept_and_log_in(client, world, services):
    org_id, owner = world.org(plan="free")
    r = invite(client, org_id, owner, "New.Person@Example.org", ["clinician"], name="New Person")
    assert r.status_code == 201, r.text
    member = r.json()["member"]
    assert member["status"] == "invited"
    assert member["email"] == "new.person@example.org"
    assert member["seat_type"] == "standard"
    token = _link_token(services, "new.person@example.org")

    # the invitation token is stored only as its hash
    from caregate.store.tables import Invitation

    with services.unit() as uow:
        stored = uow.session.query(Invitation).one()
        assert token not in stored.token_hash and len(stored.token_hash) == 64

    r = client.post("/v1/invitations/accept", json={"token": token, "password": "short"})
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    assert "at least 12 characters" in r.text
    r = client.post("/v1/invitations/accept", json={"token": token, "password": PASSWORD})
    assert r.status_code == 200, r.text
    assert r.json()["member"]["status"] == "active"
    login_token = r.json()["login"]["token"]
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {login_token}"}).status_code == 200
    # single use
    again = client.post("/v1/invitations/accept", json={"token": token, "password": PASSWORD})
    assert again.status_code == 422 and "invalid, already used or expired" in again.json()["detail"]
    r = client.post("/v1/auth/login", json={"email": "new.person@example.org", "password": PASSWORD})
    assert r.status_code == 200


def test_invitation_expires(client, world, services, clock):
    org_id, owner = world.org(plan="free")
    assert invite(client, org_id, owner, "late@example.org", ["assistant"]).status_code == 201
    token = _link_token(services, "late@example.org")
    clock.advance(hours=services.settings.invitation_ttl_hours, seconds=1)
    r = client.post("/v1/invitations/accept", json={"token": token, "password": PASSWORD})
    assert r.status_code == 422
    assert "expired" in r.json()["detail"]


def test_resend_replaces_the_link_and_revoke_withdraws_it(client, world, services):
    org_id, owner = world.org(plan="free")
    member_id = invite(client, org_id, owner, "twice@example.org", ["assistant"]).json()["member"]["id"]
    first = _link_token(services, "twice@example.org")
    assert client.post(f"/v1/orgs/{org_id}/members/{member_id}/invitation", headers=owner.headers).status_code == 202
    second = _link_token(services, "twice@example.org")
    assert first != second
    assert client.post("/v1/invitations/accept", json={"token": first, "password": PASSWORD}).status_code == 422
    assert client.delete(f"/v1/orgs/{org_id}/members/{member_id}/invitation", headers=owner.headers).status_code == 204
    assert client.post("/v1/invitations/accept", json={"token": second, "password": PASSWORD}).status_code == 422


def test_existing_user_accepts_with_their_own_password(client, world, services):
    org_a, _owner_a = world.org("A")
    org_b, owner_b = world.org("B")
    person = world.member(org_a, "shared@example.org", ("clinician",))
    assert invite(client, org_b, owner_b, person.email, ["assistant"]).status_code == 201
    token = _link_token(services, person.email)
    wrong = client.post("/v1/invitations/accept", json={"token": token, "password": "another password 123"})
    assert wrong.status_code == 422 and "already have a caregate account" in wrong.json()["detail"]
    ok = client.post("/v1/invitations/accept", json={"token": token, "password": PASSWORD})
    assert ok.status_code == 200
    orgs = {o["id"] for o in client.get("/v1/me", headers=person.headers).json()["organisations"]}
    assert orgs == {org_a, org_b}


def test_only_owners_and_administrators_invite(client, world):
    org_id, _ = world.org()
    for roles in (("clinician",), ("assistant",), ("manager",), ("front_desk",), ("template_manager",)):
        login = world.member(org_id, roles=roles)
        r = invite(client, org_id, login, f"x-{roles[0]}@example.org", ["assistant"])
        assert r.status_code == 403, (roles, r.text)
        assert r.headers["content-type"] == PROBLEM
        assert any(reason["code"] == "default-deny" for reason in r.json()["reasons"])
    admin = world.member(org_id, roles=("administrator",))
    assert invite(client, org_id, admin, "ok@example.org", ["assistant"]).status_code == 201


def test_assign_only_at_your_rank_or_below(client, world):
    org_id, _ = world.org()
    admin = world.member(org_id, roles=("administrator",))
    r = invite(client, org_id, admin, "boss@example.org", ["owner"])
    assert r.status_code == 403
    assert r.json()["reasons"][0]["code"] == "forbid:rank"
    clin = world.member(org_id, roles=("clinician",))
    r = client.put(f"/v1/orgs/{org_id}/members/{clin.member_id}/roles", json={"roles": ["owner"]},
                   headers=admin.headers)
    assert r.status_code == 403 and r.json()["reasons"][0]["code"] == "forbid:rank"
    r = client.put(f"/v1/orgs/{org_id}/members/{clin.member_id}/roles", json={"roles": ["administrator"]},
                   headers=admin.headers)
    assert r.status_code == 200


def test_administrator_cannot_demote_disable_or_remove_an_owner(client, world):
    org_id, owner = world.org()
    second_owner = world.member(org_id, roles=("owner",))
    admin = world.member(org_id, roles=("administrator",))
    base = f"/v1/orgs/{org_id}/members/{second_owner.member_id}"
    attempts = [client.put(f"{base}/roles", json={"roles": ["clinician"]}, headers=admin.headers),
                client.post(f"{base}/disable", headers=admin.headers),
                client.post(f"{base}/archive", headers=admin.headers),
                client.delete(base, headers=admin.headers)]
    for r in attempts:
        assert r.status_code == 403, r.text
        assert r.json()["reasons"][0]["code"] == "forbid:outranked"
        assert "Owner" in r.json()["detail"]
    # an Owner can
    assert client.put(f"{base}/roles", json={"roles": ["clinician"]}, headers=owner.headers).status_code == 200


def test_nobody_changes_their_own_roles(client, world):
    org_id, owner = world.org()
    admin = world.member(org_id, roles=("administrator",))
    for login in (owner, admin):
        r = client.put(f"/v1/orgs/{org_id}/members/{login.member_id}/roles", json={"roles": ["clinician"]},
                       headers=login.headers)
        assert r.status_code == 403
        assert r.json()["reasons"][0]["code"] == "forbid:own-roles"
        r = client.put(f"/v1/orgs/{org_id}/members/{login.member_id}/structure", json={"team_ids": []},
                       headers=login.headers)
        assert r.status_code == 403


def test_last_active_owner_cannot_be_demoted_disabled_archived_or_deleted(client, world):
    org_id, owner = world.org()
    other = world.member(org_id, roles=("owner",))
    # two owners: one may demote the other
    assert client.put(f"/v1/orgs/{org_id}/members/{other.member_id}/roles", json={"roles": ["clinician"]},
                      headers=owner.headers).status_code == 200
    # now `owner` is the last active owner; `other` cannot touch them anyway (rank), so make an owner
    # who is disabled: disabled owners do not count
    third = world.member(org_id, roles=("owner",))
    assert client.post(f"/v1/orgs/{org_id}/members/{third.member_id}/disable", headers=owner.headers).status_code == 200
    base = f"/v1/orgs/{org_id}/members/{owner.member_id}"
    # disabling ended their sessions; logging in again, a disabled member is refused everything
    third_token = world.token(third.email)
    r = client.put(f"{base}/roles", json={"roles": ["clinician"]}, headers={"Authorization": f"Bearer {third_token}"})
    assert r.status_code == 403 and r.json()["reasons"][0]["code"] == "status:disabled"
    assert client.post(f"/v1/orgs/{org_id}/members/{third.member_id}/enable", headers=owner.headers).status_code == 200
    third = world.relogin(third)
    # with two active owners again, third archives owner: allowed; then nobody may remove third
    assert client.post(f"{base}/archive", headers=third.headers).status_code == 200
    for path, method in ((f"/v1/orgs/{org_id}/members/{third.member_id}/roles", "put"),):
        assert getattr(client, method)(path, json={"roles": ["clinician"]}, headers=third.headers).status_code == 403
    restored = client.post(f"{base}/restore", headers=third.headers)
    assert restored.status_code == 200
    owner = world.relogin(owner)  # archiving ended the owner's sessions
    assert client.post(f"/v1/orgs/{org_id}/members/{third.member_id}/archive", headers=owner.headers).status_code == 200
    r = client.post(f"{base}/disable", headers=owner.headers)
    assert r.status_code == 403  # cannot disable oneself when last owner
    assert r.json()["reasons"][0]["code"] == "forbid:last-owner"
    r = client.delete(base, headers=owner.headers)
    assert r.status_code == 403 and r.json()["reasons"][0]["code"] == "forbid:last-owner"


def test_disable_keeps_data_and_blocks_access_at_the_next_request(client, world):
    org_id, owner = world.org()
    clin = world.member(org_id, roles=("clinician",))
    session_id = world.session(org_id, clin.member_id)
    assert client.get(f"/v1/orgs/{org_id}/members/{clin.member_id}", headers=clin.headers).status_code == 200
    assert client.post(f"/v1/orgs/{org_id}/members/{clin.member_id}/disable", headers=owner.headers).status_code == 200
    # the member's sessions ended at once
    r = client.get(f"/v1/orgs/{org_id}/members/{clin.member_id}", headers=clin.headers)
    assert r.status_code == 401
    # logging in again works (the person may belong to other organisations), but this one refuses them
    clin = world.relogin(clin)
    r = client.get(f"/v1/orgs/{org_id}/members/{clin.member_id}", headers=clin.headers)
    assert r.status_code == 403 and r.json()["reasons"][0]["code"] == "status:disabled"
    check = client.post(f"/v1/orgs/{org_id}/check",
                        json={"action": "sessions:read", "resource": {"type": "sessions", "id": session_id}},
                        headers=clin.headers)
    assert check.status_code == 200 and check.json()["allowed"] is False
    assert client.post(f"/v1/orgs/{org_id}/members/{clin.member_id}/enable", headers=owner.headers).status_code == 200
    check = client.post(f"/v1/orgs/{org_id}/check",
                        json={"action": "sessions:read", "resource": {"type": "sessions", "id": session_id}},
                        headers=clin.headers)
    assert check.json()["allowed"] is True


def test_delete_is_refused_while_the_member_owns_clinical_records(client, world):
    org_id, owner = world.org()
    clin = world.member(org_id, roles=("clinician",))
    colleague = world.member(org_id, roles=("clinician",))
    world.session(org_id, clin.member_id)
    world.session(org_id, clin.member_id)
    world.patient(org_id, care_team=(clin.member_id,))
    r = client.delete(f"/v1/orgs/{org_id}/members/{clin.member_id}", headers=owner.headers)
    assert r.status_code == 409
    body = r.json()
    assert body["owned_sessions"] == 2 and body["sole_care_team_patients"] == 1
    assert "transfer" in body["detail"]
    # a support-seat member cannot receive them
    helper = world.member(org_id, roles=("assistant",))
    r = client.post(f"/v1/orgs/{org_id}/members/{clin.member_id}/transfer", json={"to_member_id": helper.member_id},
                    headers=owner.headers)
    assert r.status_code == 422
    r = client.post(f"/v1/orgs/{org_id}/members/{clin.member_id}/transfer",
                    json={"to_member_id": colleague.member_id}, headers=owner.headers)
    assert r.status_code == 200 and r.json() == {"sessions": 2, "care_team_places": 1, "appointments": 0}
    assert client.delete(f"/v1/orgs/{org_id}/members/{clin.member_id}", headers=owner.headers).status_code == 204
    assert client.get(f"/v1/orgs/{org_id}/members/{clin.member_id}", headers=owner.headers).status_code == 404
    # the account's personal data is gone; the records stayed, with the colleague
    assert client.post("/v1/auth/login", json={"email": clin.email, "password": PASSWORD}).status_code == 401
    from caregate.store import repo

    with world.services.unit() as uow:
        assert repo.owned_records(uow.session, org_id=org_id, member_id=colleague.member_id) == (2, 1, 0)


def test_status_changes_follow_the_lifecycle(client, world):
    org_id, owner = world.org()
    clin = world.member(org_id, roles=("clinician",))
    base = f"/v1/orgs/{org_id}/members/{clin.member_id}"
    assert client.post(f"{base}/enable", headers=owner.headers).status_code == 409  # not disabled
    assert client.post(f"{base}/restore", headers=owner.headers).status_code == 409  # not archived
    assert client.post(f"{base}/archive", headers=owner.headers).json()["status"] == "archived"
    assert client.post(f"{base}/disable", headers=owner.headers).status_code == 409
    assert client.post(f"{base}/restore", headers=owner.headers).json()["status"] == "active"


def test_members_list_is_filtered_searchable_and_paged(client, world):
    org_id, owner = world.org()
    team = world.team(org_id, "North")
    for i in range(5):
        world.member(org_id, f"person{i}@example.org", ("clinician",), teams=(team,))
    tm = world.member(org_id, roles=("template_manager",))
    r = client.get(f"/v1/orgs/{org_id}/members", params={"limit": 2}, headers=owner.headers)
    page = r.json()
    assert page["total"] == 7 and len(page["items"]) == 2 and page["next_cursor"]
    seen = [m["id"] for m in page["items"]]
    while page["next_cursor"]:
        page = client.get(f"/v1/orgs/{org_id}/members", params={"limit": 2, "after": page["next_cursor"]},
                          headers=owner.headers).json()
        seen += [m["id"] for m in page["items"]]
    assert len(seen) == len(set(seen)) == 7
    found = client.get(f"/v1/orgs/{org_id}/members", params={"q": "person3"}, headers=owner.headers).json()
    assert [m["email"] for m in found["items"]] == ["person3@example.org"]
    # a Template Manager sees only themselves: the total does not leak the others
    mine = client.get(f"/v1/orgs/{org_id}/members", headers=tm.headers).json()
    assert mine["total"] == 1 and mine["items"][0]["id"] == tm.member_id


def test_team_limited_administrator_manages_only_their_team(client, world, services):
    org_id, owner = world.org()
    north, south = world.team(org_id, "North"), world.team(org_id, "South")
    n1 = world.member(org_id, roles=("clinician",), teams=(north,))
    s1 = world.member(org_id, roles=("clinician",), teams=(south,))
    team_admin = world.member(org_id, roles=("clinician",), teams=(north,))
    r = client.put(f"/v1/orgs/{org_id}/members/{team_admin.member_id}/roles",
                   json={"roles": ["clinician", {"role": "administrator", "team_id": north}]}, headers=owner.headers)
    assert r.status_code == 200, r.text
    ok = client.post(f"/v1/orgs/{org_id}/members/{n1.member_id}/disable", headers=team_admin.headers)
    assert ok.status_code == 200
    no = client.post(f"/v1/orgs/{org_id}/members/{s1.member_id}/disable", headers=team_admin.headers)
    assert no.status_code == 403


@pytest.mark.parametrize("body", [
    {"email": "not-an-email", "roles": ["clinician"]},
    {"email": "a@example.org", "roles": []},
    {"email": "a@example.org", "roles": ["wizard"]},
    {"email": "a@example.org", "roles": [{"role": "clinician", "team_id": "team_doesnotexist"}]},
    {"email": "a@example.org", "roles": ["clinician"], "team_ids": ["team_nope"]},
    {"email": "a@example.org", "roles": ["clinician"], "unexpected": 1},
    {"email": "a@example.org", "roles": ["owner", "owner"]},
    {"email": "a@example.org", "roles": [{"role": "owner", "team_id": "team_x"}]},
    {"email": "a" * 300 + "@example.org", "roles": ["clinician"]},
    {"email": "a@example.org", "roles": ["clinician"] * 11},
])
def test_bad_invitations_are_refused_clearly_with_nothing_written(client, world, services, body):
    org_id, owner = world.org()
    r = client.post(f"/v1/orgs/{org_id}/members", json=body, headers=owner.headers)
    assert r.status_code in (400, 422), r.text
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["detail"]
    from caregate.store import repo

    with services.unit() as uow:
        assert len(repo.outbox(uow.session)) == 0
    assert client.get(f"/v1/orgs/{org_id}/members", headers=owner.headers).json()["total"] == 1


def test_profile_edit_own_and_provider_fields(client, world):
    org_id, _owner = world.org()
    clin = world.member(org_id, roles=("clinician",))
    other = world.member(org_id, roles=("clinician",))
    profile = {"credentials": "MD", "specialties": ["Family medicine"], "licence_number": "AB-123",
               "bio": "Hello", "availability": {"mon": [["09:00", "17:00"]]}}
    r = client.patch(f"/v1/orgs/{org_id}/members/{clin.member_id}", json={"title": "GP", "profile": profile},
                     headers=clin.headers)
    assert r.status_code == 200, r.text
    assert r.json()["profile"]["licence_number"] == "AB-123"
    r = client.patch(f"/v1/orgs/{org_id}/members/{other.member_id}", json={"title": "Hacked"}, headers=clin.headers)
    assert r.status_code == 403
    bad = client.patch(f"/v1/orgs/{org_id}/members/{clin.member_id}",
                       json={"profile": {"availability": {"mon": [["25:00", "17:00"]]}}}, headers=clin.headers)
    assert bad.status_code == 422


def test_role_change_charges_seats_beyond_those_purchased(client, world, services, clock):
    org_id, owner = world.org(plan="practice")
    from caregate.store import repo

    with services.unit() as uow:
        org = repo.get_org(uow.session, org_id=org_id)
        org.seats_purchased = 1
    clock.advance(timedelta(hours=6))
    owner = world.relogin(owner)
    assistant = world.member(org_id, roles=("assistant",))
    r = client.put(f"/v1/orgs/{org_id}/members/{assistant.member_id}/roles", json={"roles": ["clinician"]},
                   headers=owner.headers)
    assert r.status_code == 200 and r.json()["seat_type"] == "standard"
    with services.unit() as uow:
        charges = repo.seat_charges(uow.session, org_id=org_id)
        assert len(charges) == 1 and charges[0].seats == 1 and charges[0].amount_cents > 0


def test_a_conditional_role_filters_the_members_list_like_single_reads(client, world):
    org_id, owner = world.org()
    role = client.post(f"/v1/orgs/{org_id}/roles", headers=owner.headers, json={
        "name": "Roster Clerk", "permissions": {"members": {"read": {"scope": "org", "conditions": [
            {"type": "attr", "attr": "status", "op": "eq", "value": "active"}]}}}}).json()
    clerk = world.member(org_id, roles=(role["key"],))
    gone = world.member(org_id, roles=("clinician",), status="disabled")
    listed = {m["id"] for m in client.get(f"/v1/orgs/{org_id}/members", headers=clerk.headers).json()["items"]}
    assert gone.member_id not in listed and owner.member_id in listed and clerk.member_id in listed
    assert client.get(f"/v1/orgs/{org_id}/members/{gone.member_id}", headers=clerk.headers).status_code == 403
    assert client.get(f"/v1/orgs/{org_id}/members/{owner.member_id}", headers=clerk.headers).status_code == 200
