"""Break-glass (the third seed): a member declares an emergency and a reason, gets time-limited access to one
patient's records, everyone responsible is alerted, and a different person reviews it afterwards."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from caregate.store import repo
from caregate.store.audit import AuditEvent
from caregate.store.clinical import Notification, PatientAccess

REASON = "Patient collapsed in the waiting room; their clinician is away"


def declare(c: Any, who: Any, patient: str, **body: Any) -> Any:
    return c.api.post(who, f"patients/{patient}/break-glass", {"reason": REASON, **body})


def a_patient_out_of_reach(c: Any) -> tuple[str, str]:
    """A patient of the clinician's care list with a session and a note; `stranger` (team B) reads neither."""
    patient = c.patient(c.clinician)
    session = c.session(c.clinician, patient_id=patient)
    c.api.ok(c.api.put(c.clinician, f"sessions/{session}/note", {"body": "penicillin allergy"}))
    assert c.api.get(c.stranger, f"patients/{patient}").status_code == 403
    assert c.api.get(c.stranger, f"sessions/{session}/note").status_code in (403, 404)
    return patient, session


def events(world: Any, action: str) -> list[AuditEvent]:
    with world.services.unit() as uow:
        return list(uow.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                        .order_by(AuditEvent.seq)))


def notified(world: Any, kind: str) -> set[str]:
    with world.services.unit() as uow:
        return set(uow.session.scalars(select(Notification.membership_id).where(Notification.kind == kind)))


def test_declaring_gives_read_access_to_the_patient_and_its_records_until_the_time_is_up(
        clinic: Any, world: Any, clock: Any) -> None:
    c = clinic
    patient, session = a_patient_out_of_reach(c)
    access = c.api.ok(declare(c, c.stranger, patient, hours=2), 201)
    assert access["status"] == "active" and access["active"] and access["reason"] == REASON
    assert access["member_id"] == c.stranger.member_id and access["review_outcome"] is None
    # read: the patient, the session, its note; in lists too (filtered in SQL by the same rule)
    assert c.api.ok(c.api.get(c.stranger, f"patients/{patient}"))["id"] == patient
    assert c.api.ok(c.api.get(c.stranger, f"sessions/{session}/note"))["body"] == "penicillin allergy"
    assert patient in [p["id"] for p in c.api.ok(c.api.get(c.stranger, "patients"))["items"]]
    assert session in [s["id"] for s in c.api.ok(c.api.get(c.stranger, "sessions"))["items"]]
    # never write: it is read access
    assert c.api.put(c.stranger, f"sessions/{session}/note", {"body": "x"}).status_code == 403
    assert c.api.patch(c.stranger, f"patients/{patient}", {"name": "x"}).status_code == 403
    # every read through it says so in the audit trail, with the purpose a regulator reads (FHIR ETREAT)
    [read] = [e for e in events(world, "notes.read") if e.actor_member_id == c.stranger.member_id
              and e.outcome == "allowed"]
    assert read.purpose == "break_glass" and read.patient_id == patient
    assert any(r["code"] == f"grant:break_glass:{access['id']}" for r in read.content["reasons"])
    # and when the time is up, it is gone
    clock.advance(timedelta(hours=2))
    c.people["stranger"] = world.relogin(c.stranger)
    assert c.api.get(c.stranger, f"patients/{patient}").status_code == 403
    assert patient not in [p["id"] for p in c.api.ok(c.api.get(c.stranger, "patients"))["items"]]
    assert c.api.ok(c.api.get(c.stranger, f"break-glass/{access['id']}"))["status"] == "awaiting_review"


