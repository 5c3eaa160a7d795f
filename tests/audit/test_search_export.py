"""Search and export: filters, keyset pages, permissions, one organisation only, exports audited and valid."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from audit_helpers import events
from fhir.resources.R4B.auditevent import AuditEvent as FhirAuditEvent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caregate.audit import chain, fhir
from caregate.audit.log import Entry, Record, body_of, patients_named


def _seed(services, org_id, member_id, clock):
    for i in range(30):
        with services.unit() as uow:
            uow.record("patients.read" if i % 2 else "sessions.read", org_id=org_id, actor_member_id=member_id,
                       patient_id=f"pat_{i % 5}", object_type="patients", object_id=f"obj_{i}",
                       outcome="allowed", purpose="treatment")
        clock.advance(minutes=1)


def test_filters_and_keyset_pages(client, services, world, clock):
    org_id, owner = world.org()
    member = world.member(org_id)
    start = clock.now()
    _seed(services, org_id, member.member_id, clock)
    url = f"/v1/orgs/{org_id}/audit/events"
    r = client.get(url, params={"member": member.member_id, "action": "patients.read", "limit": 4},
                   headers=owner.headers)
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["total"] == 15 and len(page["items"]) == 4
    seen = [i["id"] for i in page["items"]]
    while page["next_cursor"]:
        page = client.get(url, params={"member": member.member_id, "action": "patients.read", "limit": 4,
                                       "after": page["next_cursor"]}, headers=owner.headers).json()
        seen += [i["id"] for i in page["items"]]
    assert len(seen) == len(set(seen)) == 15
    by_patient = client.get(url, params={"patient": "pat_3"}, headers=owner.headers).json()
    assert by_patient["total"] == 6 and {i["patient_id"] for i in by_patient["items"]} == {"pat_3"}
    window = {"since": (start + timedelta(minutes=10)).isoformat(),
              "until": (start + timedelta(minutes=15)).isoformat()}
    assert client.get(url, params=window, headers=owner.headers).json()["total"] == 5
    prefix = client.get(url, params={"action": "sessions.", "object_id": "obj_4"}, headers=owner.headers).json()
    assert [i["object_id"] for i in prefix["items"]] == ["obj_4"]
    assert client.get(url, params={"outcome": "denied"}, headers=owner.headers).json()["total"] == 0
    listed = [e for e in events(services, org_id) if e["action"] == "audit.list"]
    assert listed and listed[-1]["detail"]["returned"] == [] and listed[-1]["detail"]["filter"] == {"outcome": "denied"}


@pytest.mark.parametrize(("roles", "status"), [(("administrator",), 200), (("clinician",), 403),
                                               (("front_desk",), 403), (("billing",), 403)])
def test_only_audit_readers_search(client, world, roles, status):
    org_id, _ = world.org()
    member = world.member(org_id, roles=roles)
    assert client.get(f"/v1/orgs/{org_id}/audit/events", headers=member.headers).status_code == status
    assert client.get(f"/v1/orgs/{org_id}/audit/alerts", headers=member.headers).status_code == status


def test_nothing_crosses_organisations(client, services, world, clock):
    org_a, owner_a = world.org()
    org_b, owner_b = world.org()
    _seed(services, org_b, owner_b.member_id, clock)
    items = client.get(f"/v1/orgs/{org_a}/audit/events", params={"limit": 200}, headers=owner_a.headers).json()
    assert all(i["id"] not in {e["id"] for e in events(services, org_b)} for i in items["items"])
    assert client.get(f"/v1/orgs/{org_b}/audit/events", headers=owner_a.headers).status_code == 404
    assert client.get(f"/v1/orgs/{org_b}/audit/export", headers=owner_a.headers).status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "fhir"])
def test_export_is_valid_and_audited(client, services, world, clock, fmt):
    org_id, owner = world.org(plan="enterprise")
    _seed(services, org_id, owner.member_id, clock)
    with services.unit() as uow:
        uow.record("sessions.read", org_id=org_id, actor_member_id=owner.member_id, on_behalf_of="api_key:key_1",
                   user_agent="=HYPERLINK(\"http://evil\")", ip="203.0.113.9", purpose="emergency")
    fresh = {"Authorization": f"Bearer {world.token(owner.email)}"}  # seeding took 30 minutes
    total = len(events(services, org_id))
    r = client.get(f"/v1/orgs/{org_id}/audit/export", params={"format": fmt}, headers=fresh)
    assert r.status_code == 200, r.text
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(r.text)))
        mine = next(row for row in rows if row["on_behalf_of"] == "api_key:key_1")
        assert len(rows) == total and mine["user_agent"].startswith("'=")  # not a formula in a spreadsheet
    elif fmt == "jsonl":
        lines = [json.loads(line) for line in r.text.splitlines()]
        prev = chain.genesis(org_id)
        for line in lines:  # the export re-links: it is the chain itself
            prev = chain.event_hash(prev, chain.canonical(line["event"]), line["event"])
            assert prev == line["hash"]
    else:
        resources = [FhirAuditEvent.model_validate_json(line) for line in r.text.splitlines()]
        assert len(resources) == total
        last = next(e for e in resources if e.purposeOfEvent and e.purposeOfEvent[0].coding[0].code == "ETREAT")
        assert {a.who.identifier.system for a in last.agent if a.who and a.who.identifier} >= {
            "urn:caregate:member", "urn:caregate:api_key"}
        assert last.agent[0].purposeOfUse[0].coding[0].code == "ETREAT"
        patients = [e for e in resources if e.entity and any(x.role and x.role.code == "1" for x in e.entity)]
        assert patients and patients[0].entity[0].what.reference.startswith("Patient/pat_")
    exported = events(services, org_id)[-1]
    assert exported["action"] == "audit.export" and exported["detail"]["count"] == total
    assert exported["detail"]["format"] == fmt and exported["actor_member_id"] == owner.member_id


def test_export_needs_a_recent_sign_in_and_audit_export(client, services, world, clock):
    org_id, owner = world.org()
    clock.advance(minutes=16)
    r = client.get(f"/v1/orgs/{org_id}/audit/export", headers=owner.headers)
    assert r.status_code == 401 and r.json()["type"] == "urn:caregate:problem:reauthentication-required"
    assert not [e for e in events(services, org_id) if e["action"] == "audit.export"]
    fresh = world.token(owner.email)
    assert client.get(f"/v1/orgs/{org_id}/audit/export",
                      headers={"Authorization": f"Bearer {fresh}"}).status_code == 200
    clinician = world.member(org_id, roles=("clinician",))
    assert client.get(f"/v1/orgs/{org_id}/audit/export", headers=clinician.headers).status_code == 403


record_fields = st.fixed_dictionaries({
    "action": st.sampled_from(["auth.login", "auth.logout", "auth.login_failed", "patients.read", "patients.list",
                               "sessions.export", "notes.copy", "members.change_role", "break_glass.declare",
                               "audit.export", "teams.delete", "api_keys.rotate", "x.y", "break_glass.review",
                               "access_request.approve", "members.lapsed"]),
    "outcome": st.sampled_from(["allowed", "denied"]),
    "actor_member_id": st.none() | st.just("mem_1"), "actor_user_id": st.none() | st.just("usr_1"),
    "on_behalf_of": st.none() | st.sampled_from(["api_key:k1", "delegation:d1", "weird"]),
    "object_type": st.none() | st.sampled_from(["patients", "sessions", "members"]),
    "object_id": st.none() | st.text(min_size=1, max_size=20),
    "patient_id": st.none() | st.just("pat_1"),
    "purpose": st.none() | st.sampled_from(["treatment", "emergency", "something else"]),
    "ip": st.none() | st.sampled_from(["127.0.0.1", "2001:db8::1"]),
    "detail": st.dictionaries(st.sampled_from(["returned", "note", "patient_ids"]),
                              st.lists(st.text(max_size=8), max_size=3), max_size=2),
    "reasons": st.lists(st.fixed_dictionaries({"kind": st.just("allow"), "code": st.text(max_size=10),
                                               "message": st.text(max_size=30)}), max_size=2).map(tuple),
})


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=record_fields, seq=st.integers(min_value=1, max_value=10**9))
def test_every_event_becomes_a_valid_fhir_audit_event(clock, fields, seq):
    entry = Entry("evt_1", "org_1", Record(at=clock.now(), org_id="org_1", **fields))
    body = body_of(entry, seq)
    resource = fhir.audit_event(json.loads(chain.canonical(body)),
                                patients_named(body["action"], body["patient_id"], body["detail"]))
    FhirAuditEvent.model_validate(resource)


def test_only_taking_emergency_access_is_a_security_alert(clock):
    """Declaring break-glass is DICOM 110113 Security Alert with purpose ETREAT; reading or reviewing it is not."""
    def coded(action: str) -> dict:
        entry = Entry("evt_1", "org_1", Record(at=clock.now(), org_id="org_1", action=action, patient_id="pat_1",
                                               purpose="break_glass", actor_member_id="mem_1"))
        body = body_of(entry, 1)
        return fhir.audit_event(json.loads(chain.canonical(body)), patients_named(action, "pat_1", {}))

    declared = coded("break_glass.declare")
    assert declared["type"]["code"] == "110113"
    assert declared["purposeOfEvent"][0]["coding"][0]["code"] == "ETREAT"
    assert coded("break_glass.review")["type"]["code"] != "110113"


@given(fields=record_fields)
@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_canonical_text_reads_back_to_itself(clock, fields):
    body = chain.canonical(body_of(Entry("evt_1", "org_1", Record(at=clock.now(), org_id="org_1", **fields)), 1))
    assert chain.canonical(json.loads(body)) == body


@pytest.mark.parametrize("odd", ["\x0c", "a\x00b", "\x0b\x1f", "\u2028"])
def test_control_characters_in_reasons_and_ids_still_make_a_valid_fhir_audit_event(clock, odd):
    fields = {"action": "patients.read", "outcome": "denied", "actor_member_id": "mem_1", "object_type": "patients",
              "object_id": odd, "on_behalf_of": f"api_key:{odd}", "purpose": odd,
              "reasons": ({"kind": "deny", "code": "x", "message": odd},)}
    body = body_of(Entry("evt_1", "org_1", Record(at=clock.now(), org_id="org_1", **fields)), 1)
    resource = fhir.audit_event(json.loads(chain.canonical(body)), [])
    FhirAuditEvent.model_validate(resource)
