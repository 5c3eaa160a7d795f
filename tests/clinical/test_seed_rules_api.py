"""The seed table, through the API on stored objects: one row per rule of PRODUCT.md about clinical objects.

Each row names the rule it stands for, a scenario (objects made through the API in the `clinic` fixture's
organisation), who asks, the request, and the answer: the status and, for refusals, the code of the first
reason (which role, grant, setting or forbid decided). Every row would fail if its rule broke, in either
direction: allowed rows are paired with refused ones for the same object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

Scenario = Callable[[Any], dict[str, Any]]


# --- scenarios: stored objects made through the API --------------------------------------------------

def consult(c: Any) -> dict[str, Any]:
    """A clinician's session with a patient, started by their assistant, with a note and a transcript."""
    patient = c.patient(c.clinician)
    session = c.session(c.clinician, by=c.assistant, patient_id=patient)
    c.api.ok(c.api.put(c.clinician, f"sessions/{session}/note", {"body": "S: cough for 3 weeks"}))
    c.api.ok(c.api.put(c.clinician, f"sessions/{session}/transcript", {"body": "Doctor: how long ..."}))
    return {"patient": patient, "session": session}


def shared(level: str) -> Scenario:
    def build(c: Any) -> dict[str, Any]:
        ids = consult(c)
        c.api.ok(c.api.put(c.clinician, f"sessions/{ids['session']}/shares/{c.stranger.member_id}", {"level": level}))
        return ids
    build.__name__ = f"shared_{level}"
    return build


def visibility(on: bool, plan: str = "practice") -> Scenario:
    def build(c: Any) -> dict[str, Any]:
        ids = consult(c)
        c.api.ok(c.api.put(c.owner, "subscription", {"plan": plan}))
        if on:
            c.api.ok(c.api.patch(c.owner, "settings", {"session_visibility": True}))
        return ids
    return build


def free_plan(trial: bool) -> Scenario:
    def build(c: Any) -> dict[str, Any]:
        c.api.ok(c.api.put(c.owner, "subscription", {"plan": "free"}))
        if trial:
            c.api.ok(c.api.put(c.owner, "subscription", {"start_trial": True}))
        return {}
    return build


def explicit_access(hours: int | None) -> Scenario:
    """The stranger (another team's clinician) was given access to the patient, perhaps for some hours."""
    def build(c: Any) -> dict[str, Any]:
        ids = consult(c)
        body: dict[str, Any] = {"member_id": c.stranger.member_id, "reason": "covering"}
        if hours is not None:
            body["until"] = (c.clock.now() + timedelta(hours=hours)).isoformat()
        c.api.ok(c.api.post(c.administrator, f"patients/{ids['patient']}/access", body), 201)
        if hours is not None:
            c.clock.advance(hours=abs(hours) + 1)  # past the end of the grant
            c.people.update({k: c.world.relogin(p) for k, p in c.people.items()})  # idle sessions ended
        return ids
    return build


def billing_records(c: Any) -> dict[str, Any]:
    patient = c.patient(c.clinician)
    invoice = c.api.ok(c.api.post(c.billing, "invoices", {"amount_cents": 12000, "patient_id": patient}), 201)
    payment = c.api.ok(c.api.post(c.billing, "payments", {"amount_cents": 12000, "invoice_id": invoice["id"],
                                                          "patient_id": patient}), 201)
    refund = c.api.ok(c.api.post(c.billing, "refunds", {"amount_cents": 2000, "reason": "overcharged",
                                                        "payment_id": payment["id"]}), 201)
    return {"patient": patient, "invoice": invoice["id"], "payment": payment["id"], "refund": refund["id"]}


def refund_approved(c: Any) -> dict[str, Any]:
    ids = billing_records(c)
    c.api.ok(c.api.post(c.owner, f"refunds/{ids['refund']}/approve"))
    return ids


