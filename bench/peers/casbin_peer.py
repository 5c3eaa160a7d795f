"""casbin: the ABAC model in `casbin_model.conf` with the lines of `casbin_policy.csv`.

Roles are an attribute set of the subject rather than casbin `g` links: one set lookup instead of a role
manager walk per policy line. Two enforcers are measured: the plain `Enforcer`, which evaluates the
matcher against every policy line, and `FastEnforcer` keyed on the action, which first narrows the lines
to those of the requested action (casbin's own optimisation for large policies). The faster one is the
main loop; the other is reported as a mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import casbin

from bench.peers.measure import Mode, Prepared
from bench.peers.world import Member, OrgSettings, Request, Session, World

MODEL_FILE = Path(__file__).with_name("casbin_model.conf")
POLICY_FILE = Path(__file__).with_name("casbin_policy.csv")


@dataclass(frozen=True, slots=True, repr=False)
class CasbinSubject:
    id: str
    org: str
    status: str
    roles: frozenset[str]
    teams: frozenset[str]
    settings: OrgSettings

    def __str__(self) -> str:
        # casbin formats every request for its log, enabled or not: keep that as cheap as an id
        return self.id


@dataclass(frozen=True, slots=True, repr=False)
class CasbinObject:
    id: str
    org: str
    owner: str
    created_by: str
    teams: frozenset[str]
    share_view: frozenset[str]
    share_edit: frozenset[str]
    share_full: frozenset[str]

    def __str__(self) -> str:
        return self.id


@lru_cache(maxsize=64)
def _role_set(spec: str) -> frozenset[str]:
    return frozenset(spec.split("|"))


def has_role(roles: frozenset[str], spec: str) -> bool:
    """The role column of a line: "*" is anyone, "a|b" is a member holding a or b."""
    return spec == "*" or not roles.isdisjoint(_role_set(spec))


def overlaps(a: frozenset[str], b: frozenset[str]) -> bool:
    return not a.isdisjoint(b)


_NONE: frozenset[str] = frozenset()


def _subject(m: Member, settings: OrgSettings, teams: dict[str, frozenset[str]]) -> CasbinSubject:
    return CasbinSubject(m.id, m.org, m.status, frozenset(m.roles), teams.setdefault(m.team, frozenset({m.team})),
                         settings)


def _object(s: Session, teams: dict[str, frozenset[str]]) -> CasbinObject:
    levels: dict[str, set[str]] = {"view": set(), "edit": set(), "full": set()}
    for member, level in s.shares:
        levels[level].add(member)
    view, edit, full = (frozenset(levels[k]) or _NONE for k in ("view", "edit", "full"))
    return CasbinObject(s.id, s.org, s.owner, s.created_by, teams.setdefault(s.team, frozenset({s.team})),
                        view, edit, full)


def enforcer(*, fast: bool) -> casbin.Enforcer:
    if fast:
        # narrow the lines to the requested action: request token 0 (act) against policy column 0 (act)
        e: casbin.Enforcer = casbin.FastEnforcer(str(MODEL_FILE), str(POLICY_FILE), cache_key_order=[0])
    else:
        e = casbin.Enforcer(str(MODEL_FILE), str(POLICY_FILE))
    e.add_function("has_role", has_role)
    e.add_function("overlaps", overlaps)
    return e


def _loop_mode(e: casbin.Enforcer, args: list[tuple[str, CasbinSubject, CasbinObject]], name: str) -> Mode:
    def run() -> list[bool]:
        enforce = e.enforce
        return [enforce(*a) for a in args]

    return Mode(name, run)


def prepare(world: World, requests: list[Request]) -> Prepared:
    teams: dict[str, frozenset[str]] = {}
    subjects = [_subject(m, world.orgs[m.org], teams) for m in world.members]
    objects = [_object(s, teams) for s in world.sessions]
    args = [(r.action, subjects[r.member], objects[r.session]) for r in requests]
    fast, plain = enforcer(fast=True), enforcer(fast=False)
    lines = len(plain.get_policy())
    return Prepared("casbin", fast.enforce, args, None, "FastEnforcer.enforce() in a loop (lines keyed by action)",
                    [_loop_mode(plain, args, "Enforcer.enforce() in a loop (all lines)")],
                    notes=[f"{lines} policy lines, ABAC matcher, 2 custom functions"])
