"""Conditions a permission can carry: amount limits, time windows, IP ranges, MFA recency, authorship.

Each condition is a frozen value that answers `holds(subject, resource, context)`. A condition that
cannot be evaluated (a missing attribute, no clock, no address) does not hold: errors push to deny.
Conditions round-trip through plain data (`to_data` / `condition_from_data`) so custom roles can be
stored as JSON and validated before they are saved.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from caregate.engine.errors import PolicyError
from caregate.engine.model import Condition, PlanFeature
from caregate.engine.plans import plan_allows

if TYPE_CHECKING:
    from caregate.engine.model import Context, Resource, Subject

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ATTR_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class Op(StrEnum):
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    EQ = "eq"
    NE = "ne"
    IN = "in"
    NOT_IN = "not_in"


_OP_TEXT = {Op.LT: "<", Op.LE: "<=", Op.GT: ">", Op.GE: ">=", Op.EQ: "=", Op.NE: "!=", Op.IN: "in", Op.NOT_IN: "not in"}
Scalar = int | float | str | bool


def _compare(op: Op, left: object, right: Scalar | tuple[Scalar, ...]) -> bool:
    try:
        if op is Op.IN:
            return left in right  # type: ignore[operator]
        if op is Op.NOT_IN:
            return left not in right  # type: ignore[operator]
        if op is Op.EQ:
            return left == right
        if op is Op.NE:
            return left != right
        if isinstance(left, bool) or not isinstance(left, int | float):
            return False
        if isinstance(right, bool) or not isinstance(right, int | float):
            return False
        if op is Op.LT:
            return left < right
        if op is Op.LE:
            return left <= right
        if op is Op.GT:
            return left > right
        return left >= right
    except TypeError:
        return False


def attr_holds(attrs: Mapping[str, object], attr: str, op: Op, value: object) -> bool:
    """Compare an attribute with a constant; a missing attribute never holds."""
    if attr not in attrs:
        return False
    return _compare(op, attrs[attr], value)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class AttrCompare:
    """The object's attribute compared with a constant, e.g. ``amount < 500``."""

    attr: str
    op: Op
    value: Scalar | tuple[Scalar, ...]

    def holds(self, subject: Subject, resource: Resource, context: Context) -> bool:
        return attr_holds(resource.attrs, self.attr, self.op, self.value)

    def describe(self) -> str:
        value = ", ".join(map(str, self.value)) if isinstance(self.value, tuple) else str(self.value)
        return f"{self.attr} {_OP_TEXT[self.op]} {value}"

    def to_data(self) -> dict[str, object]:
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {"type": "attr", "attr": self.attr, "op": str(self.op), "value": value}


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """Only on the given weekdays between two wall-clock times in a time zone (e.g. business hours)."""

    days: frozenset[int]
    start: time
    end: time
    timezone: str = "UTC"

    def holds(self, subject: Subject, resource: Resource, context: Context) -> bool:
        if context.now.tzinfo is None:
            return False
        local = context.now.astimezone(ZoneInfo(self.timezone))
        now, day = local.time().replace(tzinfo=None), local.weekday()
        if self.start <= self.end:
            return day in self.days and self.start <= now < self.end
        # a window across midnight belongs to the day it starts: Friday 22:00-06:00 covers Saturday 02:00
        if now >= self.start:
            return day in self.days
        return now < self.end and (day - 1) % 7 in self.days

    def describe(self) -> str:
        days = ",".join(DAYS[d] for d in sorted(self.days))
        return f"{days} {self.start:%H:%M}-{self.end:%H:%M} {self.timezone}"

    def to_data(self) -> dict[str, object]:
        return {
            "type": "time_window",
            "days": [DAYS[d] for d in sorted(self.days)],
            "start": f"{self.start:%H:%M}",
            "end": f"{self.end:%H:%M}",
            "timezone": self.timezone,
        }


@dataclass(frozen=True, slots=True)
class IpIn:
    """Only from a client address inside one of the networks."""

    networks: tuple[Network, ...]

    def holds(self, subject: Subject, resource: Resource, context: Context) -> bool:
        ip = context.ip
        if ip is None:
            return False
        if ip.version == 6 and ip.ipv4_mapped is not None:  # an IPv4 client seen by a dual-stack server
            ip = ip.ipv4_mapped
        return any(ip.version == net.version and ip in net for net in self.networks)

    def describe(self) -> str:
        return "client address in " + ", ".join(str(n) for n in self.networks)

    def to_data(self) -> dict[str, object]:
        return {"type": "ip", "networks": [str(n) for n in self.networks]}


@dataclass(frozen=True, slots=True)
class MfaWithin:
    """Only when the member completed a second factor within the last N minutes."""

    minutes: int

    def holds(self, subject: Subject, resource: Resource, context: Context) -> bool:
        if context.mfa_at is None:
            return False
        return context.now - context.mfa_at <= timedelta(minutes=self.minutes)

    def describe(self) -> str:
        return f"two-factor authentication within {self.minutes} minutes"

    def to_data(self) -> dict[str, object]:
        return {"type": "mfa_within", "minutes": self.minutes}


