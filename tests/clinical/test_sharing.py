"""Direct sharing of sessions: levels, add / change / remove, targets, notifications in the app and by email."""

from __future__ import annotations

from typing import Any

import pytest

from caregate.store import repo


def outbox(world: Any, email: str) -> list[Any]:
    with world.services.unit() as uow:
        return [(m.subject, m.body, m.kind) for m in repo.outbox(uow.session, to_address=email)]


def share(c: Any, who: Any, session: str, target: Any, level: str) -> Any:
    return c.api.put(who, f"sessions/{session}/shares/{target.member_id}", {"level": level})


def test_share_notifies_in_app_and_by_email(clinic: Any, world: Any) -> None:
    c = clinic
    patient = c.patient(c.clinician)
    session = c.session(c.clinician, patient_id=patient, title="Knee pain, Mrs Example")
    assert c.api.get(c.stranger, f"sessions/{session}").status_code == 403
    c.api.ok(share(c, c.clinician, session, c.stranger, "view"))
    # the very next request sees it
    assert c.api.get(c.stranger, f"sessions/{session}").status_code == 200
    notes = c.api.ok(c.api.get(c.stranger, "notifications"))
    assert notes["unread"] == 1
    [note] = notes["items"]
    assert note["kind"] == "session_shared" and note["object_id"] == session and note["read_at"] is None
    assert "view (read only)" in note["body"]
    mails = outbox(world, c.stranger.email)
    assert len(mails) == 1 and "shared a clinical session with you" in mails[0][0]
    assert f"/sessions/{session}" in mails[0][1]
    # neither carries clinical content: no title, no patient
    assert "Knee" not in note["title"] + note["body"] + mails[0][0] + mails[0][1]
    # changing the level tells them again; the same level again does not
    c.api.ok(share(c, c.clinician, session, c.stranger, "edit"))
    c.api.ok(share(c, c.clinician, session, c.stranger, "edit"))
    notes = c.api.ok(c.api.get(c.stranger, "notifications"))
    assert notes["unread"] == 2 and "changed your access" in notes["items"][0]["title"]
    assert len(outbox(world, c.stranger.email)) == 2
    # mark read: one, then all; nobody marks someone else's
    assert c.api.post(c.clinician, f"notifications/{note['id']}/read").status_code == 404
    assert c.api.ok(c.api.post(c.stranger, f"notifications/{note['id']}/read")) == {"marked": 1}
    assert c.api.ok(c.api.get(c.stranger, "notifications", unread="true"))["unread"] == 1
    assert c.api.ok(c.api.post(c.stranger, "notifications/read")) == {"marked": 1}
    assert c.api.ok(c.api.get(c.stranger, "notifications", unread="true"))["items"] == []


def test_change_and_remove_access(clinic: Any) -> None:
    c = clinic
    session = c.session(c.clinician)
    c.api.ok(share(c, c.clinician, session, c.stranger, "full"))
    # a full holder shares onwards and changes others' access
    c.api.ok(share(c, c.stranger, session, c.clinician2, "edit"))
    c.api.ok(share(c, c.stranger, session, c.clinician2, "view"))
    shares = {s["member_id"]: s["level"] for s in c.api.ok(c.api.get(c.clinician, f"sessions/{session}/shares"))}
    assert shares == {c.stranger.member_id: "full", c.clinician2.member_id: "view"}
    # an edit or view holder cannot
    assert share(c, c.clinician2, session, c.assistant, "view").status_code == 403
    assert c.api.delete(c.clinician2, f"sessions/{session}/shares/{c.stranger.member_id}").status_code == 403
    # the owner removes access; it ends at once
    assert c.api.delete(c.clinician, f"sessions/{session}/shares/{c.stranger.member_id}").status_code == 204
    assert c.api.get(c.stranger, f"sessions/{session}").status_code == 403
    assert c.api.delete(c.clinician, f"sessions/{session}/shares/{c.stranger.member_id}").status_code == 404


