"""Seats: the billing formula, seat types from roles, availability, and the quote confirmed before adding."""

from __future__ import annotations

import pytest

from caregate.engine import BUILTIN_ROLES, SeatType
from caregate.service.seats import billed_standard, seat_type


@pytest.mark.parametrize(("standard", "support", "billed"), [
    (10, 16, 13),  # the seed's example
    (10, 10, 10),
    (10, 0, 10),
    (1, 1, 1),
    (1, 2, 2),
    (0, 1, 1),
    (0, 0, 0),
    (3, 8, 6),
    (5, 6, 6),
])
def test_billed_standard_seats(standard, support, billed):
    assert billed_standard(standard, support) == billed


@pytest.mark.parametrize(("roles", "seat"), [
    (("owner",), SeatType.STANDARD),
    (("administrator",), SeatType.STANDARD),
    (("clinician",), SeatType.STANDARD),
    (("assistant",), SeatType.SUPPORT),
    (("template_manager",), SeatType.SUPPORT),
    (("front_desk",), SeatType.SUPPORT),
    (("billing",), SeatType.SUPPORT),
    (("manager",), SeatType.SUPPORT),
    (("inventory",), SeatType.SUPPORT),
    (("call_center",), SeatType.SUPPORT),
    (("assistant", "clinician"), SeatType.STANDARD),
    (("template_manager", "clinician"), SeatType.STANDARD),
])
def test_seat_type_follows_roles(roles, seat):
    assert seat_type(roles, BUILTIN_ROLES) is seat


def test_seats_summary_counts_active_and_disabled_not_invited_or_archived(client, world):
    org_id, owner = world.org()
    for _ in range(3):
        world.member(org_id, roles=("clinician",))
    for _ in range(4):
        world.member(org_id, roles=("assistant",))
    world.member(org_id, roles=("front_desk",), status="disabled")
    world.member(org_id, roles=("clinician",), status="invited")
    world.member(org_id, roles=("clinician",), status="archived")
    r = client.get(f"/v1/orgs/{org_id}/seats", headers=owner.headers)
    assert r.status_code == 200, r.text
    seats = r.json()
    assert (seats["standard"], seats["support"]) == (4, 5)  # owner + 3 clinicians; 4 assistants + 1 disabled
    assert seats["billed_standard"] == 5  # max(4, ceil(9 / 2))
    assert "max(4, ceil(9 / 2)) = 5" in seats["formula"]


def test_only_owners_and_administrators_see_seats(client, world):
    org_id, _ = world.org()
    clinician = world.member(org_id, roles=("clinician",))
    assert client.get(f"/v1/orgs/{org_id}/seats", headers=clinician.headers).status_code == 403
    admin = world.member(org_id, roles=("administrator",))
    assert client.get(f"/v1/orgs/{org_id}/seats", headers=admin.headers).status_code == 200


def _set_purchased(services, org_id: str, seats: int) -> None:
    from caregate.store import repo

    with services.unit() as uow:
        repo.get_org(uow.session, org_id=org_id, lock=True).seats_purchased = seats


def test_adding_a_member_shows_the_prorated_quote_before_confirming(client, world, services, clock):
    org_id, owner = world.org(plan="practice")  # 360.00 per standard seat per year
    _set_purchased(services, org_id, 1)
    clock.advance(minutes=20)
    q = client.post(f"/v1/orgs/{org_id}/seats/quote", json={"roles": ["clinician"]}, headers=owner.headers).json()
    assert q["seats_to_buy"] == 1 and q["term_days"] == 365 and q["remaining_days"] == 365
    assert q["amount_cents"] == 36_000
    # a support seat is free while a standard seat covers it
    free = client.post(f"/v1/orgs/{org_id}/seats/quote", json={"roles": ["assistant"]}, headers=owner.headers).json()
    assert free["seats_to_buy"] == 0 and free["amount_cents"] == 0
    # half-way through the term the same seat costs half
    clock.advance(days=182, hours=11)
    owner_headers = world.relogin(owner).headers
    half = client.post(f"/v1/orgs/{org_id}/seats/quote", json={"roles": ["clinician"]}, headers=owner_headers).json()
    assert half["remaining_days"] == 183 and half["amount_cents"] == round(36_000 * 183 / 365)

    body = {"email": "paid@example.org", "roles": ["clinician"]}
    unconfirmed = client.post(f"/v1/orgs/{org_id}/members", json=body, headers=owner_headers)
    assert unconfirmed.status_code == 409
    assert unconfirmed.json()["quote"]["amount_cents"] == half["amount_cents"]
    assert "confirm_charge_cents" in unconfirmed.json()["detail"]
    wrong = client.post(f"/v1/orgs/{org_id}/members", json={**body, "confirm_charge_cents": 1}, headers=owner_headers)
    assert wrong.status_code == 409
    ok = client.post(f"/v1/orgs/{org_id}/members", json={**body, "confirm_charge_cents": half["amount_cents"]},
                     headers=owner_headers)
    assert ok.status_code == 201, ok.text
    # billed from acceptance: nothing charged until then
    from caregate.store import repo

    with services.unit() as uow:
        assert repo.seat_charges(uow.session, org_id=org_id) == []
    from test_members import _link_token

    token = _link_token(services, "paid@example.org")
    assert client.post("/v1/invitations/accept", json={"token": token, "password": "a long enough pass"}
                       ).status_code == 200
    with services.unit() as uow:
        charges = repo.seat_charges(uow.session, org_id=org_id)
        assert [(c.seats, c.amount_cents) for c in charges] == [(1, half["amount_cents"])]
    seats = client.get(f"/v1/orgs/{org_id}/seats", headers=owner_headers).json()
    assert seats["purchased"] == 2 and seats["available"] == 0
