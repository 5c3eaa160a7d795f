"""Just-in-time access requests with approval chains (the third seed): a member asks for access to a patient,
different people approve it (never the one who asked), and the access lasts the hours asked for."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from caregate.store import repo
from caregate.store.clinical import AccessRequest, AccessRequestApproval, Notification, PatientAccess

REASON = "Covering Dr. Chen's list this week; need the history"


def ask(c: Any, who: Any, patient: str, **body: Any) -> Any:
    return c.api.post(who, f"patients/{patient}/access-requests", {"reason": REASON, **body})


def out_of_reach(c: Any) -> tuple[str, str]:
    patient = c.patient(c.clinician)
    session = c.session(c.clinician, patient_id=patient)
    c.api.ok(c.api.put(c.clinician, f"sessions/{session}/note", {"body": "penicillin allergy"}))
    assert c.api.get(c.stranger, f"patients/{patient}").status_code == 403
    return patient, session


def rows(world: Any, model: Any) -> int:
    with world.services.unit() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def notified(world: Any, kind: str) -> list[str]:
    with world.services.unit() as uow:
        return list(uow.session.scalars(select(Notification.membership_id).where(Notification.kind == kind)))


def test_an_approved_request_gives_read_access_for_the_hours_asked(clinic: Any, world: Any, clock: Any) -> None:
    c = clinic
    patient, session = out_of_reach(c)
    asked = c.api.ok(ask(c, c.stranger, patient, hours=8), 201)
    assert asked["status"] == "pending" and asked["approvals_needed"] == 1 and asked["grant_id"] is None
    assert c.api.get(c.stranger, f"patients/{patient}").status_code == 403  # nothing until approved
    # the approvers are told (Owner, Administrator: patients:approve), never with the reason or the patient
    assert set(notified(world, "access_request")) == {c.owner.member_id, c.administrator.member_id}
    with world.services.unit() as uow:
        [mail] = [m for m in repo.outbox(uow.session, to_address=c.administrator.email) if m.kind == "access_request"]
    assert f"/o/{c.org_id}/access-requests/{asked['id']}" in mail.body
    assert REASON not in mail.body and patient not in mail.body
    done = c.api.ok(c.api.post(c.administrator, f"access-requests/{asked['id']}/approve", {"note": "ok"}))
    assert done["status"] == "approved" and done["active"] and done["grant_id"]
    assert [a["approver_id"] for a in done["answers"]] == [c.administrator.member_id]
    assert notified(world, "access_request_decided") == [c.stranger.member_id]
    # the patient and the clinical records, read only, in lists too
    assert c.api.ok(c.api.get(c.stranger, f"sessions/{session}/note"))["body"] == "penicillin allergy"
    assert patient in [p["id"] for p in c.api.ok(c.api.get(c.stranger, "patients"))["items"]]
    assert c.api.put(c.stranger, f"sessions/{session}/note", {"body": "x"}).status_code == 403
    kinds = {g["id"]: g["kind"] for g in c.api.ok(c.api.get(c.administrator, f"patients/{patient}/access"))}
    assert kinds == {done["grant_id"]: "requested"}
    clock.advance(timedelta(hours=8))
    c.people["stranger"] = world.relogin(c.stranger)
    assert c.api.get(c.stranger, f"patients/{patient}").status_code == 403
    assert not c.api.ok(c.api.get(c.stranger, f"access-requests/{asked['id']}"))["active"]


def test_an_approval_chain_needs_different_people(clinic: Any, world: Any) -> None:
    c = clinic
    patient, _ = out_of_reach(c)
    c.api.ok(c.api.patch(c.owner, "settings", {"access_requests": {"approvals": 2}}))
    asked = c.api.ok(ask(c, c.stranger, patient), 201)
    url = f"access-requests/{asked['id']}"
    assert asked["approvals_needed"] == 2 and asked["hours"] == 24  # the default
    first = c.api.ok(c.api.post(c.administrator, url + "/approve"))
    assert first["status"] == "pending" and len(first["answers"]) == 1
    assert c.api.get(c.stranger, f"patients/{patient}").status_code == 403  # one of two is not enough
    r = c.api.post(c.administrator, url + "/approve")
    assert r.status_code == 409 and "another approver" in r.json()["detail"]
    second = c.api.ok(c.api.post(c.owner, url + "/approve"))
    assert second["status"] == "approved" and len(second["answers"]) == 2
    assert c.api.get(c.stranger, f"patients/{patient}").status_code == 200
    assert c.api.post(c.owner, url + "/deny", {"note": "late"}).status_code == 409  # decided


def test_nobody_approves_their_own_request(clinic: Any) -> None:
    c = clinic
    patient, _ = out_of_reach(c)
    other = c.patient(c.clinician2)
    asked = c.api.ok(ask(c, c.administrator, other), 201)  # an Administrator asks: they may approve others'
    r = c.api.post(c.administrator, f"access-requests/{asked['id']}/approve")
    assert r.status_code == 403 and r.json()["reasons"][0]["code"] == "forbid:separation-of-duties"
    # members whose roles do not approve cannot, and do not see it
    assert c.api.post(c.clinician, f"access-requests/{asked['id']}/approve").status_code == 403
    assert c.api.get(c.clinician, f"access-requests/{asked['id']}").status_code == 404
    assert c.api.ok(c.api.post(c.owner, f"access-requests/{asked['id']}/approve"))["status"] == "approved"
    assert patient  # the other patient stays out of reach of the Administrator
    assert c.api.get(c.administrator, f"patients/{patient}").status_code == 403


def test_one_denial_ends_it_and_the_member_can_cancel_their_own(clinic: Any, world: Any) -> None:
    c = clinic
    patient, _ = out_of_reach(c)
    asked = c.api.ok(ask(c, c.stranger, patient), 201)
    r = c.api.post(c.administrator, f"access-requests/{asked['id']}/deny", {"note": ""})
    assert r.status_code == 422 and "note" in r.json()["detail"]
    denied = c.api.ok(c.api.post(c.administrator, f"access-requests/{asked['id']}/deny",
                                 {"note": "ask the care team instead"}))
    assert denied["status"] == "denied" and denied["answers"][0]["note"] == "ask the care team instead"
    assert c.api.get(c.stranger, f"patients/{patient}").status_code == 403
    again = c.api.ok(ask(c, c.stranger, patient), 201)  # asking again is a new request
    assert c.api.post(c.clinician2, f"access-requests/{again['id']}/cancel").status_code == 404  # not theirs
    assert c.api.ok(c.api.post(c.stranger, f"access-requests/{again['id']}/cancel"))["status"] == "cancelled"
    assert c.api.post(c.administrator, f"access-requests/{again['id']}/approve").status_code == 409
    assert rows(world, PatientAccess) == 0


def test_lists_approvers_see_all_members_their_own(clinic: Any) -> None:
    c = clinic
    patient, _ = out_of_reach(c)
    mine = c.api.ok(ask(c, c.stranger, patient), 201)
    theirs = c.api.ok(ask(c, c.assistant, c.patient(c.clinician2)), 201)
    assert [r["id"] for r in c.api.ok(c.api.get(c.owner, "access-requests"))["items"]] == [theirs["id"], mine["id"]]
    assert [r["id"] for r in c.api.ok(c.api.get(c.stranger, "access-requests"))["items"]] == [mine["id"]]
    c.api.ok(c.api.post(c.owner, f"access-requests/{mine['id']}/approve"))
    assert [r["id"] for r in c.api.ok(c.api.get(c.owner, "access-requests", status="pending"))["items"]] \
        == [theirs["id"]]
    page = c.api.ok(c.api.get(c.owner, "access-requests", limit=1))
    rest = c.api.ok(c.api.get(c.owner, "access-requests", limit=1, after=page["next_cursor"]))
    assert [r["id"] for r in page["items"] + rest["items"]] == [theirs["id"], mine["id"]]


@pytest.mark.parametrize("role", ["front_desk", "billing", "template_manager", "inventory", "call_center", "manager"])
def test_roles_outside_patient_care_do_not_ask(clinic: Any, role: str) -> None:
    c = clinic
    patient, _ = out_of_reach(c)
    r = ask(c, c.people[role], patient)
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")


def test_bad_requests_are_refused_with_a_reason_and_write_nothing(clinic: Any, world: Any) -> None:
    c = clinic
    patient, _ = out_of_reach(c)
    for body, words in [({"reason": "pls"}, "at least 10 characters"), ({"reason": REASON, "hours": 73}, "72"),
                        ({"reason": REASON, "hours": 0}, "hours"), ({"reason": "x" * 501}, "reason"),
                        ({"reason": REASON, "approver": "me"}, "approver")]:
        r = c.api.post(c.stranger, f"patients/{patient}/access-requests", body)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json") and words in r.text, r.text
    assert c.api.post(c.stranger, "patients/pat_nope/access-requests", {"reason": REASON}).status_code == 404
    assert c.api.get(c.owner, "access-requests/areq_nope").status_code == 404
    assert c.api.get(c.owner, "access-requests", status="lost").status_code == 422
    r = c.api.patch(c.owner, "settings", {"access_requests": {"approvals": 4}})
    assert r.status_code == 422
    assert c.api.ok(c.api.get(c.stranger, "access-requests/policy")) == {"approvals": 1, "max_hours": 72}
    assert c.api.get(c.inventory, "access-requests/policy").status_code == 403  # neither asks nor approves
    assert rows(world, AccessRequest) == 0
    c.api.ok(ask(c, c.stranger, patient), 201)
    r = ask(c, c.stranger, patient)
    assert r.status_code == 409 and "waiting for approval" in r.json()["detail"]
    # somebody who already has access is told so, rather than asking
    c.api.ok(c.api.post(c.administrator, f"patients/{patient}/access", {"member_id": c.clinician2.member_id}), 201)
    r = ask(c, c.clinician2, patient)
    assert r.status_code == 409 and "already have access" in r.json()["detail"]
    assert rows(world, AccessRequest) == 1 and rows(world, AccessRequestApproval) == 0


def test_nothing_crosses_organisations(clinic: Any, world: Any) -> None:
    c = clinic
    patient, _ = out_of_reach(c)
    asked = c.api.ok(ask(c, c.stranger, patient), 201)
    other_org, other_owner = world.org("Elsewhere")
    base = f"/v1/orgs/{other_org}"
    assert c.api.client.post(f"{base}/patients/{patient}/access-requests", headers=other_owner.headers,
                             json={"reason": REASON}).status_code == 404
    assert c.api.client.post(f"{base}/access-requests/{asked['id']}/approve", headers=other_owner.headers,
                             json={}).status_code == 404
    assert c.api.client.get(f"{base}/access-requests", headers=other_owner.headers).json()["total"] == 0
