"""POST /v1/orgs/{org}/check: one question or a batch, stored or described objects, reasons in answers."""

from __future__ import annotations


def ask(client, org_id, login, **question):
    return client.post(f"/v1/orgs/{org_id}/check", json=question, headers=login.headers)


def test_single_check_on_a_stored_session_with_reasons(client, world):
    org_id, _ = world.org()
    team = world.team(org_id)
    clin = world.member(org_id, roles=("clinician",), teams=(team,))
    colleague = world.member(org_id, roles=("clinician",), teams=(team,))
    own = world.session(org_id, clin.member_id, team=team)
    theirs = world.session(org_id, colleague.member_id, team=team)
    r = ask(client, org_id, clin, action="sessions:read", resource={"type": "sessions", "id": own})
    assert r.status_code == 200
    assert r.json()["allowed"] is True
    assert r.json()["reasons"][0] == {"kind": "role", "code": "role:clinician",
                                      "message": "role Clinician allows sessions:read on their own sessions"}
    r = ask(client, org_id, clin, action="read", resource={"type": "sessions", "id": theirs}).json()
    assert r["allowed"] is False
    assert [x["code"] for x in r["reasons"]] == ["default-deny", "role:clinician"]
    assert "only on their own sessions" in r["reasons"][1]["message"]


def test_shares_reach_the_session_and_its_parts(client, world):
    org_id, _ = world.org()
    owner_clin = world.member(org_id, roles=("clinician",))
    viewer = world.member(org_id, roles=("clinician",))
    editor = world.member(org_id, roles=("clinician",))
    tm = world.member(org_id, roles=("template_manager",))
    session = world.session(org_id, owner_clin.member_id,
                            shares={viewer.member_id: "view", editor.member_id: "edit", tm.member_id: "full"})
    assert ask(client, org_id, viewer, action="notes:read", resource={"type": "notes", "id": session}).json()["allowed"]
    assert not ask(client, org_id, viewer, action="notes:edit", resource={"type": "notes", "id": session}
                   ).json()["allowed"]
    edit = ask(client, org_id, editor, action="notes:edit", resource={"type": "notes", "id": session}).json()
    assert edit["allowed"] and edit["reasons"][0]["code"].startswith("grant:share")
    assert not ask(client, org_id, editor, action="sessions:share", resource={"type": "sessions", "id": session}
                   ).json()["allowed"]
    deleting = ask(client, org_id, editor, action="sessions:delete",
                   resource={"type": "sessions", "id": session}).json()
    assert deleting["reasons"][0]["code"] == "forbid:only-owner-deletes"
    # a Template Manager is never reached by a share
    assert not ask(client, org_id, tm, action="sessions:read", resource={"type": "sessions", "id": session}
                   ).json()["allowed"]


def test_batch_check_for_other_members_needs_decisions_check(client, world):
    org_id, owner = world.org()
    clin = world.member(org_id, roles=("clinician",))
    front = world.member(org_id, roles=("front_desk",))
    patient = world.patient(org_id, care_team=(clin.member_id,))
    batch = {"requests": [
        {"member_id": clin.member_id, "action": "patients:read", "resource": {"type": "patients", "id": patient}},
        {"member_email": front.email, "action": "patients:read", "resource": {"type": "patients", "id": patient}},
        {"member_id": front.member_id, "action": "patients:edit", "resource": {"type": "patients", "id": patient}},
        {"action": "patients:read", "resource": {"type": "patients", "id": "pat_missing"}},
    ]}
    r = client.post(f"/v1/orgs/{org_id}/check", json=batch, headers=owner.headers)
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["allowed"] for x in results] == [True, True, False, False]
    assert results[1]["hidden_fields"] == ["clinical_summary", "insurance", "ssn"]
    assert results[3]["reasons"][0]["code"] == "error:not-found"
    # a clinician may ask about themselves, not about others
    r = client.post(f"/v1/orgs/{org_id}/check", json=batch, headers=clin.headers)
    assert r.status_code == 403


def test_described_objects_of_other_software(client, world):
    org_id, _ = world.org()
    team = world.team(org_id)
    assistant = world.member(org_id, roles=("assistant",), teams=(team,))
    clin = world.member(org_id, roles=("clinician",), teams=(team,))
    note = {"type": "notes", "id": "ext-note-1", "owner_id": clin.member_id, "team_ids": [team]}
    assert ask(client, org_id, assistant, action="notes:copy", resource=note).json()["allowed"] is True
    r = ask(client, org_id, assistant, action="notes:delete", resource=note).json()
    assert r["allowed"] is False and r["reasons"][0]["code"] == "forbid:only-owner-deletes"
    create_for_self = {"type": "sessions", "owner_id": assistant.member_id, "team_ids": [team]}
    assert ask(client, org_id, assistant, action="sessions:create", resource=create_for_self).json()["allowed"] is False
    create_for_clin = {"type": "sessions", "owner_id": clin.member_id, "team_ids": [team]}
    assert ask(client, org_id, assistant, action="sessions:create", resource=create_for_clin).json()["allowed"] is True


def test_nothing_crosses_organisations_through_check(client, world):
    org_a, owner_a = world.org("A")
    org_b, owner_b = world.org("B")
    session_b = world.session(org_b, owner_b.member_id)
    # asking in my organisation about an id of another: not found, so denied
    r = ask(client, org_a, owner_a, action="sessions:read", resource={"type": "sessions", "id": session_b}).json()
    assert r["allowed"] is False and r["reasons"][0]["code"] == "error:not-found"
    # asking in their organisation: I am not a member there
    r = ask(client, org_b, owner_a, action="sessions:read", resource={"type": "sessions", "id": session_b})
    assert r.status_code == 404
    # asking about a member of another organisation
    r = ask(client, org_a, owner_a, action="sessions:read", member_id=owner_b.member_id,
            resource={"type": "sessions", "id": session_b}).json()
    assert r["allowed"] is False


def test_bad_questions_get_clear_answers(client, world):
    org_id, owner = world.org()
    cases = [
        ({"action": "sessions:fly", "resource": {"type": "sessions", "id": "x"}}, "unknown action 'fly'"),
        ({"action": "read", "resource": {"type": "spaceships", "id": "x"}}, "unknown resource type"),
        ({"action": "notes:read", "resource": {"type": "sessions", "id": "x"}}, "is about notes"),
        ({"action": "sessions:read", "resource": {"type": "sessions", "shares": {"mem_x": "admin"}}},
         "share level 'admin'"),
    ]
    for body, text in cases:
        r = client.post(f"/v1/orgs/{org_id}/check", json=body, headers=owner.headers)
        assert r.status_code == 422, r.text
        assert text in r.json()["detail"], (body, r.json())
    r = client.post(f"/v1/orgs/{org_id}/check", json={"requests": []}, headers=owner.headers)
    assert r.status_code == 422
    many = {"requests": [{"action": "sessions:read", "resource": {"type": "sessions", "id": "x"}}] * 101}
    assert client.post(f"/v1/orgs/{org_id}/check", json=many, headers=owner.headers).status_code == 422