def test_everyone_responsible_is_told_and_the_trail_raises_a_critical_alert(clinic: Any, world: Any) -> None:
    c = clinic
    patient, _ = a_patient_out_of_reach(c)
    access = c.api.ok(declare(c, c.stranger, patient), 201)
    # the reviewers (Owner, Administrator: audit:review) and the patient's care team; never the declarer
    told = notified(world, "break_glass")
    assert told == {c.owner.member_id, c.administrator.member_id, c.clinician.member_id}
    with world.services.unit() as uow:
        mails = [m for m in repo.outbox(uow.session, to_address=c.owner.email) if m.kind == "break_glass"]
    assert len(mails) == 1 and f"/o/{c.org_id}/emergency/{access['id']}" in mails[0].body
    assert REASON not in mails[0].body and patient not in mails[0].body  # no clinical content in a notice
    # each of them can open what the notice links to; nobody else can
    for told_member in (c.owner, c.administrator, c.clinician):
        assert c.api.ok(c.api.get(told_member, f"break-glass/{access['id']}"))["reason"] == REASON
    assert c.api.get(c.clinician2, f"break-glass/{access['id']}").status_code == 404
    [event] = events(world, "break_glass.declare")
    assert event.purpose == "break_glass" and event.patient_id == patient and event.after["reason"] == REASON
    alerts = c.api.ok(c.api.get(c.owner, "audit/alerts"))["items"]
    [alert] = [a for a in alerts if a["rule"] == "break_glass"]
    assert alert["severity"] == "critical" and alert["detail"]["access_id"] == access["id"]
    # ending and reviewing it raise no further alert
    c.api.ok(c.api.post(c.stranger, f"break-glass/{access['id']}/end"))
    c.api.ok(c.api.post(c.administrator, f"break-glass/{access['id']}/review", {"outcome": "appropriate"}))
    alerts = c.api.ok(c.api.get(c.owner, "audit/alerts"))["items"]
    assert len([a for a in alerts if a["rule"] == "break_glass"]) == 1


def test_a_different_person_reviews_it(clinic: Any, world: Any) -> None:
    c = clinic
    patient, _ = a_patient_out_of_reach(c)
    access = c.api.ok(declare(c, c.administrator, patient), 201)  # an Administrator breaks the glass
    url = f"break-glass/{access['id']}"
    # nobody reviews their own emergency access, even one whose roles may review
    r = c.api.post(c.administrator, url + "/review", {"outcome": "appropriate"})
    assert r.status_code == 403 and r.json()["reasons"][0]["code"] == "forbid:separation-of-duties"
    # members whose roles do not review cannot, and cannot see it either
    assert c.api.post(c.clinician2, url + "/review", {"outcome": "appropriate"}).status_code == 403
    assert c.api.get(c.clinician2, url).status_code == 404  # not on the patient's care team either
    # an inappropriate finding needs a note
    r = c.api.post(c.owner, url + "/review", {"outcome": "inappropriate"})
    assert r.status_code == 422 and "note" in r.json()["detail"]
    reviewed = c.api.ok(c.api.post(c.owner, url + "/review", {"outcome": "inappropriate",
                                                             "note": "no emergency: the patient was stable"}))
    assert reviewed["status"] == "reviewed" and reviewed["review_outcome"] == "inappropriate"
    assert reviewed["reviewed_by"] == c.owner.member_id
    assert not reviewed["active"] and reviewed["ended_by"] == c.owner.member_id  # found inappropriate: ended
    assert c.api.get(c.administrator, f"patients/{patient}").status_code == 403
    assert c.api.post(c.owner, url + "/review", {"outcome": "appropriate"}).status_code == 409  # once
    assert notified(world, "break_glass_review") == {c.administrator.member_id}
    [event] = events(world, "break_glass.review")
    assert event.actor_member_id == c.owner.member_id and event.after["outcome"] == "inappropriate"


