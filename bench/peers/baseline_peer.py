"""The "as fast as a dictionary lookup" reference: the same rules in plain Python, dicts and sets, no engine.

The tables below are written out by hand from PRODUCT.md and `caregate/engine/catalog.py` for the actions
of the request mix only; nothing is imported from the engine, so this is an independent encoding and a
disagreement with caregate means one of the two is wrong. Everything that does not depend on the
request is computed when the data is loaded (per member: which (scope, condition) pairs each action has;
per session: which actions each share gives), so a decision is a few dict and set lookups.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from bench.peers.measure import Prepared
from bench.peers.world import ACTIONS, Member, OrgSettings, Request, Session, World

OWN, TEAM, ORG = "own", "team", "org"
ALWAYS, CREATED_BY_SELF = "always", "created_by_self"

# Role -> action -> (scope, condition) permits, for the actions of the mix.
_OWN_CLINICAL_WORK = dict.fromkeys(ACTIONS, ((OWN, ALWAYS),))  # all ten are in a clinician's own tools
ROLE_PERMITS: Mapping[str, Mapping[str, tuple[tuple[str, str], ...]]] = MappingProxyType({
    "owner": dict.fromkeys(ACTIONS, ((ORG, ALWAYS),)),
    "administrator": _OWN_CLINICAL_WORK,
    "clinician": _OWN_CLINICAL_WORK,
    "assistant": {
        "sessions:read": ((ORG, CREATED_BY_SELF), (TEAM, ALWAYS)),
        "notes:read": ((TEAM, ALWAYS),),
        "notes:copy": ((TEAM, ALWAYS),),
        "documents:create": ((TEAM, ALWAYS),),
    },
    "manager": {"sessions:read": ((ORG, ALWAYS),), "notes:read": ((ORG, ALWAYS),)},
    # template_manager, front_desk, billing, inventory, call_center: nothing on sessions
})
# Team-wide session visibility: what the chosen roles may do on their teams' sessions.
VISIBILITY_ACTIONS = ("sessions:read", "notes:read", "notes:copy", "documents:create")
VISIBILITY_PLANS = frozenset({"practice", "enterprise"})
# What each share level allows, restricted to the mix (a level includes the ones below it).
_VIEW = frozenset({"sessions:read", "notes:read", "notes:copy"})
_EDIT = _VIEW | {"sessions:edit", "documents:create"}
SHARE_ACTIONS: Mapping[str, frozenset[str]] = MappingProxyType(
    {"view": _VIEW, "edit": _EDIT, "full": _EDIT | {"sessions:share"}}
)
# Only the owner deletes a session, its core note or its transcript, whatever the roles say.
OWNER_ONLY = frozenset({"sessions:delete", "notes:delete", "transcripts:delete"})
# Roles that give some permission on sessions: shares reach only members holding one of them.
SESSION_ROLES = frozenset({"owner", "administrator", "clinician", "assistant", "manager"})


@dataclass(frozen=True, slots=True)
class MemberRow:
    id: str
    org: str
    active: bool
    teams: frozenset[str]
    permits: Mapping[str, tuple[tuple[str, str], ...]]  # action -> (scope, condition), all roles merged
    takes_shares: bool


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: str
    org: str
    owner: str
    created_by: str
    teams: frozenset[str]
    shared: Mapping[str, frozenset[str]]  # member -> actions their shares on this session allow


def _visibility(org: OrgSettings, roles: tuple[str, ...]) -> bool:
    return org.session_visibility and org.plan in VISIBILITY_PLANS and not org.visibility_roles.isdisjoint(roles)


def member_row(m: Member, org: OrgSettings, team_sets: dict[str, frozenset[str]]) -> MemberRow:
    permits: dict[str, list[tuple[str, str]]] = {}
    for role in m.roles:
        for key, pairs in ROLE_PERMITS.get(role, {}).items():
            permits.setdefault(key, []).extend(pairs)
    if _visibility(org, m.roles):
        for key in VISIBILITY_ACTIONS:
            permits.setdefault(key, []).append((TEAM, ALWAYS))
    teams = team_sets.setdefault(m.team, frozenset({m.team}))
    return MemberRow(m.id, m.org, m.status == "active", teams,
                     {k: tuple(dict.fromkeys(v)) for k, v in permits.items()},
                     not SESSION_ROLES.isdisjoint(m.roles))


_NOBODY: Mapping[str, frozenset[str]] = MappingProxyType({})


def session_row(s: Session, team_sets: dict[str, frozenset[str]]) -> SessionRow:
    shared: Mapping[str, frozenset[str]] = _NOBODY
    if s.shares:
        merged: dict[str, frozenset[str]] = {}
        for member, level in s.shares:
            merged[member] = merged.get(member, frozenset()) | SHARE_ACTIONS[level]
        shared = merged
    teams = team_sets.setdefault(s.team, frozenset({s.team}))
    return SessionRow(s.id, s.org, s.owner, s.created_by, teams, shared)


def allowed(m: MemberRow, key: str, s: SessionRow) -> bool:
    """The rules, in the engine's order: status, organisation, forbids, then any permit."""
    if not m.active or m.org != s.org:
        return False
    if key in OWNER_ONLY and s.owner != m.id:
        return False
    for scope, condition in m.permits.get(key, ()):
        if scope == OWN:
            if s.owner != m.id:
                continue
        elif scope == TEAM and m.teams.isdisjoint(s.teams):
            continue
        if condition == CREATED_BY_SELF and s.created_by != m.id:
            continue
        return True
    return m.takes_shares and key in s.shared.get(m.id, ())


def prepare(world: World, requests: list[Request]) -> Prepared:
    team_sets: dict[str, frozenset[str]] = {}
    members = [member_row(m, world.orgs[m.org], team_sets) for m in world.members]
    sessions = [session_row(s, team_sets) for s in world.sessions]
    args = [(members[r.member], r.action, sessions[r.session]) for r in requests]
    return Prepared("baseline", allowed, args, None, "allowed() in a loop",
                    notes=["rules typed in by hand; per member the (scope, condition) pairs of each action and "
                           "per session the actions each share gives are precomputed"])
