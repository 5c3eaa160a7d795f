"""Field-level hiding: the fields a decision hides never leave the service, in single reads, lists and exports."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

SECRETS = ("123-45-6789", "Acme Care 42", "asthma, well controlled")
HIDDEN = ["clinical_summary", "insurance", "ssn"]


def no_secrets(text: str, *secrets: str) -> bool:
    return not any(s in text for s in (secrets or SECRETS))


def desk_exporter(clinic: Any, world: Any) -> Any:
    """Front Desk that may also export patients (a custom role): exports hide what reads hide."""
    role = clinic.api.ok(clinic.api.post(clinic.owner, "roles", {
        "name": "Desk Exporter", "parent": "front_desk", "permissions": {"patients": {"export": "org"}}}), 201)
    return world.member(clinic.org_id, roles=(role["key"],))


def test_front_desk_single_read_hides_sensitive_fields(clinic: Any) -> None:
    patient = clinic.patient(clinic.clinician, address="1 Harbour Road", date_of_birth="1980-02-03")
    r = clinic.api.get(clinic.front_desk, f"patients/{patient}")
    body = clinic.api.ok(r)
    assert no_secrets(r.text)
    assert body["hidden_fields"] == HIDDEN
    assert (body["ssn"], body["insurance"], body["clinical_summary"]) == (None, None, None)
    assert (body["email"], body["address"], body["date_of_birth"]) == ("pat@example.org", "1 Harbour Road",
                                                                        "1980-02-03")
    # the clinician on the care team receives everything
    r = clinic.api.get(clinic.clinician, f"patients/{patient}")
    assert clinic.api.ok(r)["hidden_fields"] == [] and all(s in r.text for s in SECRETS)


def test_lists_hide_per_row(clinic: Any, world: Any) -> None:
    mine = clinic.patient(clinic.clinician)
    theirs = clinic.patient(clinic.stranger)
    both = world.member(clinic.org_id, roles=("front_desk", "clinician"), teams=(clinic.team,))
    clinic.api.ok(clinic.api.put(clinic.owner, f"patients/{mine}/care-team/{both.member_id}"))
    r = clinic.api.get(both, "patients")
    rows = {p["id"]: p for p in clinic.api.ok(r)["items"]}
    assert set(rows) == {mine, theirs}
    # on their own patient the Clinician role shows everything; elsewhere Front Desk's hiding holds
    assert rows[mine]["hidden_fields"] == [] and rows[mine]["ssn"] == "123-45-6789"
    assert rows[theirs]["hidden_fields"] == HIDDEN and rows[theirs]["ssn"] is None
    r = clinic.api.get(clinic.front_desk, "patients")
    assert no_secrets(r.text) and clinic.api.ok(r)["total"] == 2


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_exports_hide_the_same_fields(clinic: Any, world: Any, fmt: str) -> None:
    clinic.patient(clinic.clinician)
    clinic.patient(clinic.stranger, name="Second Patient")
    exporter = desk_exporter(clinic, world)
    r = clinic.api.get(exporter, "patients/export", format=fmt)
    assert r.status_code == 200, r.text
    assert no_secrets(r.text)
    assert r.headers["x-count"] == "2"
    if fmt == "csv":
        assert r.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert {row["name"] for row in rows} == {"Pat Ient", "Second Patient"}
        assert all(row["ssn"] == "" and row["hidden_fields"] == "clinical_summary;insurance;ssn" for row in rows)
        assert all(row["email"] == "pat@example.org" for row in rows)
    else:
        rows = json.loads(r.text)
        assert all(row["ssn"] is None and row["hidden_fields"] == HIDDEN for row in rows)
    # a Manager may export everything, unhidden; Front Desk may not export at all (empty, never an error)
    r = clinic.api.get(clinic.manager, "patients/export", format=fmt)
    assert all(s in r.text for s in SECRETS)
    r = clinic.api.get(clinic.front_desk, "patients/export", format=fmt)
    assert r.status_code == 200 and r.headers["x-count"] == "0"


def test_explicit_access_does_not_unhide(clinic: Any) -> None:
    patient = clinic.patient(clinic.clinician)
    clinic.api.ok(clinic.api.post(clinic.administrator, f"patients/{patient}/access",
                                  {"member_id": clinic.front_desk.member_id}), 201)
    r = clinic.api.get(clinic.front_desk, f"patients/{patient}")
    assert clinic.api.ok(r)["hidden_fields"] == HIDDEN and no_secrets(r.text)


def test_nobody_changes_a_field_hidden_from_them(clinic: Any, world: Any) -> None:
    role = clinic.api.ok(clinic.api.post(clinic.owner, "roles", {
        "name": "Desk Editor", "parent": "front_desk",
        "permissions": {"patients": {"edit": {"scope": "org", "hidden_fields": ["ssn", "insurance",
                                                                                "clinical_summary"]}}}}), 201)
    editor = world.member(clinic.org_id, roles=(role["key"],))
    patient = clinic.patient(clinic.clinician)
    r = clinic.api.patch(editor, f"patients/{patient}", {"ssn": "000-00-0000"})
    assert r.status_code == 422 and "hidden from you" in r.json()["detail"]
    r = clinic.api.patch(editor, f"patients/{patient}", {"phone": "+1 555 0199"})
    body = clinic.api.ok(r)
    assert body["phone"] == "+1 555 0199" and body["ssn"] is None and no_secrets(r.text)
    assert clinic.api.ok(clinic.api.get(clinic.clinician, f"patients/{patient}"))["ssn"] == "123-45-6789"


def test_billing_and_responses_to_writes_hide_too(clinic: Any) -> None:
    patient = clinic.patient(clinic.clinician)
    r = clinic.api.get(clinic.billing, "patients")
    assert clinic.api.ok(r)["items"][0]["hidden_fields"] == ["clinical_summary"]
    assert no_secrets(r.text, "asthma, well controlled")
    # a share holder editing the profile receives the profile as they may read it
    session = clinic.session(clinic.clinician, patient_id=patient)
    clinic.api.ok(clinic.api.put(clinic.clinician, f"sessions/{session}/shares/{clinic.stranger.member_id}",
                                 {"level": "edit"}))
    r = clinic.api.patch(clinic.stranger, f"patients/{patient}", {"phone": "+1 555 0122"})
    assert clinic.api.ok(r)["phone"] == "+1 555 0122"
