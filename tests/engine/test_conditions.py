"""Conditions on permissions: attribute comparisons, time windows, IP ranges, MFA recency, and their parsing.

A condition that cannot be evaluated does not hold (errors push to deny); malformed condition data is refused
with a `PolicyError` that says what is wrong.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from ipaddress import ip_address, ip_network
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from caregate.engine import (
    Action,
    Context,
    Feature,
    Permission,
    PolicyError,
    Resource,
    Role,
    RoleAssignment,
    RoleValidationError,
    Scope,
    condition_from_data,
    validate_role,
)
from caregate.engine.conditions import (
    AttrCompare,
    CreatedBySelf,
    IpIn,
    MfaWithin,
    Op,
    OwnedByOther,
    PlanAllows,
    TimeWindow,
)
from caregate.engine.model import PlanFeature

F, A = Feature, Action
WEDNESDAY = datetime(2025, 3, 12, 10, 0, tzinfo=UTC)
WEEKDAYS = frozenset(range(5))
EVERY_DAY = frozenset(range(7))


def holds(condition: Any, *, attrs: dict[str, Any] | None = None, now: datetime = WEDNESDAY,
          ip: str | None = None, mfa_at: datetime | None = None, clinic: Any) -> bool:
    subject = clinic.subject(["clinician"])
    resource = Resource(F.CHARGES, "org-a", owner_id="colleague", created_by="me", attrs=attrs or {})
    context = Context(now=now, ip=None if ip is None else ip_address(ip), mfa_at=mfa_at)
    return bool(condition.holds(subject, resource, context))


# --- attribute comparisons --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("op", "value", "actual", "expected"),
    [
        (Op.LT, 500, 499, True),
        (Op.LT, 500, 499.99, True),
        (Op.LT, 500, 500, False),
        (Op.LT, 500, -1, True),
        (Op.LE, 500, 500, True),
        (Op.LE, 500, 501, False),
        (Op.GT, 500, 501, True),
        (Op.GT, 500, 500, False),
        (Op.GE, 500, 500, True),
        (Op.GE, 500, 499, False),
        (Op.EQ, "billing", "billing", True),
        (Op.EQ, "billing", "clinical", False),
        (Op.NE, "billing", "clinical", True),
        (Op.NE, "billing", "billing", False),
        (Op.IN, ("team", "org"), "team", True),
        (Op.IN, ("team", "org"), "personal", False),
        (Op.NOT_IN, ("team", "org"), "personal", True),
        (Op.NOT_IN, ("team", "org"), "org", False),
        # what is not a number never passes a numeric comparison
        (Op.LT, 500, "400", False),
        (Op.LT, 500, True, False),
        (Op.GE, 0, False, False),
        (Op.LT, 500, None, False),
        (Op.LT, 500, [1], False),
        (Op.LT, True, 0, False),
        # a mismatched value never raises: IN on a scalar, unhashable values
        (Op.IN, "team", 5, False),
        (Op.IN, ("a",), ["a"], False),
    ],
)
def test_attribute_comparison(clinic: Any, op: Op, value: Any, actual: Any, expected: bool) -> None:
    assert holds(AttrCompare("amount", op, value), attrs={"amount": actual}, clinic=clinic) is expected


@pytest.mark.parametrize("op", list(Op))
def test_a_missing_attribute_never_holds(clinic: Any, op: Op) -> None:
    value: Any = ("x",) if op in (Op.IN, Op.NOT_IN) else 500
    assert holds(AttrCompare("amount", op, value), attrs={"other": 1}, clinic=clinic) is False


def test_attribute_conditions_describe_themselves() -> None:
    assert AttrCompare("amount", Op.LT, 500).describe() == "amount < 500"
    assert AttrCompare("visibility", Op.IN, ("team", "org")).describe() == "visibility in team, org"


# --- time windows -----------------------------------------------------------------------------------------

OSLO_OFFICE = TimeWindow(WEEKDAYS, time(9), time(17), "Europe/Oslo")


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(datetime(2025, 3, 12, 10, 0, tzinfo=UTC), True, id="wed-11:00-oslo"),
        pytest.param(datetime(2025, 3, 12, 8, 0, tzinfo=UTC), True, id="wed-09:00-oslo-start-inclusive"),
        pytest.param(datetime(2025, 3, 12, 7, 59, tzinfo=UTC), False, id="wed-08:59-oslo"),
        pytest.param(datetime(2025, 3, 12, 16, 0, tzinfo=UTC), False, id="wed-17:00-oslo-end-exclusive"),
        pytest.param(datetime(2025, 3, 12, 15, 59, tzinfo=UTC), True, id="wed-16:59-oslo"),
        pytest.param(datetime(2025, 3, 15, 10, 0, tzinfo=UTC), False, id="saturday"),
        pytest.param(datetime(2025, 3, 16, 10, 0, tzinfo=UTC), False, id="sunday"),
        # summer time: 07:30 UTC is 09:30 in Oslo in July, 08:30 in March
        pytest.param(datetime(2025, 7, 2, 7, 30, tzinfo=UTC), True, id="july-09:30-cest"),
        pytest.param(datetime(2025, 3, 12, 7, 30, tzinfo=UTC), False, id="march-08:30-cet"),
        # the same instant written in another zone is the same instant
        pytest.param(datetime(2025, 3, 12, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo")), False, id="18:00-tokyo-is-01:00-oslo"),
        pytest.param(datetime(2025, 3, 12, 19, 0, tzinfo=ZoneInfo("Asia/Tokyo")), True, id="19:00-tokyo-is-11:00-oslo"),
    ],
)
def test_business_hours_in_a_time_zone(clinic: Any, now: datetime, expected: bool) -> None:
    assert holds(OSLO_OFFICE, now=now, clinic=clinic) is expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(datetime(2025, 3, 14, 23, 30, tzinfo=UTC), False, id="fri-utc-is-sat-08:30-tokyo"),
        pytest.param(datetime(2025, 3, 16, 23, 30, tzinfo=UTC), False, id="sun-utc-is-mon-08:30-tokyo"),
        pytest.param(datetime(2025, 3, 17, 0, 30, tzinfo=UTC), True, id="mon-00:30-utc-is-09:30-tokyo"),
        pytest.param(datetime(2025, 3, 16, 0, 30, tzinfo=UTC), False, id="sun-09:30-tokyo"),
    ],
)
def test_the_weekday_is_the_local_one(clinic: Any, now: datetime, expected: bool) -> None:
    tokyo = TimeWindow(WEEKDAYS, time(9), time(17), "Asia/Tokyo")
    assert holds(tokyo, now=now, clinic=clinic) is expected


@pytest.mark.parametrize(
    ("hour", "minute", "expected"),
    [(22, 0, True), (23, 0, True), (0, 0, True), (2, 0, True), (5, 59, True), (6, 0, False), (12, 0, False),
     (21, 59, False)],
)
def test_a_night_window_spans_midnight(clinic: Any, hour: int, minute: int, expected: bool) -> None:
    night = TimeWindow(EVERY_DAY, time(22), time(6), "UTC")
    now = datetime(2025, 3, 12, hour, minute, tzinfo=UTC)
    assert holds(night, now=now, clinic=clinic) is expected


def test_a_night_window_in_a_time_zone(clinic: Any) -> None:
    night = TimeWindow(EVERY_DAY, time(22), time(6), "America/New_York")
    # 03:00 UTC on 12 March 2025 is 23:00 in New York (EDT, UTC-4)
    assert holds(night, now=datetime(2025, 3, 12, 3, 0, tzinfo=UTC), clinic=clinic)
    assert not holds(night, now=datetime(2025, 3, 12, 12, 0, tzinfo=UTC), clinic=clinic)


def test_a_clock_without_a_time_zone_is_read_as_utc(clinic: Any) -> None:
    # 10:00 UTC is 11:00 in Oslo (inside office hours); 16:30 UTC is 17:30 there (outside)
    assert holds(OSLO_OFFICE, now=datetime(2025, 3, 12, 10, 0), clinic=clinic)
    assert not holds(OSLO_OFFICE, now=datetime(2025, 3, 12, 16, 30), clinic=clinic)


def test_a_night_shift_covers_the_early_hours_of_the_next_day(clinic: Any) -> None:
    friday_night = TimeWindow(frozenset({4}), time(22, 0), time(6, 0), "UTC")
    assert holds(friday_night, now=datetime(2025, 3, 14, 23, 0, tzinfo=UTC), clinic=clinic)   # Friday 23:00
    assert holds(friday_night, now=datetime(2025, 3, 15, 2, 0, tzinfo=UTC), clinic=clinic)    # Saturday 02:00
    assert not holds(friday_night, now=datetime(2025, 3, 14, 2, 0, tzinfo=UTC), clinic=clinic)  # Friday 02:00
    assert not holds(friday_night, now=datetime(2025, 3, 15, 23, 0, tzinfo=UTC), clinic=clinic)  # Saturday 23:00


def test_a_time_window_describes_itself() -> None:
    assert OSLO_OFFICE.describe() == "mon,tue,wed,thu,fri 09:00-17:00 Europe/Oslo"


# --- IP ranges ------------------------------------------------------------------------------------------

CLINIC_NETWORKS = IpIn((ip_network("10.0.0.0/8"), ip_network("2001:db8::/32"), ip_network("192.0.2.7/32")))


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("10.1.2.3", True),
        ("10.255.255.255", True),
        ("11.0.0.1", False),
        ("192.0.2.7", True),
        ("192.0.2.8", False),
        ("2001:db8::1", True),
        ("2001:db8:ffff::1", True),
        ("2001:db9::1", False),
        ("::1", False),
        (None, False),
    ],
)
def test_client_address_in_allowed_networks(clinic: Any, ip: str | None, expected: bool) -> None:
    assert holds(CLINIC_NETWORKS, ip=ip, clinic=clinic) is expected


def test_an_ipv4_mapped_address_matches_its_ipv4_network(clinic: Any) -> None:
    assert holds(CLINIC_NETWORKS, ip="::ffff:10.1.2.3", clinic=clinic)


# --- MFA recency -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("minutes_ago", "expected"),
    [(0, True), (10, True), (15, True), (16, False), (600, False), (None, False)],
)
def test_mfa_within_minutes(clinic: Any, minutes_ago: int | None, expected: bool) -> None:
    mfa_at = None if minutes_ago is None else WEDNESDAY - timedelta(minutes=minutes_ago)
    assert holds(MfaWithin(15), mfa_at=mfa_at, clinic=clinic) is expected


# --- authorship and plan -----------------------------------------------------------------------------------

def test_authorship_conditions(clinic: Any) -> None:
    assert holds(CreatedBySelf(), clinic=clinic)
    assert holds(OwnedByOther(), clinic=clinic)


def test_plan_condition_follows_the_plan_and_the_trial(clinic: Any) -> None:
    gate = PlanAllows(PlanFeature.SHARED_ROOMS)
    resource = Resource(F.ROOMS, "org-a")
    for settings, expected in [
        ({}, False),
        ({"plan": "practice"}, True),
        ({"trial_ends_at": timedelta(days=3)}, True),
        ({"trial_ends_at": timedelta(0)}, False),
    ]:
        subject = clinic.subject(["clinician"], settings=settings)
        assert gate.holds(subject, resource, Context(WEDNESDAY)) is expected, settings


# --- conditions inside decide --------------------------------------------------------------------------------

def guarded(condition: Any) -> Role:
    return Role("guarded", "Guarded Reports", 20, (Permission(F.REPORTS, A.READ, Scope.ORG, (condition,)),))


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        pytest.param(OSLO_OFFICE, {}, True, id="business-hours-in"),
        pytest.param(OSLO_OFFICE, {"now": timedelta(days=3)}, False, id="business-hours-saturday"),
        pytest.param(CLINIC_NETWORKS, {"ip": "10.9.8.7"}, True, id="ip-in"),
        pytest.param(CLINIC_NETWORKS, {"ip": "203.0.113.5"}, False, id="ip-out"),
        pytest.param(CLINIC_NETWORKS, {}, False, id="ip-unknown"),
        pytest.param(MfaWithin(5), {"mfa_at": timedelta(minutes=-4)}, True, id="mfa-recent"),
        pytest.param(MfaWithin(5), {"mfa_at": timedelta(minutes=-6)}, False, id="mfa-stale"),
    ],
)
def test_a_condition_decides_with_the_permission(clinic: Any, condition: Any, context: dict[str, Any],
                                                 expected: bool) -> None:
    member = clinic.subject([guarded(condition)])
    decision = clinic.decide(member, A.READ, Resource(F.REPORTS, "org-a"), **context)
    assert decision.allowed is expected
    if expected:
        assert decision.reasons[0].code == "role:guarded"
    else:
        assert decision.reasons[0].code == "default-deny"
        assert condition.describe() in decision.message  # the near miss names the condition


@pytest.mark.parametrize("case", ["mfa", "expiring-role", "grant-until", "trial"])
def test_naive_and_aware_datetimes_never_raise(clinic: Any, case: str) -> None:
    naive = datetime(2025, 3, 12, 9, 58)  # no tzinfo, e.g. read from a database column without one
    mfa_at, action = None, A.READ
    if case == "mfa":
        member = clinic.subject([guarded(MfaWithin(5))])
        resource = Resource(F.REPORTS, "org-a")
        mfa_at = naive
    elif case == "expiring-role":
        member = clinic.subject([RoleAssignment(guarded(CreatedBySelf()), expires_at=naive)])
        resource = Resource(F.REPORTS, "org-a", created_by="me")
    elif case == "grant-until":
        member = clinic.subject(["clinician"])
        resource = clinic.resource("colleague_session", share="view", share_until=naive)
    else:
        member = clinic.subject(["administrator"], settings={"trial_ends_at": naive})
        resource = clinic.resource("settings", attrs={"plan_feature": "shared_rooms"})
        action = A.EDIT
    decision = clinic.decide(member, action, resource, now=WEDNESDAY, mfa_at=mfa_at)
    assert decision.reasons


# --- parsing ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"type": "attr", "attr": "amount", "op": "lt", "value": 500}, AttrCompare("amount", Op.LT, 500)),
        ({"type": "attr", "attr": "kind", "op": "in", "value": ["billing", "clinical"]},
         AttrCompare("kind", Op.IN, ("billing", "clinical"))),
        ({"type": "time_window", "start": "09:00", "end": "17:00"},
         TimeWindow(WEEKDAYS, time(9), time(17), "UTC")),
        ({"type": "time_window", "days": ["sat", "sun"], "start": "22:00", "end": "06:00",
          "timezone": "Europe/Oslo"}, TimeWindow(frozenset({5, 6}), time(22), time(6), "Europe/Oslo")),
        ({"type": "ip", "networks": ["10.0.0.0/8", "2001:db8::/32"]},
         IpIn((ip_network("10.0.0.0/8"), ip_network("2001:db8::/32")))),
        ({"type": "ip", "networks": ["10.1.2.3/8"]}, IpIn((ip_network("10.0.0.0/8"),))),
        ({"type": "mfa_within", "minutes": 15}, MfaWithin(15)),
        ({"type": "created_by_self"}, CreatedBySelf()),
        ({"type": "owned_by_other"}, OwnedByOther()),
        ({"type": "plan", "feature": "sso"}, PlanAllows(PlanFeature.SSO)),
    ],
)
def test_condition_data_parses_and_round_trips(data: dict[str, Any], expected: Any) -> None:
    parsed = condition_from_data(data)
    assert parsed == expected
    assert condition_from_data(parsed.to_data()) == parsed


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param("amount < 500", "a condition must be an object with a 'type'", id="text"),
        pytest.param(None, "a condition must be an object with a 'type'", id="none"),
        pytest.param([{"type": "ip"}], "a condition must be an object with a 'type'", id="list"),
        pytest.param({}, "unknown condition type None; use one of attr, time_window, ip, mfa_within",
                     id="no-type"),
        pytest.param({"type": "weather"}, "unknown condition type 'weather'", id="unknown-type"),
        pytest.param({"type": "attr", "attr": "Amount", "op": "lt", "value": 1},
                     "attribute condition: 'attr' must be a lower-case name such as 'amount'", id="attr-case"),
        pytest.param({"type": "attr", "op": "lt", "value": 1}, "'attr' must be a lower-case name", id="attr-missing"),
        pytest.param({"type": "attr", "attr": "a" * 41, "op": "lt", "value": 1}, "'attr' must be a lower-case name",
                     id="attr-too-long"),
        pytest.param({"type": "attr", "attr": "amount", "op": "<", "value": 1},
                     "attribute condition: 'op' must be one of lt, le, gt, ge, eq, ne, in, not_in", id="op"),
        pytest.param({"type": "attr", "attr": "amount", "op": "lt", "value": {"usd": 5}},
                     "attribute condition: value must be a number, a short text or true/false", id="value-object"),
        pytest.param({"type": "attr", "attr": "amount", "op": "eq", "value": "x" * 201},
                     "value must be a number, a short text or true/false", id="value-too-long"),
        pytest.param({"type": "attr", "attr": "amount", "op": "lt"},
                     "value must be a number, a short text or true/false", id="value-missing"),
        pytest.param({"type": "attr", "attr": "kind", "op": "in", "value": []},
                     "attribute condition: 'in' needs a list of 1 to 50 values", id="in-empty"),
        pytest.param({"type": "attr", "attr": "kind", "op": "not_in", "value": "billing"},
                     "'in' needs a list of 1 to 50 values", id="in-not-list"),
        pytest.param({"type": "attr", "attr": "kind", "op": "in", "value": list(range(51))},
                     "'in' needs a list of 1 to 50 values", id="in-too-long"),
        pytest.param({"type": "attr", "attr": "kind", "op": "in", "value": [[1]]},
                     "value must be a number, a short text or true/false", id="in-nested"),
        pytest.param({"type": "time_window", "start": "9am", "end": "17:00"},
                     "time window: 'start' must be a time such as 09:00", id="start"),
        pytest.param({"type": "time_window", "start": "09:00", "end": "24:00"},
                     "time window: 'end' must be a time such as 09:00", id="end"),
        pytest.param({"type": "time_window", "start": "09:00"}, "time window: 'end' must be a time", id="no-end"),
        pytest.param({"type": "time_window", "days": ["monday"], "start": "09:00", "end": "17:00"},
                     "time window: 'days' must be a list of mon, tue, wed, thu, fri, sat, sun", id="days"),
        pytest.param({"type": "time_window", "days": [], "start": "09:00", "end": "17:00"},
                     "time window: 'days' must be a list of", id="no-days"),
        pytest.param({"type": "time_window", "days": "mon", "start": "09:00", "end": "17:00"},
                     "time window: 'days' must be a list of", id="days-text"),
        pytest.param({"type": "time_window", "start": "09:00", "end": "17:00", "timezone": "Mars/Olympus"},
                     "time window: unknown time zone 'Mars/Olympus' (use a name such as Europe/Oslo)", id="zone"),
        pytest.param({"type": "time_window", "start": "09:00", "end": "17:00", "timezone": "../../etc/passwd"},
                     "time window: unknown time zone", id="zone-path"),
        pytest.param({"type": "time_window", "start": "09:00", "end": "17:00", "timezone": 1},
                     "time window: unknown time zone 1", id="zone-number"),
        pytest.param({"type": "time_window", "start": "09:00", "end": "09:00"},
                     "time window: start and end must differ", id="empty-window"),
        pytest.param({"type": "ip", "networks": "10.0.0.0/8"},
                     "IP condition: give a list of 1 to 100 networks such as 10.0.0.0/8 or 2001:db8::/32",
                     id="networks-text"),
        pytest.param({"type": "ip", "networks": []}, "IP condition: give a list of 1 to 100 networks",
                     id="networks-empty"),
        pytest.param({"type": "ip"}, "IP condition: give a list of 1 to 100 networks", id="networks-missing"),
        pytest.param({"type": "ip", "networks": ["10.0.0.300/8"]},
                     "IP condition: '10.0.0.300/8' is not a network such as 10.0.0.0/8", id="network-bad"),
        pytest.param({"type": "ip", "networks": [10]}, "IP condition: 10 is not a network", id="network-number"),
        pytest.param({"type": "mfa_within", "minutes": 0},
                     "MFA condition: 'minutes' must be a whole number from 1 to 1440", id="mfa-zero"),
        pytest.param({"type": "mfa_within", "minutes": 1441}, "'minutes' must be a whole number from 1 to 1440",
                     id="mfa-too-long"),
        pytest.param({"type": "mfa_within", "minutes": True}, "'minutes' must be a whole number", id="mfa-bool"),
        pytest.param({"type": "mfa_within", "minutes": "15"}, "'minutes' must be a whole number", id="mfa-text"),
        pytest.param({"type": "plan", "feature": "teleport"},
                     "plan condition: feature must be one of session_visibility, shared_rooms", id="plan"),
    ],
)
def test_malformed_condition_data_is_refused_clearly(data: Any, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        condition_from_data(data)
    assert message in str(caught.value)


def test_a_refused_condition_in_a_role_names_where_it_is(clinic: Any) -> None:
    owner = clinic.subject(["owner"]).index
    with pytest.raises(RoleValidationError) as caught:
        validate_role({"name": "Night Desk", "rank": 20, "permissions": {"appointments": {"read": {
            "scope": "org", "conditions": [{"type": "time_window", "start": "22:00", "end": "6:00"}]}}}},
            key="night", existing={}, creator=owner)
    assert caught.value.problems == ["appointments:read: time window: 'end' must be a time such as 09:00"]
