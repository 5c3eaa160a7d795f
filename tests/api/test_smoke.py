"""A first walk through the API: log in, see my organisation, list members."""

from __future__ import annotations


def test_login_and_list_members(client, world):
    org_id, owner = world.org()
    clin = world.member(org_id, roles=("clinician",))
    r = client.get(f"/v1/orgs/{org_id}/members", headers=owner.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 2
    assert {m["email"] for m in body["items"]} == {owner.email, clin.email}
    r = client.get("/v1/me", headers=clin.headers)
    assert r.status_code == 200
    assert r.json()["organisations"][0]["id"] == org_id