def test_the_reviewer_sees_what_was_done_under_it(clinic: Any, world: Any, clock: Any) -> None:
    c = clinic
    patient, session = a_patient_out_of_reach(c)
    access = c.api.ok(declare(c, c.stranger, patient, hours=1), 201)
    c.api.ok(c.api.get(c.stranger, f"patients/{patient}"))
    c.api.ok(c.api.get(c.stranger, f"sessions/{session}/note"))
    clock.advance(timedelta(hours=3))
    c.people.update(stranger=world.relogin(c.stranger), owner=world.relogin(c.owner))
    seen = c.api.ok(c.api.get(c.owner, f"break-glass/{access['id']}"))
    assert seen["reads"] == 3  # the declaration, the patient, the note
    assert seen["member"]["email"] == c.stranger.email
    # the member sees their own, without the audit count (they do not read the audit log)
    assert c.api.ok(c.api.get(c.stranger, f"break-glass/{access['id']}"))["reads"] is None


def test_lists_reviewers_see_all_members_their_own(clinic: Any) -> None:
    c = clinic
    patient, _ = a_patient_out_of_reach(c)
    other = c.patient(c.clinician2)
    mine = c.api.ok(declare(c, c.stranger, patient), 201)
    theirs = c.api.ok(declare(c, c.clinician, other), 201)
    everything = c.api.ok(c.api.get(c.owner, "break-glass"))
    assert [a["id"] for a in everything["items"]] == [theirs["id"], mine["id"]] and everything["total"] == 2
    assert [a["id"] for a in c.api.ok(c.api.get(c.stranger, "break-glass"))["items"]] == [mine["id"]]
    assert c.api.ok(c.api.get(c.owner, "break-glass", mine="true"))["total"] == 0
    assert c.api.ok(c.api.get(c.front_desk, "break-glass"))["total"] == 0
    c.api.ok(c.api.post(c.owner, f"break-glass/{mine['id']}/review", {"outcome": "appropriate"}))
    reviewed = c.api.ok(c.api.get(c.owner, "break-glass", status="reviewed"))
    assert [a["id"] for a in reviewed["items"]] == [mine["id"]]
    active = c.api.ok(c.api.get(c.owner, "break-glass", status="active"))
    assert {a["id"] for a in active["items"]} == {mine["id"], theirs["id"]}  # reviewed, still running
    page = c.api.ok(c.api.get(c.owner, "break-glass", limit=1))
    rest = c.api.ok(c.api.get(c.owner, "break-glass", limit=1, after=page["next_cursor"]))
    assert [a["id"] for a in page["items"] + rest["items"]] == [theirs["id"], mine["id"]]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize("role", ["assistant", "front_desk", "billing", "manager", "template_manager",
                                  "inventory", "call_center"])
def test_roles_that_do_not_treat_patients_cannot_break_the_glass(clinic: Any, role: str) -> None:
    c = clinic
    patient, _ = a_patient_out_of_reach(c)
    r = declare(c, c.people[role], patient)
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")


def test_the_member_or_a_reviewer_ends_it_early(clinic: Any, world: Any) -> None:
    c = clinic
    patient, _ = a_patient_out_of_reach(c)
    access = c.api.ok(declare(c, c.stranger, patient), 201)
    assert c.api.post(c.clinician2, f"break-glass/{access['id']}/end").status_code == 403  # not theirs
    ended = c.api.ok(c.api.post(c.stranger, f"break-glass/{access['id']}/end"))
    assert not ended["active"] and ended["status"] == "awaiting_review" and ended["ended_by"] == c.stranger.member_id
    assert c.api.get(c.stranger, f"patients/{patient}").status_code == 403
    assert c.api.post(c.stranger, f"break-glass/{access['id']}/end").status_code == 409
    again = c.api.ok(declare(c, c.stranger, patient, hours=1), 201)  # a new emergency is a new declaration
    c.api.ok(c.api.post(c.administrator, f"break-glass/{again['id']}/end"))
    # an administrator's revoke of patient access ends it too, and keeps it for the review
    third = c.api.ok(declare(c, c.stranger, patient, hours=1), 201)
    listed = c.api.ok(c.api.get(c.administrator, f"patients/{patient}/access"))
    assert {g["kind"] for g in listed} == {"break_glass"} and len(listed) == 3
    assert c.api.delete(c.administrator, f"patients/{patient}/access/{third['id']}").status_code == 204
    assert c.api.get(c.stranger, f"patients/{patient}").status_code == 403
    assert c.api.ok(c.api.get(c.owner, f"break-glass/{third['id']}"))["ended_by"] == c.administrator.member_id