@dataclass(frozen=True, slots=True)
class CreatedBySelf:
    """Only on objects the member created (an assistant's documents on a clinician's session)."""

    def holds(self, subject: Subject, resource: Resource, context: Context) -> bool:
        return resource.created_by is not None and resource.created_by == subject.member_id

    def describe(self) -> str:
        return "created by the member"

    def to_data(self) -> dict[str, object]:
        return {"type": "created_by_self"}


@dataclass(frozen=True, slots=True)
class OwnedByOther:
    """Only on objects owned by someone else (an assistant creates sessions *for* clinicians)."""

    def holds(self, subject: Subject, resource: Resource, context: Context) -> bool:
        return resource.owner_id is not None and resource.owner_id != subject.member_id

    def describe(self) -> str:
        return "owned by another member"

    def to_data(self) -> dict[str, object]:
        return {"type": "owned_by_other"}


@dataclass(frozen=True, slots=True)
class PlanAllows:
    """Only while the organisation's plan (or a running trial) includes a feature."""

    feature: PlanFeature

    def holds(self, subject: Subject, resource: Resource, context: Context) -> bool:
        return plan_allows(subject.org, self.feature, context.now)

    def describe(self) -> str:
        return f"the plan includes {self.feature}"

    def to_data(self) -> dict[str, object]:
        return {"type": "plan", "feature": str(self.feature)}


def _scalar(value: object, where: str) -> Scalar:
    if isinstance(value, bool | int | float | str) and not (isinstance(value, str) and len(value) > 200):
        return value
    raise PolicyError(f"{where}: value must be a number, a short text or true/false")


def _attr(data: dict[str, object]) -> AttrCompare:
    attr, op, value = data.get("attr"), data.get("op"), data.get("value")
    if not isinstance(attr, str) or not _ATTR_NAME.fullmatch(attr):
        raise PolicyError("attribute condition: 'attr' must be a lower-case name such as 'amount'")
    try:
        parsed_op = Op(str(op))
    except ValueError:
        raise PolicyError(f"attribute condition: 'op' must be one of {', '.join(Op)}") from None
    if parsed_op in (Op.IN, Op.NOT_IN):
        if not isinstance(value, list) or not value or len(value) > 50:
            raise PolicyError("attribute condition: 'in' needs a list of 1 to 50 values")
        return AttrCompare(attr, parsed_op, tuple(_scalar(v, "attribute condition") for v in value))
    return AttrCompare(attr, parsed_op, _scalar(value, "attribute condition"))


def _time_window(data: dict[str, object]) -> TimeWindow:
    days = data.get("days", list(DAYS[:5]))
    if not isinstance(days, list) or not days or any(d not in DAYS for d in days):
        raise PolicyError(f"time window: 'days' must be a list of {', '.join(DAYS)}")
    bounds: list[time] = []
    for name in ("start", "end"):
        text = data.get(name)
        match = _HHMM.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise PolicyError(f"time window: '{name}' must be a time such as 09:00")
        bounds.append(time(int(match.group(1)), int(match.group(2))))
    tz = data.get("timezone", "UTC")
    try:
        if not isinstance(tz, str) or len(tz) > 64:
            raise ValueError(tz)
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise PolicyError(f"time window: unknown time zone {tz!r} (use a name such as Europe/Oslo)") from None
    if bounds[0] == bounds[1]:
        raise PolicyError("time window: start and end must differ")
    return TimeWindow(frozenset(DAYS.index(str(d)) for d in days), bounds[0], bounds[1], tz)


def parse_networks(values: object, where: str = "IP condition") -> tuple[Network, ...]:
    if not isinstance(values, list) or not values or len(values) > 100:
        raise PolicyError(f"{where}: give a list of 1 to 100 networks such as 10.0.0.0/8 or 2001:db8::/32")
    networks: list[Network] = []
    for value in values:
        try:
            if not isinstance(value, str) or len(value) > 64:
                raise ValueError(value)
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise PolicyError(f"{where}: {value!r} is not a network such as 10.0.0.0/8") from None
    return tuple(networks)


def condition_from_data(data: object) -> Condition:
    """Parse one stored or submitted condition; raise PolicyError saying what is wrong."""
    if not isinstance(data, dict):
        raise PolicyError("a condition must be an object with a 'type'")
    kind = data.get("type")
    if kind == "attr":
        return _attr(data)
    if kind == "time_window":
        return _time_window(data)
    if kind == "ip":
        return IpIn(parse_networks(data.get("networks")))
    if kind == "mfa_within":
        minutes = data.get("minutes")
        if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 1440:
            raise PolicyError("MFA condition: 'minutes' must be a whole number from 1 to 1440")
        return MfaWithin(minutes)
    if kind == "created_by_self":
        return CreatedBySelf()
    if kind == "owned_by_other":
        return OwnedByOther()
    if kind == "plan":
        try:
            return PlanAllows(PlanFeature(str(data.get("feature"))))
        except ValueError:
            raise PolicyError(f"plan condition: feature must be one of {', '.join(PlanFeature)}") from None
    kinds = "attr, time_window, ip, mfa_within, created_by_self, owned_by_other, plan"
    raise PolicyError(f"unknown condition type {kind!r}; use one of {kinds}")
