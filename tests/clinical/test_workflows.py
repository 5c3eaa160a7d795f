"""The objects' own flows through the API: calendar, billing, inventory, calls, rooms, templates, sessions;
and bad input, which is refused with a problem a person can act on, writing nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from caregate.store.audit import AuditEvent

T9, T930, T10 = "2026-12-01T09:00:00Z", "2026-12-01T09:30:00Z", "2026-12-01T10:00:00Z"


def test_calendar_book_for_others_reschedule_cancel_check_in(clinic: Any) -> None:
    c = clinic
    patient = c.patient(c.clinician)
    own = c.api.ok(c.api.post(c.clinician, "appointments", {"patient_id": patient, "starts_at": T9,
                                                            "ends_at": T930}), 201)
    assert own["provider_id"] == c.clinician.member_id and own["status"] == "booked"
    # a provider is never double-booked
    r = c.api.post(c.assistant, "appointments", {"provider_id": c.clinician.member_id, "starts_at": T9,
                                                 "ends_at": T10})
    assert r.status_code == 409
    # assistants and front desk book for others; support seats have no calendar of their own
    booked = c.api.ok(c.api.post(c.assistant, "appointments", {"provider_id": c.clinician.member_id,
                                                               "starts_at": T930, "ends_at": T10}), 201)
    r = c.api.post(c.front_desk, "appointments", {"provider_id": c.assistant.member_id, "starts_at": T9,
                                                  "ends_at": T930})
    assert r.status_code == 403 and r.json()["reasons"][0]["code"] == "forbid:support-seat"
    assert c.api.post(c.clinician, "appointments", {"provider_id": c.clinician2.member_id, "starts_at": T9,
                                                    "ends_at": T930}).status_code == 403
    # front desk reschedules, checks in, cancels; the clinician sees only their own calendar
    moved = c.api.ok(c.api.put(c.front_desk, f"appointments/{booked['id']}/time",
                               {"starts_at": "2026-12-02T09:00:00Z", "ends_at": "2026-12-02T09:30:00Z"}))
    assert moved["starts_at"] == "2026-12-02T09:00:00Z"
    checked = c.api.ok(c.api.post(c.front_desk, f"appointments/{own['id']}/check-in"))
    assert checked["status"] == "checked_in" and checked["checked_in_at"]
    assert c.api.post(c.front_desk, f"appointments/{own['id']}/check-in").status_code == 409
    assert c.api.ok(c.api.post(c.front_desk, f"appointments/{booked['id']}/cancel"))["status"] == "cancelled"
    assert c.api.ok(c.api.get(c.clinician2, "appointments"))["total"] == 0
    day = c.api.ok(c.api.get(c.assistant, "appointments", **{"from": "2026-12-02T00:00:00Z",
                                                             "to": "2026-12-03T00:00:00Z"}))
    assert [a["id"] for a in day["items"]] == [booked["id"]]
    r = c.api.post(c.clinician, "appointments", {"starts_at": T10, "ends_at": T9})
    assert r.status_code == 422 and "ends 5 minutes to 12 hours" in r.json()["detail"]


def test_billing_flow_and_separation_of_duties(clinic: Any, world: Any) -> None:
    c = clinic
    other_biller = world.member(c.org_id, roles=("billing",))
    invoice = c.api.ok(c.api.post(c.billing, "invoices", {"amount_cents": 20000}), 201)
    assert invoice["number"].startswith("INV-") and invoice["status"] == "draft"
    c.api.ok(c.api.patch(c.billing, f"invoices/{invoice['id']}", {"status": "issued"}))
    assert c.api.patch(c.billing, f"invoices/{invoice['id']}", {"amount_cents": 1}).status_code == 409
    charge = c.api.ok(c.api.post(c.billing, "charges", {"description": "consult", "amount_cents": 20000,
                                                        "invoice_id": invoice["id"]}), 201)
    r = c.api.post(c.billing, f"charges/{charge['id']}/approve")
    assert r.status_code == 403 and r.json()["reasons"][0]["code"] == "forbid:separation-of-duties"
    approved = c.api.ok(c.api.post(other_biller, f"charges/{charge['id']}/approve"))
    assert approved["approved_by"] == other_biller.member_id
    assert c.api.post(c.owner, f"charges/{charge['id']}/approve").status_code == 409
    payment = c.api.ok(c.api.post(c.billing, "payments",
                                  {"amount_cents": 20000, "invoice_id": invoice["id"]}), 201)
    assert c.api.ok(c.api.post(c.manager, f"payments/{payment['id']}/process"))["status"] == "processed"
    r = c.api.post(c.billing, "refunds", {"amount_cents": 30000, "reason": "x", "payment_id": payment["id"]})
    assert r.status_code == 422 and "cannot exceed" in r.json()["detail"]
    refund = c.api.ok(c.api.post(c.billing, "refunds", {"amount_cents": 5000, "reason": "goodwill",
                                                        "payment_id": payment["id"]}), 201)
    assert c.api.post(other_biller, f"refunds/{refund['id']}/process").status_code == 409  # not approved yet
    c.api.ok(c.api.post(other_biller, f"refunds/{refund['id']}/approve"))
    assert c.api.post(other_biller, f"refunds/{refund['id']}/process").status_code == 403
    assert c.api.ok(c.api.post(c.billing, f"refunds/{refund['id']}/process"))["status"] == "processed"
    assert c.api.post(c.owner, f"refunds/{refund['id']}/process").json()["detail"].endswith("this one is processed")
    # each step is in the audit trail: who moved what, to which status, on which role or grant
    with world.services.unit() as uow:
        steps = [(e.action, e.actor_member_id, json.loads(e.body)["after"]) for e in uow.session.scalars(
            select(AuditEvent).where(AuditEvent.chain == c.org_id, AuditEvent.object_id.in_(
                [charge["id"], payment["id"], refund["id"]]), AuditEvent.action.notlike("%.create"),
                AuditEvent.outcome == "allowed").order_by(AuditEvent.seq))]
    assert steps == [("charges.approve", other_biller.member_id, {"status": "approved"}),
                     ("payments.process", c.manager.member_id, {"status": "processed"}),
                     ("refunds.approve", other_biller.member_id, {"status": "approved"}),
                     ("refunds.process", c.billing.member_id, {"status": "processed"})]
    # the clinic's money is not the clinicians' or the front desk's
    for who in (c.clinician, c.front_desk, c.inventory):
        assert c.api.get(who, f"invoices/{invoice['id']}").status_code == 403
        assert c.api.ok(c.api.get(who, "charges"))["total"] == 0


def test_billing_policy_owners_only_keeps_administrators_out(clinic: Any) -> None:
    c = clinic
    invoice = c.api.ok(c.api.post(c.billing, "invoices", {"amount_cents": 100}), 201)
    assert c.api.get(c.administrator, f"invoices/{invoice['id']}").status_code == 200
    c.api.ok(c.api.patch(c.owner, "settings", {"billing_policy": "owners_only"}))
    assert c.api.get(c.administrator, f"invoices/{invoice['id']}").status_code == 403
    assert c.api.ok(c.api.get(c.administrator, "invoices"))["total"] == 0
    assert c.api.get(c.billing, f"invoices/{invoice['id']}").status_code == 200


def test_inventory_and_calls(clinic: Any) -> None:
    c = clinic
    product = c.api.ok(c.api.post(c.inventory, "inventory/products", {"name": "Gloves", "sku": "G-1", "stock": 5}), 201)
    c.api.ok(c.api.patch(c.inventory, f"inventory/products/{product['id']}", {"stock_change": -2}))
    assert c.api.patch(c.inventory, f"inventory/products/{product['id']}", {"stock_change": -9}).status_code == 409
    order = c.api.ok(c.api.post(c.inventory, f"inventory/products/{product['id']}/orders", {"quantity": 10}), 201)
    c.api.ok(c.api.post(c.inventory, f"inventory/orders/{order['id']}/receive"))
    assert c.api.ok(c.api.get(c.inventory, f"inventory/products/{product['id']}"))["stock"] == 13
    assert c.api.post(c.clinician, f"inventory/products/{product['id']}/orders", {"quantity": 1}).status_code == 403
    assert "Gloves" in c.api.get(c.inventory, "inventory/products/export").text
    call = c.api.ok(c.api.post(c.call_center, "calls", {"caller_number": "+1 555 0142", "summary": "rebook"}), 201)
    assert c.api.get(c.call_center, f"calls/{call['id']}/transcript").status_code == 404
    c.api.ok(c.api.patch(c.call_center, f"calls/{call['id']}", {"transcript": "Caller: I need to rebook."}))
    assert c.api.ok(c.api.get(c.call_center, f"calls/{call['id']}/transcript"))["body"].startswith("Caller")
    assigned = c.api.ok(c.api.put(c.call_center, f"calls/{call['id']}/assignee",
                                  {"member_id": c.front_desk.member_id}))
    assert assigned["assigned_to"] == c.front_desk.member_id
    assert c.api.get(c.clinician, f"calls/{call['id']}").status_code == 403


def test_rooms(clinic: Any, world: Any) -> None:
    c = clinic
    room = c.api.ok(c.api.post(c.administrator, "rooms", {"kind": "personal", "owner_id": c.clinician.member_id}), 201)
    assert c.api.post(c.administrator, "rooms", {"kind": "personal",
                                                 "owner_id": c.clinician.member_id}).status_code == 409
    assert c.api.ok(c.api.post(c.clinician, f"rooms/{room['id']}/join"))["url"].endswith("/call")
    assert c.api.post(c.clinician2, f"rooms/{room['id']}/join").status_code == 403
    assert c.api.post(c.clinician, "rooms", {"kind": "shared"}).status_code == 403  # members do not create them
    shared = c.api.ok(c.api.post(c.administrator, "rooms", {"kind": "shared", "name": "Group therapy",
                                                            "member_ids": [c.clinician2.member_id]}), 201)
    assert c.api.ok(c.api.post(c.clinician2, f"rooms/{shared['id']}/join"))
    assert c.api.post(c.assistant, f"rooms/{shared['id']}/join").status_code == 403
    c.api.ok(c.api.put(c.administrator, f"rooms/{shared['id']}/members/{c.assistant.member_id}"))
    assert c.api.ok(c.api.post(c.assistant, f"rooms/{shared['id']}/join"))
    # when the plan lapses, shared rooms close; personal rooms stay
    c.api.ok(c.api.put(c.owner, "subscription", {"plan": "free"}))
    r = c.api.post(c.assistant, f"rooms/{shared['id']}/join")
    assert r.status_code == 403 and r.json()["reasons"][0]["code"] == "plan:shared_rooms"
    assert c.api.ok(c.api.post(c.clinician, f"rooms/{room['id']}/join"))
    assert [x["id"] for x in c.api.ok(c.api.get(c.assistant, "rooms"))["items"]] == []


def test_templates_personal_team_and_published(clinic: Any) -> None:
    c = clinic
    personal = c.api.ok(c.api.post(c.clinician, "templates", {"name": "My SOAP"}), 201)
    assert c.api.post(c.clinician, "templates", {"name": "Team SOAP", "visibility": "team",
                                                 "team_ids": [c.team]}).status_code == 403
    assert c.api.put(c.clinician, f"templates/{personal['id']}/visibility",
                     {"visibility": "org"}).status_code == 403  # clinicians do not publish
    own = c.api.ok(c.api.post(c.template_manager, "templates", {"name": "Intake"}), 201)
    shared = c.api.ok(c.api.put(c.template_manager, f"templates/{own['id']}/visibility",
                                {"visibility": "team", "team_ids": [c.other_team]}))
    assert shared["team_ids"] == [c.other_team]
    assert c.api.get(c.stranger, f"templates/{own['id']}").status_code == 200
    assert c.api.get(c.clinician, f"templates/{own['id']}").status_code == 403
    c.api.ok(c.api.put(c.template_manager, f"templates/{own['id']}/visibility", {"visibility": "org"}))
    assert c.api.get(c.clinician, f"templates/{own['id']}").status_code == 200
    assert c.api.delete(c.clinician, f"templates/{own['id']}").status_code == 403
    assert c.api.delete(c.template_manager, f"templates/{own['id']}").status_code == 204
    r = c.api.post(c.template_manager, "templates", {"name": "No teams", "visibility": "team"})
    assert r.status_code == 422 and "team_ids" in r.json()["detail"]


def test_session_edits_and_recording(clinic: Any) -> None:
    c = clinic
    patient = c.patient(c.clinician)
    session = c.session(c.clinician)
    edited = c.api.ok(c.api.patch(c.clinician, f"sessions/{session}", {"patient_id": patient, "status": "completed"}))
    assert (edited["patient_id"], edited["status"]) == (patient, "completed")
    assert c.api.ok(c.api.patch(c.clinician, f"sessions/{session}", {"patient_id": None}))["patient_id"] is None
    assert c.api.patch(c.assistant, f"sessions/{session}", {"title": "x"}).status_code == 403
    for state, code in (("paused", 409), ("recording", 200), ("paused", 200), ("recording", 200),
                        ("stopped", 200), ("recording", 409)):
        assert c.api.post(c.clinician, f"sessions/{session}/recording", {"state": state}).status_code == code, state
    # the assistant's context and documents: they edit what they wrote, not the clinician's
    entry = c.api.ok(c.api.post(c.assistant, f"sessions/{session}/context", {"body": "GP letter attached"}), 201)
    c.api.ok(c.api.patch(c.assistant, f"context/{entry['id']}", {"body": "GP letter, 2 pages"}))
    assert c.api.delete(c.assistant, f"context/{entry['id']}").status_code == 403
    mine = c.api.ok(c.api.post(c.assistant, f"sessions/{session}/documents", {"kind": "letter", "title": "A"}), 201)
    theirs = c.api.ok(c.api.post(c.clinician, f"sessions/{session}/documents", {"kind": "letter", "title": "B"}), 201)
    c.api.ok(c.api.patch(c.assistant, f"documents/{mine['id']}", {"body": "Dear colleague"}))
    assert c.api.patch(c.assistant, f"documents/{theirs['id']}", {"body": "x"}).status_code == 403
    listed = c.api.ok(c.api.get(c.assistant, f"sessions/{session}/context"))
    assert [e["body"] for e in listed["items"]] == ["GP letter, 2 pages"]
    assert c.api.ok(c.api.get(c.assistant, "documents", session_id=session))["total"] == 2


@pytest.mark.parametrize(("method", "path", "body", "status"), [
    ("POST", "sessions", {"title": "x" * 201}, 422),
    ("POST", "sessions", {"title": "x", "owner_id": "mem_unknown"}, 404),
    ("POST", "sessions", {"title": "x", "team_id": "team_unknown"}, 422),
    ("POST", "sessions", {"title": "x", "status": "flying"}, 422),
    ("POST", "sessions", {"title": "x", "surprise": 1}, 422),
    ("GET", "sessions?limit=0", None, 422),
    ("GET", "sessions?after=bad%20cursor", None, 422),
    ("GET", "sessions?status=bad%20one", None, 422),
    ("GET", "sessions/x", None, 404),
    ("GET", "sessions/" + "a" * 60, None, 404),
    ("PUT", "sessions/ses_missing/note", {"body": "x"}, 404),
    ("POST", "patients", {"name": ""}, 422),
    ("POST", "patients", {"name": "P", "email": "not an email"}, 422),
    ("POST", "patients", {"name": "P", "date_of_birth": "yesterday"}, 422),
    ("POST", "patients", {"name": "P", "care_team": ["mem_nobody"]}, 404),
    ("GET", "patients/export?format=xml", None, 422),
    ("POST", "invoices", {"amount_cents": 0}, 422),
    ("POST", "refunds", {"amount_cents": 5, "reason": "x", "payment_id": "pay_nope"}, 422),
    ("POST", "rooms", {"kind": "bunker"}, 422),
    ("POST", "appointments", {"starts_at": "2026-12-01T09:00:00", "ends_at": "2026-12-01T09:30:00"}, 422),
    ("GET", "templates?visibility=personal&unknown=1", None, 200),
])
def test_bad_input_is_a_clear_problem(clinic: Any, method: str, path: str, body: Any, status: int) -> None:
    r = clinic.api.client.request(method, clinic.api.url(path), headers=clinic.owner.headers, json=body)
    assert r.status_code == status, r.text
    if status >= 400:
        assert r.headers["content-type"] == "application/problem+json" and r.json()["detail"]


def test_patient_search_and_provider_profile(clinic: Any) -> None:
    c = clinic
    c.patient(c.clinician, name="Ada Lovelace")
    c.patient(c.clinician, name="Grace Hopper")
    found = c.api.ok(c.api.get(c.front_desk, "patients", q="ada lo"))
    assert [p["name"] for p in found["items"]] == ["Ada Lovelace"] and found["total"] == 1
    assert c.api.ok(c.api.get(c.front_desk, "patients", q="100%_"))["total"] == 0
    profile = {"credentials": "MD", "specialties": ["cardiology"], "licence_number": "L-123", "bio": "Heart doctor",
               "availability": {"mon": [["09:00", "17:00"]], "sat": [["10:00", "14:00"]]}}
    c.api.ok(c.api.patch(c.clinician, f"members/{c.clinician.member_id}", {"profile": profile}))
    seen = c.api.ok(c.api.get(c.front_desk, f"members/{c.clinician.member_id}"))["profile"]
    assert seen["licence_number"] == "L-123" and seen["availability"]["sat"] == [["10:00", "14:00"]]
    assert c.api.patch(c.front_desk, f"members/{c.clinician.member_id}", {"profile": profile}).status_code == 403