@pytest.mark.parametrize(("target", "status", "says"), [
    ("template_manager", 422, "no access to clinical sessions"),
    ("front_desk", 422, "no access to clinical sessions"),
    ("billing", 422, "no access to clinical sessions"),
    ("call_center", 422, "no access to clinical sessions"),
    ("clinician", 422, "already has full access"),  # the owner
    ("disabled", 422, "is disabled"),
    ("outsider", 404, "not a member of this organisation"),
    ("assistant", 200, None),
    ("manager", 200, None),
    ("administrator", 200, None),
])
def test_share_targets(clinic: Any, world: Any, target: str, status: int, says: str | None) -> None:
    c = clinic
    c.people["disabled"] = world.member(c.org_id, roles=("clinician",), status="disabled")
    other_org, _ = world.org("Elsewhere")
    c.people["outsider"] = world.member(other_org, roles=("clinician",))
    session = c.session(c.clinician)
    r = share(c, c.clinician, session, c.people[target], "view")
    assert r.status_code == status, r.text
    if says:
        assert says in r.json()["detail"]


def test_share_body_and_self(clinic: Any) -> None:
    c = clinic
    session = c.session(c.clinician)
    assert share(c, c.clinician, session, c.stranger, "admin").status_code == 422
    r = c.api.put(c.clinician, f"sessions/{session}/shares/{c.stranger.member_id}", {"level": "view", "x": 1})
    assert r.status_code == 422
    c.api.ok(share(c, c.clinician, session, c.stranger, "full"))
    r = share(c, c.stranger, session, c.stranger, "view")
    assert r.status_code == 422 and "your own access" in r.json()["detail"]
    assert c.api.put(c.clinician, "sessions/ses_nope/shares/x", {"level": "view"}).status_code == 404


def test_a_role_change_stops_a_share_at_the_next_request(clinic: Any) -> None:
    c = clinic
    session = c.session(c.clinician)
    c.api.ok(share(c, c.clinician, session, c.stranger, "edit"))
    assert c.api.get(c.stranger, f"sessions/{session}").status_code == 200
    c.api.ok(c.api.put(c.owner, f"members/{c.stranger.member_id}/roles", {"roles": ["template_manager"]}))
    assert c.api.get(c.stranger, f"sessions/{session}").status_code == 403
    assert c.api.ok(c.api.get(c.stranger, "sessions"))["total"] == 0


def test_a_share_cannot_be_stretched_to_another_patient(clinic: Any) -> None:
    """An edit share reaches the session's patient; re-linking the session to a patient one may not read
    would stretch it to that patient, so linking needs reading the patient (a session's and an appointment's)."""
    c = clinic
    mine = c.patient(c.clinician)
    elsewhere = c.patient(c.clinician2)
    session = c.session(c.clinician, patient_id=mine)
    c.api.ok(share(c, c.clinician, session, c.stranger, "edit"))
    assert c.api.get(c.stranger, f"patients/{mine}").status_code == 200
    r = c.api.patch(c.stranger, f"sessions/{session}", {"patient_id": elsewhere})
    assert r.status_code == 403 and r.json()["reasons"][0]["code"] == "default-deny"
    assert c.api.get(c.stranger, f"patients/{elsewhere}").status_code == 403
    assert c.api.post(c.clinician, "sessions", {"patient_id": elsewhere}).status_code == 403
    r = c.api.post(c.clinician, "appointments", {"patient_id": elsewhere, "starts_at": "2026-12-01T09:00:00Z",
                                                 "ends_at": "2026-12-01T09:30:00Z"})
    assert r.status_code == 403
    # the session's owner may re-link it to a patient of theirs
    other_mine = c.patient(c.clinician)
    assert c.api.ok(c.api.patch(c.clinician, f"sessions/{session}", {"patient_id": other_mine}))["patient_id"] \
        == other_mine