def junior_biller(amount_cents: int) -> Scenario:
    """A custom role "may approve charges under $500", and a charge someone else asked for."""
    def build(c: Any) -> dict[str, Any]:
        role = c.api.ok(c.api.post(c.owner, "roles", {
            "name": "Junior Biller", "parent": "billing",
            "permissions": {"charges": {"approve": {"scope": "org", "conditions": [
                {"type": "attr", "attr": "amount", "op": "lt", "value": 500}]}}}}), 201)
        c.people["junior"] = c.world.member(c.org_id, roles=(role["key"],))
        charge = c.api.ok(c.api.post(c.billing, "charges", {"description": "x-ray", "amount_cents": amount_cents}), 201)
        return {"charge": charge["id"]}
    return build


def call_with_transcript(c: Any) -> dict[str, Any]:
    patient = c.patient(c.clinician)
    call = c.api.ok(c.api.post(c.call_center, "calls", {"caller_number": "+1 555 0199", "patient_id": patient}), 201)
    c.api.ok(c.api.patch(c.call_center, f"calls/{call['id']}", {"transcript": "Caller asks to rebook."}))
    return {"call": call["id"], "patient": patient}


def templates(c: Any) -> dict[str, Any]:
    team_tpl = c.api.ok(c.api.post(c.template_manager, "templates", {
        "name": "SOAP", "visibility": "team", "team_ids": [c.team]}), 201)
    personal = c.api.ok(c.api.post(c.clinician, "templates", {"name": "Mine"}), 201)
    return {"team_template": team_tpl["id"], "personal_template": personal["id"]}


def nothing(c: Any) -> dict[str, Any]:
    return {}


# --- the table ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    id: str
    rule: str
    scenario: Scenario
    who: str
    method: str
    path: str
    status: int
    reason: str | None = None
    body: dict[str, Any] | Callable[[Any], dict[str, Any]] = field(default_factory=dict)
    expect: Callable[[Any], bool] | None = None


def row(*args: Any, **kwargs: Any) -> Any:
    rule = Rule(*args, **kwargs)
    return pytest.param(rule, id=rule.id)


def other_member(name: str) -> Callable[[Any], dict[str, Any]]:
    return lambda c: {"owner_id": c.people[name].member_id, "title": "for them"}


HIDDEN = {"ssn", "insurance", "clinical_summary"}

