"""Organisations through the API: create with a preset, rename, plan and trial, delete."""

from __future__ import annotations


def test_create_organisation_with_a_preset(client, world):
    _, someone = world.org()
    r = client.post("/v1/orgs", json={"name": "  North   Clinic ", "preset": "multi_location", "plan": "practice"},
                    headers=someone.headers)
    assert r.status_code == 201, r.text
    org = r.json()
    assert org["name"] == "North Clinic" and org["my_roles"] == ["owner"] and org["preset"] == "multi_location"
    locations = client.get(f"/v1/orgs/{org['id']}/locations", headers=someone.headers).json()
    regions = {loc["name"] for loc in locations if loc["kind"] == "region"}
    assert regions == {"North", "South"}
    south = next(loc["id"] for loc in locations if loc["name"] == "South")
    assert {loc["name"] for loc in locations if loc["parent_id"] == south} == {"South Clinic", "Harbour Clinic"}
    teams = {t["name"] for t in client.get(f"/v1/orgs/{org['id']}/teams", headers=someone.headers).json()}
    assert teams == {"Clinical", "Billing", "Operations"}
    settings = client.get(f"/v1/orgs/{org['id']}/settings", headers=someone.headers).json()
    assert settings["template_manager_enabled"] is False
    mine = {o["id"] for o in client.get("/v1/orgs", headers=someone.headers).json()}
    assert org["id"] in mine


def test_unknown_preset_and_plan_are_refused(client, world):
    _, someone = world.org()
    r = client.post("/v1/orgs", json={"name": "X", "preset": "castle"}, headers=someone.headers)
    assert r.status_code == 422 and "unknown preset" in r.json()["detail"]
    r = client.post("/v1/orgs", json={"name": "X", "plan": "platinum"}, headers=someone.headers)
    assert r.status_code == 422


def test_rename_and_delete_need_the_right_roles(client, world):
    org_id, owner = world.org("Old Name")
    admin = world.member(org_id, roles=("administrator",))
    clin = world.member(org_id, roles=("clinician",))
    assert client.patch(f"/v1/orgs/{org_id}", json={"name": "New"}, headers=clin.headers).status_code == 403
    assert client.patch(f"/v1/orgs/{org_id}", json={"name": "New Name"}, headers=admin.headers).json()["name"] == \
        "New Name"
    # an Administrator cannot delete the organisation
    r = client.request("DELETE", f"/v1/orgs/{org_id}", json={"confirm_name": "New Name"}, headers=admin.headers)
    assert r.status_code == 403
    r = client.request("DELETE", f"/v1/orgs/{org_id}", json={"confirm_name": "wrong"}, headers=owner.headers)
    assert r.status_code == 422
    r = client.request("DELETE", f"/v1/orgs/{org_id}", json={"confirm_name": "New Name"}, headers=owner.headers)
    assert r.status_code == 204
    assert client.get(f"/v1/orgs/{org_id}", headers=owner.headers).status_code == 404


def test_trial_only_once(client, world):
    org_id, owner = world.org(plan="free")
    first = client.put(f"/v1/orgs/{org_id}/subscription", json={"start_trial": True}, headers=owner.headers)
    assert first.status_code == 200 and first.json()["trial_running"] is True
    again = client.put(f"/v1/orgs/{org_id}/subscription", json={"start_trial": True}, headers=owner.headers)
    assert again.status_code == 409


def test_teams_and_locations(client, world):
    org_id, owner = world.org()
    clin = world.member(org_id, roles=("clinician",))
    t = client.post(f"/v1/orgs/{org_id}/teams", json={"name": "Cardiology"}, headers=owner.headers).json()
    assert client.post(f"/v1/orgs/{org_id}/teams", json={"name": "cardiology"}, headers=owner.headers
                       ).status_code == 409
    assert client.post(f"/v1/orgs/{org_id}/teams", json={"name": "X"}, headers=clin.headers).status_code == 403
    assert [x["name"] for x in client.get(f"/v1/orgs/{org_id}/teams", headers=clin.headers).json()] == ["Cardiology"]
    client.put(f"/v1/orgs/{org_id}/members/{clin.member_id}/structure", json={"team_ids": [t["id"]]},
               headers=owner.headers)
    r = client.delete(f"/v1/orgs/{org_id}/teams/{t['id']}", headers=owner.headers)
    assert r.status_code == 409 and "still has members" in r.json()["detail"]
    region = client.post(f"/v1/orgs/{org_id}/locations", json={"name": "West", "kind": "region"},
                         headers=owner.headers).json()
    site = client.post(f"/v1/orgs/{org_id}/locations", json={"name": "West Clinic", "parent_id": region["id"]},
                       headers=owner.headers).json()
    bad = client.post(f"/v1/orgs/{org_id}/locations", json={"name": "Sub", "parent_id": site["id"]},
                      headers=owner.headers)
    assert bad.status_code == 422 and "parent must be a region" in bad.json()["detail"]
    assert client.delete(f"/v1/orgs/{org_id}/locations/{region['id']}", headers=owner.headers).status_code == 409
    assert client.delete(f"/v1/orgs/{org_id}/locations/{site['id']}", headers=owner.headers).status_code == 204


def test_location_limited_role_reaches_the_region_below(client, world):
    """A role held at a region applies at the clinics under it, and not elsewhere."""
    org_id, owner = world.org()
    region = world.location(org_id, "North")
    north_site = world.location(org_id, "North Clinic", parent=region)
    south = world.location(org_id, "South")
    south_site = world.location(org_id, "South Clinic", parent=south)
    manager = world.member(org_id, roles=("clinician",))
    r = client.put(f"/v1/orgs/{org_id}/members/{manager.member_id}/roles",
                   json={"roles": ["clinician", {"role": "front_desk", "location_id": region}]}, headers=owner.headers)
    assert r.status_code == 200, r.text

    def can(location):
        body = {"action": "appointments:check_in",
                "resource": {"type": "appointments", "id": "a1", "location_ids": [location]}}
        return client.post(f"/v1/orgs/{org_id}/check", json=body, headers=manager.headers).json()["allowed"]

    assert can(north_site) and can(region)
    assert not can(south_site)


def test_deleting_an_organisation_removes_everything_in_it(client, world, services):
    _, someone = world.org()
    org = client.post("/v1/orgs", json={"name": "Gone", "preset": "multi_location"}, headers=someone.headers).json()
    clin = world.member(org["id"], roles=("clinician",))
    patient = world.patient(org["id"], care_team=(clin.member_id,))
    world.session(org["id"], clin.member_id, patient=patient, shares={someone.member_id: "view"})
    r = client.request("DELETE", f"/v1/orgs/{org['id']}", json={"confirm_name": "Gone"}, headers=someone.headers)
    assert r.status_code == 204, r.text
    from sqlalchemy import text

    with services.unit() as uow:
        for table in ("memberships", "teams", "locations", "patients", "clinical_sessions", "session_shares"):
            left = uow.session.execute(text(f"SELECT count(*) FROM {table} WHERE org_id = :o"), {"o": org["id"]})
            assert left.scalar() == 0, table
