"""POST /lookup and the list endpoints: what the database returns, keyset pages, totals that leak nothing."""

from __future__ import annotations

from typing import Any

import pytest


def lookup(c: Any, who: Any, **body: Any) -> Any:
    return c.api.post(who, "lookup", body)


def test_list_returns_exactly_what_may_be_read_with_honest_totals(clinic: Any) -> None:
    c = clinic
    mine = [c.session(c.clinician) for _ in range(5)]
    for _ in range(7):
        c.session(c.stranger)
    shared = c.session(c.clinician2)
    c.api.ok(c.api.put(c.clinician2, f"sessions/{shared}/shares/{c.clinician.member_id}", {"level": "view"}))
    page = c.api.ok(c.api.get(c.clinician, "sessions", limit=4))
    assert page["total"] == 6, "the total counts only what the member may read"
    assert [s["id"] for s in page["items"]] == sorted([*mine, shared])[:4]
    rest = c.api.ok(c.api.get(c.clinician, "sessions", limit=4, after=page["next_cursor"]))
    assert [s["id"] for s in rest["items"]] == sorted([*mine, shared])[4:] and rest["next_cursor"] is None
    # a filter narrows the same set, and its total
    filtered = c.api.ok(c.api.get(c.clinician, "sessions", owner_id=c.stranger.member_id))
    assert filtered == {"items": [], "total": 0, "next_cursor": None}
    # the Owner reads all 13
    assert c.api.ok(c.api.get(c.owner, "sessions"))["total"] == 13


def test_lookup_for_oneself_and_for_others(clinic: Any) -> None:
    c = clinic
    own = c.session(c.stranger)
    for_stranger = lookup(c, c.owner, type="sessions", member_id=c.stranger.member_id)
    assert c.api.ok(for_stranger) == {"type": "sessions", "action": "read", "member_id": c.stranger.member_id,
                                      "ids": [own], "next_cursor": None}
    by_email = c.api.ok(lookup(c, c.owner, type="sessions", action="sessions:delete", member_email=c.stranger.email))
    assert by_email["ids"] == [own]
    # the Owner role reads it but cannot delete it: only the session's owner deletes
    assert c.api.ok(lookup(c, c.owner, type="sessions", action="delete"))["ids"] == []
    assert c.api.ok(lookup(c, c.owner, type="sessions"))["ids"] == [own]
    # asking about oneself needs nothing; about someone else, decisions:check
    assert c.api.ok(lookup(c, c.clinician, type="sessions"))["ids"] == []
    r = lookup(c, c.clinician, type="sessions", member_id=c.stranger.member_id)
    assert r.status_code == 403 and r.json()["reasons"][0]["code"] == "default-deny"


def test_lookup_pages(clinic: Any) -> None:
    c = clinic
    ids = sorted(c.session(c.clinician) for _ in range(5))
    first = c.api.ok(lookup(c, c.clinician, type="sessions", limit=2))
    assert first["ids"] == ids[:2]
    second = c.api.ok(lookup(c, c.clinician, type="sessions", limit=2, after=first["next_cursor"]))
    third = c.api.ok(lookup(c, c.clinician, type="sessions", limit=2, after=second["next_cursor"]))
    assert second["ids"] == ids[2:4] and third == {**third, "ids": ids[4:], "next_cursor": None}


@pytest.mark.parametrize(("body", "status", "says"), [
    ({"type": "spaceships"}, 422, "unknown type"),
    ({"type": "sessions", "action": "fly"}, 422, "unknown action"),
    ({"type": "sessions", "action": "notes:read"}, 422, "is about notes"),
    ({"type": "sessions", "action": "create"}, 422, "cannot be answered as a list"),
    ({"type": "patients", "action": "assign"}, 422, "ask POST /check"),
    ({"type": "sessions", "limit": 0}, 422, "limit"),
    ({"type": "sessions", "limit": 5000}, 422, "limit"),
    ({"type": "sessions", "member_id": "mem_nobody"}, 404, "not in this organisation"),
    ({"type": "sessions", "extra": True}, 422, "extra"),
])
def test_lookup_refusals(clinic: Any, body: dict[str, Any], status: int, says: str) -> None:
    r = lookup(clinic, clinic.owner, **body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert says in r.text


def test_lookup_never_crosses_organisations(clinic: Any, world: Any) -> None:
    other_org, other_owner = world.org("Elsewhere")
    clinic.session(clinic.clinician)
    theirs = world.session(other_org, other_owner.member_id)
    r = clinic.api.post(clinic.owner, "lookup", {"type": "sessions", "member_id": other_owner.member_id})
    assert r.status_code == 404
    assert theirs not in clinic.api.ok(lookup(clinic, clinic.owner, type="sessions"))["ids"]


@pytest.mark.parametrize(("kind", "who", "visible"), [
    ("templates", "clinician", 2),  # their personal one and their team's
    ("templates", "stranger", 1),  # another team: only their own
    ("templates", "template_manager", 1),  # the team template, not the clinicians' personal ones
    ("documents", "assistant", 1),
    ("documents", "billing", 0),
    ("appointments", "front_desk", 1),
    ("appointments", "stranger", 0),
    ("messages", "assistant", 1),
    ("messages", "front_desk", 0),
    ("calls", "call_center", 1),
    ("calls", "clinician", 0),
    ("products", "inventory", 1),
    ("products", "billing", 0),
    ("invoices", "billing", 1),
    ("invoices", "clinician", 0),
    ("rooms", "clinician", 1),
    ("rooms", "assistant", 0),
])
def test_every_list_is_filtered(clinic: Any, kind: str, who: str, visible: int) -> None:
    c = clinic
    patient = c.patient(c.clinician)
    session = c.session(c.clinician, patient_id=patient)
    c.api.ok(c.api.post(c.clinician, "templates", {"name": "Mine"}), 201)
    c.api.ok(c.api.post(c.template_manager, "templates", {"name": "Team", "visibility": "team",
                                                          "team_ids": [c.team]}), 201)
    c.api.ok(c.api.post(c.stranger, "templates", {"name": "Theirs"}), 201)
    c.api.ok(c.api.post(c.clinician, f"sessions/{session}/documents", {"kind": "letter", "title": "Letter"}), 201)
    c.api.ok(c.api.post(c.clinician, "appointments", {"patient_id": patient, "starts_at": "2026-12-01T09:00:00Z",
                                                      "ends_at": "2026-12-01T09:30:00Z"}), 201)
    c.api.ok(c.api.post(c.clinician, f"patients/{patient}/messages", {"body": "See you Tuesday"}), 201)
    c.api.ok(c.api.post(c.call_center, "calls", {"caller_number": "+1 555 0100"}), 201)
    c.api.ok(c.api.post(c.inventory, "inventory/products", {"name": "Gloves", "stock": 10}), 201)
    c.api.ok(c.api.post(c.billing, "invoices", {"amount_cents": 5000, "patient_id": patient}), 201)
    c.api.ok(c.api.post(c.administrator, "rooms", {"kind": "personal", "owner_id": c.clinician.member_id}), 201)
    path = {"products": "inventory/products"}.get(kind, kind)
    page = c.api.ok(c.api.get(c.people[who], path))
    assert page["total"] == visible == len(page["items"]), page
