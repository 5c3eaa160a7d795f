"""Seats: standard and support, what is billed, and the pro-rated price of one more.

Each member holds a standard seat (can own patients or sessions, or administers) or a support seat.
One support seat is free per standard seat: billed standard seats = max(standard, ceil((standard +
support) / 2)); 10 standard and 16 support bill 13. Active and disabled members hold seats (disable
keeps the account); invited members are billed from acceptance; archived members free theirs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from caregate.engine import Role, SeatType
from caregate.store import repo
from caregate.store.ids import new_id
from caregate.store.tables import Organisation, SeatCharge

SEATED_STATUSES = ("active", "disabled")
PLAN_SEAT_PRICE_CENTS = {"free": 0, "practice": 36_000, "enterprise": 60_000}  # per standard seat per year


def billed_standard(standard: int, support: int) -> int:
    return max(standard, math.ceil((standard + support) / 2))


def seat_type(role_keys: Iterable[str], roles: Mapping[str, Role]) -> SeatType:
    keys = [k for k in role_keys if k in roles]
    return SeatType.STANDARD if any(roles[k].seat is SeatType.STANDARD for k in keys) else SeatType.SUPPORT


@dataclass(frozen=True, slots=True)
class SeatCount:
    standard: int
    support: int

    @property
    def billed(self) -> int:
        return billed_standard(self.standard, self.support)

    def plus(self, seat: SeatType) -> SeatCount:
        if seat is SeatType.STANDARD:
            return SeatCount(self.standard + 1, self.support)
        return SeatCount(self.standard, self.support + 1)


@dataclass(frozen=True, slots=True)
class Quote:
    seat: SeatType
    billed_before: int
    billed_after: int
    purchased: int
    seats_to_buy: int
    amount_cents: int
    currency: str
    remaining_days: int
    term_days: int
    term_end: datetime

    @property
    def explanation(self) -> str:
        if self.seats_to_buy == 0:
            return (f"No charge: {self.billed_after} billed standard seat(s) fit in the {self.purchased} "
                    "already purchased.")
        return (f"{self.seats_to_buy} more standard seat(s) at {self.currency} "
                f"{self.amount_cents / 100:.2f}, pro-rated for the {self.remaining_days} of {self.term_days} "
                f"days left in the term ending {self.term_end:%Y-%m-%d}.")


def count(s: repo.Session, *, org_id: str, roles: Mapping[str, Role], exclude: str | None = None) -> SeatCount:
    held = repo.member_statuses_and_roles(s, org_id=org_id, statuses=SEATED_STATUSES)
    standard = support = 0
    for member_id, keys in held.items():
        if member_id == exclude:
            continue
        if seat_type(keys, roles) is SeatType.STANDARD:
            standard += 1
        else:
            support += 1
    return SeatCount(standard, support)


def prorate(org: Organisation, seats: int, now: datetime) -> tuple[int, int, int]:
    """(amount in cents, days remaining, days in term) for `seats` more seats from `now` to the term end."""
    term_days = max(1, (org.term_end - org.term_start).days)
    remaining = max(0, math.ceil((org.term_end - now).total_seconds() / 86400))
    remaining = min(remaining, term_days)
    exact = Decimal(seats * org.seat_price_cents * remaining) / Decimal(term_days)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)), remaining, term_days


def quote(org: Organisation, before: SeatCount, after: SeatCount, seat: SeatType, now: datetime) -> Quote:
    to_buy = max(0, after.billed - max(org.seats_purchased, before.billed))
    amount, remaining, term_days = prorate(org, to_buy, now)
    return Quote(seat, before.billed, after.billed, org.seats_purchased, to_buy, amount, org.currency,
                 remaining, term_days, org.term_end)


def charge_if_needed(s: repo.Session, *, org: Organisation, roles: Mapping[str, Role], now: datetime,
                     member_id: str | None, reason: str) -> SeatCharge | None:
    """Buy the seats the organisation now uses beyond those purchased, pro-rated; record the charge."""
    billed = count(s, org_id=org.id, roles=roles).billed
    to_buy = billed - org.seats_purchased
    if to_buy <= 0:
        return None
    amount, _, _ = prorate(org, to_buy, now)
    org.seats_purchased = billed
    charge = SeatCharge(id=new_id("chg"), org_id=org.id, membership_id=member_id, seats=to_buy,
                        amount_cents=amount, currency=org.currency, reason=reason, created_at=now)
    s.add(charge)
    return charge
