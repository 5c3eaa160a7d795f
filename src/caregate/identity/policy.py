"""An organisation's security policy, and the strictest policy across a person's organisations.

A person has one password and one login however many organisations they belong to, so what applies
to their login (password rules, lockout, 2FA, session timeouts) is the strictest of the policies of
the organisations where they are active. What applies to one organisation's data (IP allowlists,
idle timeout per role, re-authentication) is that organisation's policy, checked on its requests.
"""

from __future__ import annotations

import ipaddress
import string
from collections.abc import Iterable, Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Cidr = Annotated[str, Field(max_length=64)]


def _networks(values: Sequence[str]) -> list[str]:
    out = []
    for value in values:
        try:
            out.append(str(ipaddress.ip_network(value.strip(), strict=False)))
        except ValueError:
            raise ValueError(f"{value!r} is not a network such as 10.0.0.0/8 or 2001:db8::/32") from None
    return out


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PasswordPolicy(Strict):
    min_length: int = Field(default=12, ge=8, le=128)
    require_upper: bool = False
    require_lower: bool = False
    require_digit: bool = False
    require_symbol: bool = False
    history: int = Field(default=5, ge=0, le=24, description="no reuse of the last N passwords")
    max_age_days: int = Field(default=0, ge=0, le=3650, description="0: passwords do not expire")


class LockoutPolicy(Strict):
    max_failures: int = Field(default=5, ge=1, le=100)
    lock_minutes: int = Field(default=15, ge=0, le=10_080, description="0: until an Owner or Administrator unlocks")


class MfaPolicy(Strict):
    required_roles: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=50)
    allow_email_codes: bool = True


class SessionPolicy(Strict):
    idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    role_idle_minutes: dict[Annotated[str, Field(max_length=40)], Annotated[int, Field(ge=1, le=24 * 60)]] = Field(
        default_factory=dict, max_length=50, description="a shorter idle timeout for some roles")
    absolute_hours: int = Field(default=12, ge=1, le=24 * 30)
    max_concurrent: int = Field(default=5, ge=1, le=100)
    bind_to_client: Literal["none", "ip", "user_agent", "both"] = "none"


class SecurityPolicy(Strict):
    password: PasswordPolicy = Field(default_factory=PasswordPolicy)
    lockout: LockoutPolicy = Field(default_factory=LockoutPolicy)
    mfa: MfaPolicy = Field(default_factory=MfaPolicy)
    sessions: SessionPolicy = Field(default_factory=SessionPolicy)
    reauth_minutes: int = Field(default=15, ge=1, le=24 * 60,
                                description="sensitive operations need a password or 2FA this recent")
    inactivity_days: int = Field(default=0, ge=0, le=3650,
                                 description="0: access never lapses; else a member unused this many days is disabled")
    ip_allowlist: list[Cidr] = Field(default_factory=list, max_length=200,
                                     description="empty: any address; else only these networks")
    role_ip_allowlists: dict[Annotated[str, Field(max_length=40)], list[Cidr]] = Field(
        default_factory=dict, max_length=50)

    @field_validator("ip_allowlist")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        return _networks(value)

    @field_validator("role_ip_allowlists")
    @classmethod
    def _role_cidrs(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return {role: _networks(cidrs) for role, cidrs in value.items()}


def strictest(policies: Iterable[SecurityPolicy]) -> SecurityPolicy:
    """The policy a person's login follows: for each rule, the strictest of their organisations'."""
    chosen = list(policies)
    if not chosen:
        return SecurityPolicy()
    pw = [p.password for p in chosen]
    lock = [p.lockout for p in chosen]
    sess = [p.sessions for p in chosen]
    binds = {s.bind_to_client for s in sess} - {"none"}
    bind: Literal["none", "ip", "user_agent", "both"] = (
        "both" if "both" in binds or len(binds) > 1 else next(iter(binds)) if binds else "none")
    ages = [p.max_age_days for p in pw if p.max_age_days]
    locks = [lk.lock_minutes for lk in lock]
    return SecurityPolicy(
        password=PasswordPolicy(
            min_length=max(p.min_length for p in pw), require_upper=any(p.require_upper for p in pw),
            require_lower=any(p.require_lower for p in pw), require_digit=any(p.require_digit for p in pw),
            require_symbol=any(p.require_symbol for p in pw), history=max(p.history for p in pw),
            max_age_days=min(ages) if ages else 0),
        lockout=LockoutPolicy(max_failures=min(lk.max_failures for lk in lock),
                              lock_minutes=0 if 0 in locks else max(locks)),
        mfa=MfaPolicy(allow_email_codes=all(p.mfa.allow_email_codes for p in chosen)),
        sessions=SessionPolicy(idle_minutes=min(s.idle_minutes for s in sess),
                               absolute_hours=min(s.absolute_hours for s in sess),
                               max_concurrent=min(s.max_concurrent for s in sess), bind_to_client=bind),
        reauth_minutes=min(p.reauth_minutes for p in chosen),
    )


SYMBOLS = set(string.punctuation)


def password_problems(password: str, policy: PasswordPolicy, *, max_length: int = 256) -> list[str]:
    """Every rule of the policy the password breaks, each said so a person can fix it."""
    problems = []
    if len(password) < policy.min_length:
        problems.append(f"use at least {policy.min_length} characters")
    if len(password) > max_length:
        problems.append(f"use at most {max_length} characters")
    if password != password.strip():
        problems.append("do not start or end with a space")
    if policy.require_upper and not any(c.isupper() for c in password):
        problems.append("include an upper-case letter")
    if policy.require_lower and not any(c.islower() for c in password):
        problems.append("include a lower-case letter")
    if policy.require_digit and not any(c.isdigit() for c in password):
        problems.append("include a digit")
    if policy.require_symbol and not any(c in SYMBOLS for c in password):
        problems.append("include a symbol such as ! @ # $")
    return problems


def networks_allow(cidrs: Sequence[str], address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
    """Whether an address is inside one of the networks (an empty list allows any address)."""
    if not cidrs:
        return True
    if address is None:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in net for net in map(ipaddress.ip_network, cidrs) if net.version == address.version)