ROWS = [
    # Assistant
    row("asst-creates-session-for-clinician", "An Assistant creates sessions for a clinician", nothing,
        "assistant", "POST", "sessions", 201, body=other_member("clinician")),
    row("asst-never-for-themselves", "... and never for themselves", nothing,
        "assistant", "POST", "sessions", 403, "forbid:support-seat", body={"title": "mine"}),
    row("asst-cannot-record", "An Assistant cannot start a recording", consult,
        "assistant", "POST", "sessions/{session}/recording", 403, "default-deny", body={"state": "recording"}),
    row("clin-records-own-session", "(the owner can)", consult,
        "clinician", "POST", "sessions/{session}/recording", 200, body={"state": "recording"}),
    row("asst-cannot-delete-core-note", "An Assistant cannot delete a core note", consult,
        "assistant", "DELETE", "sessions/{session}/note", 403, "forbid:only-owner-deletes"),
    row("asst-views-core-note", "An Assistant can view the core note", consult,
        "assistant", "GET", "sessions/{session}/note", 200),
    row("asst-copies-core-note", "... and copy it", consult,
        "assistant", "POST", "sessions/{session}/note/copy", 200),
    row("asst-cannot-edit-core-note", "(view and copy only)", consult,
        "assistant", "PUT", "sessions/{session}/note", 403, "default-deny", body={"body": "changed"}),
    row("asst-writes-referral-letter", "An Assistant creates downstream documents", consult,
        "assistant", "POST", "sessions/{session}/documents", 201,
        body={"kind": "referral_letter", "title": "Referral to cardiology"}),
    row("asst-writes-patient-explainer", "... referral letters, patient explainers", consult,
        "assistant", "POST", "sessions/{session}/documents", 201,
        body={"kind": "patient_explainer", "title": "About your inhaler"}),
    # Only the owner deletes a session
    row("owner-role-cannot-delete-clinicians-session", "Only the owner deletes a session", consult,
        "owner", "DELETE", "sessions/{session}", 403, "forbid:only-owner-deletes"),
    row("full-share-cannot-delete-session", "Only the owner deletes a session (not a full share)", shared("full"),
        "stranger", "DELETE", "sessions/{session}", 403, "forbid:only-owner-deletes"),
    row("session-owner-deletes", "Only the owner deletes a session", consult,
        "clinician", "DELETE", "sessions/{session}", 204),
    # Template Managers
    row("tm-sees-no-patient", "Template Managers see no patient data", consult,
        "template_manager", "GET", "patients/{patient}", 403, "default-deny"),
    row("tm-lists-no-patients", "Template Managers see no patient data (lists)", consult,
        "template_manager", "GET", "patients", 200, expect=lambda r: r["total"] == 0 and r["items"] == []),
    row("tm-sees-no-session", "Template Managers see no sessions", consult,
        "template_manager", "GET", "sessions/{session}", 403, "default-deny"),
    row("tm-not-share-target", "Template Managers cannot be share targets", consult,
        "clinician", "PUT", "sessions/{session}/shares/{template_manager}", 422, body={"level": "view"}),
    row("tm-edits-team-template", "Template Managers manage team templates", templates,
        "template_manager", "PATCH", "templates/{team_template}", 200, body={"name": "SOAP v2"}),
    row("clin-cannot-edit-team-template", "Clinicians cannot modify team templates", templates,
        "clinician", "PATCH", "templates/{team_template}", 403, "default-deny", body={"name": "mine now"}),
    row("clin-reads-team-template", "(but read their teams' templates)", templates,
        "clinician", "GET", "templates/{team_template}", 200),
    row("tm-cannot-touch-personal-template", "Clinicians own personal templates", templates,
        "template_manager", "GET", "templates/{personal_template}", 403, "default-deny"),
    # Front Desk, Billing, Call Center
    row("fd-sees-contact-details", "Front Desk sees contact details", consult,
        "front_desk", "GET", "patients/{patient}", 200,
        expect=lambda r: r["email"] == "pat@example.org" and r["phone"] and set(r["hidden_fields"]) == HIDDEN
        and r["ssn"] is None and r["insurance"] is None and r["clinical_summary"] is None),
    row("fd-no-medical-record", "Front Desk does not see medical records", consult,
        "front_desk", "GET", "sessions/{session}/note", 403, "default-deny"),
    row("fd-cannot-modify-patient", "Front Desk cannot modify patient data", consult,
        "front_desk", "PATCH", "patients/{patient}", 403, "default-deny", body={"phone": "+1 555 0000"}),
    row("billing-sees-billing-records", "Billing sees billing records", billing_records,
        "billing", "GET", "invoices/{invoice}", 200),
    row("billing-no-clinical-records", "Billing does not see clinical ones", consult,
        "billing", "GET", "sessions/{session}", 403, "default-deny"),
    row("billing-patient-without-clinical-summary", "Billing sees patients' billing side only", consult,
        "billing", "GET", "patients/{patient}", 200,
        expect=lambda r: r["hidden_fields"] == ["clinical_summary"] and r["ssn"] == "123-45-6789"),
    row("clin-no-billing-records", "Clinicians cannot see billing", billing_records,
        "clinician", "GET", "invoices/{invoice}", 403, "default-deny"),
    row("cc-sees-calls", "Call Center sees calls", call_with_transcript,
        "call_center", "GET", "calls/{call}", 200),
    row("cc-reads-ai-transcription", "... and their AI transcription", call_with_transcript,
        "call_center", "GET", "calls/{call}/transcript", 200),
    row("cc-no-patient-records", "Call Center does not see patient records", call_with_transcript,
        "call_center", "GET", "patients/{patient}", 403, "default-deny"),
    # Shared rooms need the plan
    row("shared-room-refused-on-free", "Shared rooms need the plan", free_plan(trial=False),
        "administrator", "POST", "rooms", 403, "plan:shared_rooms", body={"kind": "shared", "name": "Group"}),
    row("shared-room-on-free-during-trial", "(a trial opens it)", free_plan(trial=True),
        "administrator", "POST", "rooms", 201, body={"kind": "shared", "name": "Group"}),
    row("shared-room-on-practice", "(the practice plan has it)", nothing,
        "administrator", "POST", "rooms", 201, body={"kind": "shared", "name": "Group"}),
    row("no-personal-room-for-support-seat", "Assistants have no video room of their own", nothing,
        "administrator", "POST", "rooms", 403, "forbid:support-seat",
        body=lambda c: {"kind": "personal", "owner_id": c.assistant.member_id}),
    # Direct sharing
    row("view-share-reads-note", "view = read-only", shared("view"),
        "stranger", "GET", "sessions/{session}/note", 200),
    row("view-share-cannot-edit-note", "view = read-only", shared("view"),
        "stranger", "PUT", "sessions/{session}/note", 403, "default-deny", body={"body": "x"}),
    row("edit-share-edits-note", "edit = edit notes, status, documents, context", shared("edit"),
        "stranger", "PUT", "sessions/{session}/note", 200, body={"body": "edited"}),
    row("edit-share-edits-patient-profile", "edit = ... patient profile", shared("edit"),
        "stranger", "PATCH", "patients/{patient}", 200, body={"phone": "+1 555 0111"}),
    row("edit-share-cannot-share-onwards", "full = edit + share onwards", shared("edit"),
        "stranger", "PUT", "sessions/{session}/shares/{clinician2}", 403, "default-deny", body={"level": "view"}),
    row("full-share-shares-onwards", "full = edit + share onwards", shared("full"),
        "stranger", "PUT", "sessions/{session}/shares/{clinician2}", 200, body={"level": "view"}),
    row("full-share-removes-access", "Owner or full holders change or remove access", shared("full"),
        "stranger", "DELETE", "sessions/{session}/shares/{stranger}", 204),
    row("unshared-colleague-refused", "(without a share)", consult,
        "stranger", "GET", "sessions/{session}", 403, "default-deny"),
    row("share-reaches-an-assistant", "Shares reach anyone in the organisation, on any team", consult,
        "clinician", "PUT", "sessions/{session}/shares/{assistant}", 200, body={"level": "view"}),
    row("share-never-outside", "... and nowhere outside", consult,
        "clinician", "PUT", "sessions/{session}/shares/{outsider}", 404, body={"level": "view"}),
    # Team-wide session visibility
    row("visibility-refused-on-free", "visibility needs practice/enterprise", free_plan(trial=False),
        "owner", "PATCH", "settings", 403, "plan:session_visibility", body={"session_visibility": True}),
    row("visibility-on-free-during-trial", "... unless a trial is running", free_plan(trial=True),
        "owner", "PATCH", "settings", 200, body={"session_visibility": True}),
    row("admin-reads-team-session-visibility-on", "the chosen roles read all sessions of their teams",
        visibility(on=True), "administrator", "GET", "sessions/{session}/note", 200),
    row("admin-cannot-read-team-session-visibility-off", "(only when the setting is on)", visibility(on=False),
        "administrator", "GET", "sessions/{session}/note", 403, "default-deny"),
    row("admin-writes-document-visibility-on", "on colleagues' sessions: read notes, create documents",
        visibility(on=True), "administrator", "POST", "sessions/{session}/documents", 201,
        body={"kind": "summary", "title": "For the board"}),
    row("admin-cannot-edit-transcript-visibility-on", "cannot edit a colleague's transcript", visibility(on=True),
        "administrator", "PUT", "sessions/{session}/transcript", 403, "default-deny", body={"body": "x"}),
    # Explicit patient access
    row("explicit-access-reads-patient", "An Administrator grants a member access to one patient",
        explicit_access(None), "stranger", "GET", "patients/{patient}", 200),
    row("explicit-access-reads-patients-records", "(and that patient's clinical records)", explicit_access(None),
        "stranger", "GET", "sessions/{session}/note", 200),
    row("explicit-access-read-only", "(access to read; editing needs more)", explicit_access(None),
        "stranger", "PUT", "sessions/{session}/note", 403, "default-deny", body={"body": "x"}),
    row("explicit-access-lapses", "... optionally until a date", explicit_access(2),
        "stranger", "GET", "patients/{patient}", 403, "default-deny"),
    row("clinician-cannot-grant-access", "(only Administrators and Owners grant it)", consult,
        "clinician", "POST", "patients/{patient}/access", 403, "default-deny",
        body=lambda c: {"member_id": c.stranger.member_id}),
    # Separation of duties and conditions
    row("refund-requester-cannot-approve", "a refund is approved by someone other than who requested it",
        billing_records, "billing", "POST", "refunds/{refund}/approve", 403, "forbid:separation-of-duties"),
    row("refund-other-approves", "(someone else may)", billing_records,
        "owner", "POST", "refunds/{refund}/approve", 200),
    row("refund-approver-cannot-process", "whoever approved a refund cannot process it", refund_approved,
        "owner", "POST", "refunds/{refund}/process", 403, "forbid:separation-of-duties"),
    row("refund-third-person-processes", "(a third person processes it)", refund_approved,
        "billing2", "POST", "refunds/{refund}/process", 200),
    row("junior-biller-approves-under-500", "may approve charges under $500", junior_biller(49_999),
        "junior", "POST", "charges/{charge}/approve", 200),
    row("junior-biller-refused-at-500", "may approve charges under $500", junior_biller(50_000),
        "junior", "POST", "charges/{charge}/approve", 403, "default-deny"),
]


