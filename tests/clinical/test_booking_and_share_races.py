"""Changes that must see each other run one after the other: two bookings of one provider at the same time,
two shares of one session with one member. Exactly one wins; the other is a clear 409 or an update, never a
500 or a double booking."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from caregate.service.actors import load_actor
from caregate.service.clinical import scheduling, sharing
from caregate.service.context import Caller
from caregate.service.errors import Conflict


def twice(services: Any, login: Any, org_id: str, fn: Any, **kwargs: Any) -> list[str]:
    def once(_: int) -> str:
        try:
            with services.unit() as uow:
                fn(uow, load_actor(uow, Caller(token=login.token), org_id), **kwargs)
            return "ok"
        except Conflict:
            return "conflict"
    with ThreadPoolExecutor(max_workers=2) as pool:
        return sorted(pool.map(once, range(2)))


def test_a_provider_is_never_double_booked(clinic: Any, services: Any) -> None:
    starts, ends = datetime(2026, 12, 1, 9, tzinfo=UTC), datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    results = twice(services, clinic.clinician, clinic.org_id, scheduling.book, starts_at=starts, ends_at=ends)
    assert results == ["conflict", "ok"]
    assert clinic.api.ok(clinic.api.get(clinic.clinician, "appointments"))["total"] == 1


def test_two_shares_of_one_session_with_one_member(clinic: Any, services: Any) -> None:
    session = clinic.session(clinic.clinician)
    results = twice(services, clinic.clinician, clinic.org_id, sharing.share, session_id=session,
                    member_id=clinic.stranger.member_id, level="edit")
    assert results == ["ok", "ok"]
    shares = clinic.api.ok(clinic.api.get(clinic.clinician, f"sessions/{session}/shares"))
    assert [(s["member_id"], s["level"]) for s in shares] == [(clinic.stranger.member_id, "edit")]
    # told once: the second saw the share already there
    assert clinic.api.ok(clinic.api.get(clinic.stranger, "notifications"))["unread"] == 1
