"""Every time a request carries must say its zone: one without is refused with 422, never guessed, never a 500."""

from __future__ import annotations

from typing import Any

NAIVE = "2030-01-01T09:00:00"


def test_times_without_a_zone_are_refused_clearly(clinic: Any) -> None:
    c = clinic
    patient = c.patient(c.clinician)
    cases = [
        c.api.post(c.administrator, f"patients/{patient}/access", {"member_id": c.stranger.member_id, "until": NAIVE}),
        c.api.post(c.clinician, "appointments", {"starts_at": NAIVE, "ends_at": "2030-01-01T09:30:00Z"}),
        c.api.put(c.owner, f"members/{c.stranger.member_id}/roles",
                  {"roles": [{"role": "clinician", "expires_at": NAIVE}]}),
        c.api.put(c.owner, f"members/{c.stranger.member_id}/access-until", {"until": NAIVE}),
        c.api.get(c.clinician, "appointments", **{"from": NAIVE}),
    ]
    for r in cases:
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "timezone" in r.json()["detail"], r.text
    # the same times with a zone are fine
    ok = c.api.post(c.administrator, f"patients/{patient}/access",
                    {"member_id": c.stranger.member_id, "until": NAIVE + "+01:00"})
    assert ok.status_code == 201, ok.text