@pytest.fixture
def scene(clinic: Any, world: Any, clock: Any) -> Any:
    clinic.world, clinic.clock = world, clock
    clinic.people["billing2"] = world.member(clinic.org_id, roles=("billing",))
    other_org, _ = world.org("Elsewhere")
    clinic.people["outsider"] = world.member(other_org, roles=("clinician",))
    return clinic


@pytest.mark.parametrize("rule", ROWS)
def test_rule(scene: Any, rule: Rule) -> None:
    ids = rule.scenario(scene)
    names = {**{k: p.member_id for k, p in scene.people.items()}, **ids}
    path = rule.path.format(**names)
    body = rule.body(scene) if callable(rule.body) else rule.body
    who = scene.people[rule.who]
    api = scene.api
    response = {"GET": lambda: api.get(who, path), "POST": lambda: api.post(who, path, body),
                "PUT": lambda: api.put(who, path, body), "PATCH": lambda: api.patch(who, path, body),
                "DELETE": lambda: api.delete(who, path)}[rule.method]()
    assert response.status_code == rule.status, f"{rule.rule}: {response.text}"
    data = response.json() if response.content else None
    if rule.reason is not None:
        assert data["reasons"][0]["code"].startswith(rule.reason), data
    if rule.expect is not None:
        assert rule.expect(data), data


def test_every_rule_of_the_issue_has_rows() -> None:
    ids = {p.values[0].id for p in ROWS}
    for prefix in ("asst-", "session-owner", "tm-", "fd-", "billing-", "cc-", "shared-room", "view-share",
                   "edit-share", "full-share", "visibility", "admin-reads-team", "explicit-access", "refund-",
                   "junior-biller"):
        assert any(i.startswith(prefix) for i in ids), prefix