def test_bad_declarations_are_refused_with_a_reason_and_write_nothing(clinic: Any, world: Any) -> None:
    c = clinic
    patient, _ = a_patient_out_of_reach(c)
    cases = [
        ({"reason": "urgent"}, 422, "at least 10 characters"),
        ({"reason": "   "}, 422, "reason"),
        ({"reason": REASON, "hours": 5}, 422, "between 1 and 4"),  # the default limit is 4 hours
        ({"reason": REASON, "hours": 0}, 422, "hours"),
        ({"reason": "x" * 501}, 422, "reason"),
        ({"reason": REASON, "extra": 1}, 422, "extra"),
    ]
    for body, status, words in cases:
        r = c.api.post(c.stranger, f"patients/{patient}/break-glass", body)
        assert r.status_code == status, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert words in r.text, (body, r.text)
    assert c.api.post(c.stranger, "patients/pat_nope/break-glass", {"reason": REASON}).status_code == 404
    assert c.api.get(c.owner, "break-glass/bgl_nope").status_code == 404
    assert c.api.get(c.owner, "break-glass", status="lost").status_code == 422
    c.api.ok(declare(c, c.stranger, patient), 201)
    r = declare(c, c.stranger, patient)
    assert r.status_code == 409 and "already have emergency access" in r.json()["detail"]
    with world.services.unit() as uow:
        assert len(list(uow.session.scalars(select(PatientAccess).where(PatientAccess.kind == "break_glass")))) == 1


def test_the_organisation_sets_the_limit_or_switches_it_off(clinic: Any) -> None:
    c = clinic
    patient, _ = a_patient_out_of_reach(c)
    assert c.api.ok(c.api.get(c.stranger, "break-glass/policy")) == {"enabled": True, "max_hours": 4}
    c.api.ok(c.api.patch(c.owner, "settings", {"emergency_access": {"max_hours": 12}}))
    assert c.api.ok(declare(c, c.stranger, patient, hours=12), 201)["active"]
    r = c.api.patch(c.owner, "settings", {"emergency_access": {"enabled": True, "max_hours": 100}})
    assert r.status_code == 422
    c.api.ok(c.api.patch(c.owner, "settings", {"emergency_access": {"enabled": False}}))
    assert c.api.ok(c.api.get(c.stranger, "break-glass/policy")) == {"enabled": False, "max_hours": 12}
    r = declare(c, c.clinician2, patient)
    assert r.status_code == 409 and "switched off" in r.json()["detail"]
    assert c.api.get(c.inventory, "break-glass/policy").status_code == 403  # neither declares nor reviews


def test_nothing_crosses_organisations(clinic: Any, world: Any) -> None:
    c = clinic
    patient, _ = a_patient_out_of_reach(c)
    access = c.api.ok(declare(c, c.stranger, patient), 201)
    other_org, other_owner = world.org("Elsewhere")
    r = c.api.client.post(f"/v1/orgs/{other_org}/patients/{patient}/break-glass", headers=other_owner.headers,
                          json={"reason": REASON})
    assert r.status_code == 404
    assert c.api.client.get(f"/v1/orgs/{other_org}/break-glass/{access['id']}",
                            headers=other_owner.headers).status_code == 404
    assert c.api.client.get(f"/v1/orgs/{other_org}/break-glass",
                            headers=other_owner.headers).json()["total"] == 0
    assert c.api.client.get(f"/v1/orgs/{c.org_id}/break-glass", headers=other_owner.headers).status_code in (403, 404)
