"""Alerts: failed sign-in bursts, bulk access, off-hours access, break-glass; stored, emailed, posted signed."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from audit_helpers import events

from caregate.service import audit_webhooks
from caregate.store import repo


def _alerts(client, org_id, headers):
    r = client.get(f"/v1/orgs/{org_id}/audit/alerts", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def _outbox(services, org_id):
    with services.unit(write=False) as uow:
        return [m for m in repo.outbox(uow.session) if m.kind == "audit_alert" and m.org_id == org_id]


def _wrong_password(client, email):
    assert client.post("/v1/auth/login", json={"email": email, "password": "not the password"}).status_code == 401


def test_a_burst_of_failed_sign_ins_raises_one_alert_emailed_to_owners_and_admins(client, services, world):
    org_id, owner = world.org()
    admin = world.member(org_id, roles=("administrator",))
    world.member(org_id, roles=("clinician",))
    victim = world.member(org_id, roles=("clinician",))
    # let the account take the attempts without locking, so only the burst rule speaks
    r = client.patch(f"/v1/orgs/{org_id}/security", json={"lockout": {"max_failures": 50}}, headers=owner.headers)
    assert r.status_code == 200
    for _ in range(4):
        _wrong_password(client, victim.email)
    assert _alerts(client, org_id, owner.headers) == []  # 4 < 5 (the default threshold)
    for _ in range(3):
        _wrong_password(client, victim.email)
    alerts = _alerts(client, org_id, owner.headers)
    assert [a["rule"] for a in alerts] == ["failed_logins"]  # once per window, not once per attempt
    assert alerts[0]["detail"]["count"] == 5 and alerts[0]["member_id"] == victim.member_id
    assert sorted(m.to_address for m in _outbox(services, org_id)) == sorted([owner.email, admin.email])


def test_a_lockout_raises_its_own_alert(client, services, world):
    org_id, owner = world.org()
    victim = world.member(org_id, roles=("clinician",))
    for _ in range(5):  # the default lockout: five failures
        _wrong_password(client, victim.email)
    rules = sorted(a["rule"] for a in _alerts(client, org_id, owner.headers))
    assert rules == ["failed_logins", "lockout"]


def test_failed_sign_ins_long_apart_do_not_alert(client, world, clock):
    org_id, owner = world.org()
    victim = world.member(org_id)
    for _ in range(8):
        _wrong_password(client, victim.email)
        clock.advance(minutes=3)  # 4 per 10 minutes at most
    owner = world.relogin(owner)
    # (the account does lock after its fifth consecutive failure: that alert is not the burst rule's)
    assert [a for a in _alerts(client, org_id, owner.headers) if a["rule"] == "failed_logins"] == []


def _reads(services, org_id, member_id, patients, action="patients.read"):
    with services.unit() as uow:
        for p in patients:
            uow.record(action, org_id=org_id, actor_member_id=member_id, patient_id=p, object_type="patients",
                       object_id=p)


def _bulk_setup(client, world, *, patients, minutes):
    """An organisation whose bulk-access rule fires past `patients` in `minutes`, and a clinician in it."""
    org_id, owner = world.org()
    assert client.patch(f"/v1/orgs/{org_id}/audit/settings", json={"bulk_access_patients": patients,
                                                                   "bulk_access_minutes": minutes},
                        headers=owner.headers).status_code == 200
    return org_id, owner, world.member(org_id)


def test_bulk_access_counts_distinct_patients_per_member_in_the_window(client, services, world, clock):
    org_id, owner, clinician = _bulk_setup(client, world, patients=10, minutes=30)
    _reads(services, org_id, clinician.member_id, [f"pat_{i}" for i in range(6)])
    _reads(services, org_id, clinician.member_id, [f"pat_{i}" for i in range(6)])  # the same six again
    clock.advance(minutes=31)
    owner = world.relogin(owner)
    _reads(services, org_id, clinician.member_id, [f"pat_{i}" for i in range(6, 12)])  # six new, the old ones aged
    assert not [a for a in _alerts(client, org_id, owner.headers) if a["rule"] == "bulk_access"]
    with services.unit() as uow:  # a patient list counts what it returned
        uow.record("patients.list", org_id=org_id, actor_member_id=clinician.member_id, object_type="patients",
                   detail={"returned": [f"pat_{i}" for i in range(12, 20)], "total": 8})
    bulk = [a for a in _alerts(client, org_id, owner.headers) if a["rule"] == "bulk_access"]
    assert len(bulk) == 1 and bulk[0]["member_id"] == clinician.member_id and bulk[0]["detail"]["patients"] == 14


def test_bulk_access_counts_a_patient_touched_again_from_its_latest_touch(client, services, world, clock):
    org_id, owner, clinician = _bulk_setup(client, world, patients=3, minutes=30)
    _reads(services, org_id, clinician.member_id, ["pat_0", "pat_1", "pat_2"])
    clock.advance(minutes=20)
    _reads(services, org_id, clinician.member_id, ["pat_0"])  # pat_0 again: its window starts over
    clock.advance(minutes=15)  # pat_1 and pat_2 have left the window; pat_0 has not
    owner = world.relogin(owner)
    _reads(services, org_id, clinician.member_id, ["pat_3", "pat_4"])
    assert not [a for a in _alerts(client, org_id, owner.headers) if a["rule"] == "bulk_access"]
    _reads(services, org_id, clinician.member_id, ["pat_5"])
    bulk = [a for a in _alerts(client, org_id, owner.headers) if a["rule"] == "bulk_access"]
    assert len(bulk) == 1 and bulk[0]["detail"]["patients"] == 4


@pytest.mark.parametrize(("hour", "alerts"), [(3, 1), (12, 0), (22, 1)])
def test_off_hours_access_in_the_clinics_time_zone(client, services, world, clock, hour, alerts):
    org_id, owner = world.org()
    assert client.patch(f"/v1/orgs/{org_id}/audit/settings", json={
        "off_hours_alerts": True, "timezone": "Europe/Oslo", "business_hours_start": "07:00",
        "business_hours_end": "19:00"}, headers=owner.headers).status_code == 200
    clinician = world.member(org_id)
    clock.set(clock.now().replace(hour=hour - 1))  # Oslo is UTC+1 in November
    _reads(services, org_id, clinician.member_id, ["pat_1", "pat_2"])
    _reads(services, org_id, clinician.member_id, ["pat_3"])  # once per member per day
    fresh = {"Authorization": f"Bearer {world.token(owner.email)}"}
    off = [a for a in _alerts(client, org_id, fresh) if a["rule"] == "off_hours"
           and a["member_id"] == clinician.member_id]  # the owner's own sign-in at night is another alert
    assert len(off) == alerts


def test_break_glass_always_alerts(client, services, world):
    org_id, owner = world.org()
    clinician = world.member(org_id)
    for _ in range(2):
        with services.unit() as uow:
            uow.record("break_glass.declare", org_id=org_id, actor_member_id=clinician.member_id, patient_id="pat_1",
                       purpose="emergency", detail={"reason": "unconscious patient"})
    glass = [a for a in _alerts(client, org_id, owner.headers) if a["rule"] == "break_glass"]
    assert len(glass) == 2 and glass[0]["severity"] == "critical"


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]]
    arrived: threading.Event

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        type(self).received.append((dict(self.headers.items()), body))
        self.send_response(204)
        self.end_headers()
        type(self).arrived.set()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver():
    handler = type("Receiver", (_Receiver,), {"received": [], "arrived": threading.Event()})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, handler
    server.shutdown()
    server.server_close()


def test_alerts_are_posted_to_the_webhook_signed(client, services, world, receiver):
    server, handler = receiver
    org_id, owner = world.org()
    r = client.patch(f"/v1/orgs/{org_id}/audit/settings",
                     json={"webhook_url": f"http://127.0.0.1:{server.server_port}/hook"}, headers=owner.headers)
    assert r.status_code == 200, r.text
    secret = r.json()["webhook_secret"]
    assert secret and client.get(f"/v1/orgs/{org_id}/audit/settings", headers=owner.headers).json()[
        "webhook_secret"] is None  # shown once
    with services.unit() as uow:
        uow.record("break_glass.declare", org_id=org_id, actor_member_id=owner.member_id, patient_id="pat_1")
    assert handler.arrived.wait(10), "the webhook was not called"
    headers, body = handler.received[0]
    expected = "sha256=" + hmac.new(secret.encode(), headers["X-Caregate-Timestamp"].encode() + b"." + body,
                                    hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Caregate-Signature"], expected)
    assert json.loads(body)["rule"] == "break_glass"
    for _ in range(50):  # the delivering thread records the result just after the answer
        if _alerts(client, org_id, owner.headers)[0]["webhook_state"] == "sent":
            break
        handler.arrived.wait(0.1)
    assert _alerts(client, org_id, owner.headers)[0]["webhook_state"] == "sent"


def test_a_private_webhook_address_is_refused_unless_allowed(client, services, world, receiver):
    server, handler = receiver
    org_id, owner = world.org()
    client.patch(f"/v1/orgs/{org_id}/audit/settings",
                 json={"webhook_url": f"http://127.0.0.1:{server.server_port}/hook"}, headers=owner.headers)
    services.settings = services.settings.model_copy(update={"audit_webhook_allow_private": False})
    with services.unit() as uow:
        uow.record("break_glass.declare", org_id=org_id, actor_member_id=owner.member_id, patient_id="pat_1")
    audit_webhooks.deliver_pending(services)
    alert = _alerts(client, org_id, owner.headers)[0]
    assert alert["webhook_state"] in ("pending", "sending") and not handler.received


@pytest.mark.parametrize("body", [{"webhook_url": "ftp://example.org"}, {"webhook_url": "http://example.org/x"},
                                  {"timezone": "Mars/Olympus"}, {"business_days": [0, 8]},
                                  {"failed_login_threshold": 0}, {"retention_days": 1}, {"unknown": 1}])
def test_bad_audit_settings_are_refused_and_change_nothing(client, services, world, body):
    org_id, owner = world.org()
    before = len(events(services, org_id))
    r = client.patch(f"/v1/orgs/{org_id}/audit/settings", json=body, headers=owner.headers)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert len(events(services, org_id)) == before


def test_only_owners_and_admins_change_audit_settings(client, world):
    org_id, _ = world.org()
    clinician = world.member(org_id)
    r = client.patch(f"/v1/orgs/{org_id}/audit/settings", json={"retention_days": 400}, headers=clinician.headers)
    assert r.status_code == 403


def test_alert_emails_go_to_whoever_the_engine_lets_read_the_audit_log(client, services, world):
    org_id, owner = world.org()
    r = client.post(f"/v1/orgs/{org_id}/roles", headers=owner.headers, json={
        "name": "Compliance Officer", "permissions": {"audit": {"read": "org"}}})
    assert r.status_code == 201, r.text
    officer = world.member(org_id, roles=(r.json()["key"],))
    team = world.team(org_id)
    team_admin = world.member(org_id, roles=("clinician",), teams=(team,))
    with services.unit() as uow:  # an Administrator limited to one team does not read the organisation's log
        from caregate.store import repo
        from caregate.store.ids import new_id
        from caregate.store.tables import RoleAssignmentRow

        uow.session.add(RoleAssignmentRow(id=new_id("ra"), org_id=org_id, membership_id=team_admin.member_id,
                                          role_key="administrator", team_id=team, created_at=uow.now))
        assert repo.get_org(uow.session, org_id=org_id)
    disabled_admin = world.member(org_id, roles=("administrator",), status="disabled")
    client.patch(f"/v1/orgs/{org_id}/security", json={"lockout": {"max_failures": 50}}, headers=owner.headers)
    victim = world.member(org_id, roles=("clinician",))
    for _ in range(5):
        _wrong_password(client, victim.email)
    sent_to = sorted({m.to_address for m in _outbox(services, org_id)})
    assert sent_to == sorted([owner.email, officer.email])
    assert team_admin.email not in sent_to and disabled_admin.email not in sent_to
