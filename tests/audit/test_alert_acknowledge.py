"""Acknowledging an alert: whoever is alerted (audit:read) marks it as looked into, once, with a note; recorded."""

from __future__ import annotations

from audit_helpers import events


def raise_alert(services, org_id, member_id, patient_id="pat_1"):  # type: ignore[no-untyped-def]
    """A break-glass event: the one rule that alerts on every event."""
    with services.unit() as uow:
        uow.record("break_glass.declare", org_id=org_id, actor_member_id=member_id, patient_id=patient_id,
                   purpose="emergency")


def alerts(client, org_id, headers):  # type: ignore[no-untyped-def]
    r = client.get(f"/v1/orgs/{org_id}/audit/alerts", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_an_owner_acknowledges_an_alert_once_with_a_note_and_it_is_recorded(client, services, world):
    org_id, owner = world.org()
    clinician = world.member(org_id, roles=("clinician",))
    raise_alert(services, org_id, clinician.member_id)
    (alert,) = alerts(client, org_id, owner.headers)
    assert alert["acknowledged_at"] is None
    url = f"/v1/orgs/{org_id}/audit/alerts/{alert['id']}/acknowledge"
    r = client.post(url, json={"note": "  night shift, patient in resus  "}, headers=owner.headers)
    assert r.status_code == 200, r.text
    assert r.json()["acknowledged_by"] == owner.member_id and r.json()["acknowledged_note"] == \
        "night shift, patient in resus"
    (listed,) = alerts(client, org_id, owner.headers)
    assert listed["acknowledged_at"] is not None and listed["acknowledged_by"] == owner.member_id
    (event,) = events(services, org_id, action="audit.alert_acknowledged")
    assert event["object_id"] == alert["id"] and event["actor_member_id"] == owner.member_id
    assert event["before"] == {"acknowledged_at": None} and event["after"]["note"] == "night shift, patient in resus"
    again = client.post(url, headers=owner.headers)
    assert again.status_code == 409 and "already acknowledged" in again.json()["detail"]
    assert len(events(services, org_id, action="audit.alert_acknowledged")) == 1


def test_an_administrator_may_acknowledge_without_a_note(client, services, world):
    org_id, owner = world.org()
    admin = world.member(org_id, roles=("administrator",))
    raise_alert(services, org_id, owner.member_id)
    (alert,) = alerts(client, org_id, admin.headers)
    r = client.post(f"/v1/orgs/{org_id}/audit/alerts/{alert['id']}/acknowledge", headers=admin.headers)
    assert r.status_code == 200, r.text
    assert r.json()["acknowledged_by"] == admin.member_id and r.json()["acknowledged_note"] is None


def test_a_clinician_is_refused_and_nothing_changes(client, services, world):
    org_id, owner = world.org()
    clinician = world.member(org_id, roles=("clinician",))
    raise_alert(services, org_id, clinician.member_id)
    (alert,) = alerts(client, org_id, owner.headers)
    r = client.post(f"/v1/orgs/{org_id}/audit/alerts/{alert['id']}/acknowledge", headers=clinician.headers)
    assert r.status_code == 403
    assert alerts(client, org_id, owner.headers)[0]["acknowledged_at"] is None
    assert [e["outcome"] for e in events(services, org_id, action="audit.read")] == ["denied"]


def test_another_organisations_alert_is_not_found_and_a_long_note_is_refused(client, services, world):
    org_id, owner = world.org()
    other_org, other_owner = world.org("Elsewhere")
    raise_alert(services, other_org, other_owner.member_id)
    (theirs,) = alerts(client, other_org, other_owner.headers)
    r = client.post(f"/v1/orgs/{org_id}/audit/alerts/{theirs['id']}/acknowledge", headers=owner.headers)
    assert r.status_code == 404
    long = client.post(f"/v1/orgs/{other_org}/audit/alerts/{theirs['id']}/acknowledge", json={"note": "x" * 501},
                       headers=other_owner.headers)
    assert long.status_code == 422
    assert alerts(client, other_org, other_owner.headers)[0]["acknowledged_at"] is None
