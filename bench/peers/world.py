"""A synthetic clinic and a request mix, built from a fixed seed with the standard library only.

Every peer's child process calls `build_world` and `build_requests` with the same scale and seed and so
sees the identical clinic; the parent rebuilds it to explain a disagreement. Nothing here imports the
engine or a peer library: the world is plain data (role keys, ids), each peer translates it.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

# The request mix: the session family of actions, as "feature:action" keys.
ACTIONS: tuple[str, ...] = (
    "sessions:read",
    "sessions:edit",
    "sessions:delete",
    "sessions:share",
    "sessions:record",
    "notes:read",
    "notes:copy",
    "notes:delete",
    "documents:create",
    "transcripts:edit",
)
SHARE_LEVEL_NAMES: tuple[str, ...] = ("view", "edit", "full")

MAIN_ORG, SECOND_ORG = "org-main", "org-second"

# (role, count) of the main organisation: 1,000 members, the mix of the issue.
MAIN_ROLE_MIX: tuple[tuple[str, int], ...] = (
    ("owner", 2),
    ("administrator", 30),
    ("clinician", 500),
    ("assistant", 250),
    ("template_manager", 60),
    ("manager", 40),
    ("front_desk", 60),
    ("billing", 40),
    ("inventory", 10),
    ("call_center", 8),
)
# (primary role, extra role, how many members): roles combine, as in PRODUCT.md.
MAIN_SECOND_ROLES: tuple[tuple[str, str, int], ...] = (
    ("clinician", "administrator", 20),
    ("clinician", "template_manager", 20),
    ("front_desk", "billing", 5),
)
# A small second organisation, so that some requests cross organisations.
SECOND_ROLE_MIX: tuple[tuple[str, int], ...] = (
    ("owner", 1),
    ("administrator", 1),
    ("clinician", 6),
    ("assistant", 2),
    ("template_manager", 1),
    ("front_desk", 1),
)
SESSION_OWNER_ROLES = frozenset({"clinician", "administrator"})

# Share of non-owner members in each inactive status (a few % disabled, some invited or archived).
INACTIVE_RATES: tuple[tuple[str, float], ...] = (("disabled", 0.03), ("invited", 0.01), ("archived", 0.01))
ASSISTANT_CREATES_RATE = 0.2  # how often an assistant of the team, not the owner, created the session


@dataclass(frozen=True, slots=True)
class Scale:
    """How big the clinic and the request batch are."""

    sessions: int
    requests: int
    teams: int = 20
    shares_per_team: int = 100
    second_org_sessions: int = 500
    second_org_teams: int = 2
    second_org_shares_per_team: int = 10


FULL = Scale(sessions=50_000, requests=100_000)
QUICK = Scale(sessions=5_000, requests=10_000, second_org_sessions=100)


@dataclass(frozen=True, slots=True)
class OrgSettings:
    """The organisation facts the rules read: plan and team-wide session visibility."""

    id: str
    plan: str
    session_visibility: bool
    visibility_roles: frozenset[str]


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    org: str
    roles: tuple[str, ...]
    team: str
    status: str


@dataclass(frozen=True, slots=True)
class Session:
    """A clinical session; `shares` are direct shares as (member id, level) pairs."""

    id: str
    org: str
    owner: str
    created_by: str
    team: str
    shares: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Request:
    """One decision to make: member (index), action key, session (index) or one of its parts."""

    member: int
    action: str
    session: int


@dataclass(slots=True)
class World:
    orgs: dict[str, OrgSettings]
    members: list[Member] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)


def _make_members(rng: random.Random, org: str, prefix: str, mix: Sequence[tuple[str, int]],
                  second_roles: Sequence[tuple[str, str, int]], teams: Sequence[str]) -> list[Member]:
    roles: list[list[str]] = [[role] for role, count in mix for _ in range(count)]
    for primary, extra, count in second_roles:
        holders = [r for r in roles if r == [primary]]
        for chosen in rng.sample(holders, count):
            chosen.append(extra)
    rng.shuffle(roles)
    members = []
    for n, held in enumerate(roles):
        status = "active"
        if "owner" not in held:  # an organisation keeps its owners active
            draw = rng.random()
            for name, rate in INACTIVE_RATES:
                if draw < rate:
                    status = name
                    break
                draw -= rate
        members.append(Member(f"{prefix}{n:04d}", org, tuple(held), rng.choice(teams), status))
    return members


def _make_sessions(rng: random.Random, members: Sequence[Member], prefix: str, count: int) -> list[Session]:
    owners = [m for m in members if SESSION_OWNER_ROLES.intersection(m.roles)]
    assistants: dict[str, list[str]] = defaultdict(list)
    for m in members:
        if "assistant" in m.roles:
            assistants[m.team].append(m.id)
    sessions = []
    for n in range(count):
        owner = rng.choice(owners)
        helpers = assistants.get(owner.team)
        created_by = owner.id
        if helpers and rng.random() < ASSISTANT_CREATES_RATE:
            created_by = rng.choice(helpers)
        sessions.append(Session(f"{prefix}{n:05d}", owner.org, owner.id, created_by, owner.team))
    return sessions


def _add_shares(rng: random.Random, sessions: list[Session], members: Sequence[Member], per_team: int) -> None:
    """Share `per_team` sessions of each team with another member of the organisation, at a random level."""
    by_team: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(sessions):
        by_team[s.team].append(i)
    shares: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for team in sorted(by_team):
        for _ in range(per_team):
            i = rng.choice(by_team[team])
            target = rng.choice(members)
            while target.id == sessions[i].owner:  # a share goes to someone other than the owner
                target = rng.choice(members)
            shares[i].append((target.id, rng.choice(SHARE_LEVEL_NAMES)))
    for i, given in shares.items():
        s = sessions[i]
        sessions[i] = Session(s.id, s.org, s.owner, s.created_by, s.team, tuple(given))


def build_world(scale: Scale, seed: int) -> World:
    """The clinic: a main organisation on the practice plan with team-wide visibility for administrators,
    and a small second organisation on the free plan (its visibility setting is on but the plan withholds it)."""
    rng = random.Random(seed)
    world = World(orgs={
        MAIN_ORG: OrgSettings(MAIN_ORG, "practice", True, frozenset({"administrator"})),
        SECOND_ORG: OrgSettings(SECOND_ORG, "free", True, frozenset({"administrator"})),
    })
    main_teams = [f"team-{k:02d}" for k in range(scale.teams)]
    second_teams = [f"team-x{k}" for k in range(scale.second_org_teams)]
    main = _make_members(rng, MAIN_ORG, "m", MAIN_ROLE_MIX, MAIN_SECOND_ROLES, main_teams)
    second = _make_members(rng, SECOND_ORG, "x", SECOND_ROLE_MIX, (), second_teams)
    main_sessions = _make_sessions(rng, main, "s", scale.sessions)
    second_sessions = _make_sessions(rng, second, "z", scale.second_org_sessions)
    _add_shares(rng, main_sessions, main, scale.shares_per_team)
    _add_shares(rng, second_sessions, second, scale.second_org_shares_per_team)
    world.members = main + second
    world.sessions = main_sessions + second_sessions
    return world


@dataclass(slots=True)
class _Lookups:
    """Where to find sessions related to a member, so the mix is not almost all default denials."""

    by_owner: dict[str, list[int]]
    by_team: dict[str, list[int]]
    by_sharee: dict[str, list[int]]
    by_creator: dict[str, list[int]]
    by_org: dict[str, list[int]]


def _lookups(world: World) -> _Lookups:
    found = _Lookups(defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list))
    for i, s in enumerate(world.sessions):
        found.by_owner[s.owner].append(i)
        found.by_team[s.team].append(i)
        found.by_org[s.org].append(i)
        if s.created_by != s.owner:
            found.by_creator[s.created_by].append(i)
        for member, _level in s.shares:
            found.by_sharee[member].append(i)
    return found


# How the session of a request is picked: (cumulative probability, pool). The rest is any session of the
# member's organisation. Owned, team, shared and assistant-created sessions exercise every permit; the
# "other organisation" pool exercises the cross-organisation denial.
_PICKS: tuple[tuple[float, str], ...] = (
    (0.25, "owned"), (0.45, "team"), (0.60, "shared"), (0.65, "created"), (0.70, "other_org"),
)
SECOND_ORG_MEMBER_RATE = 0.04


def _pick_session(rng: random.Random, member: Member, found: _Lookups, orgs: Sequence[str]) -> int:
    draw = rng.random()
    pool: list[int] = []
    for bound, name in _PICKS:
        if draw < bound:
            if name == "other_org":
                pool = found.by_org[next(o for o in orgs if o != member.org)]
            else:
                source = {"owned": found.by_owner, "team": found.by_team, "shared": found.by_sharee,
                          "created": found.by_creator}[name]
                pool = source.get(member.team if name == "team" else member.id, [])
            break
    return rng.choice(pool or found.by_org[member.org])


def build_requests(world: World, count: int, seed: int) -> list[Request]:
    """`count` random (member, action, session) requests; the seed is separate from the world's."""
    rng = random.Random(seed)
    found = _lookups(world)
    orgs = sorted(world.orgs)
    main = [i for i, m in enumerate(world.members) if m.org == MAIN_ORG]
    second = [i for i, m in enumerate(world.members) if m.org != MAIN_ORG]
    requests = []
    for _ in range(count):
        who = rng.choice(second if rng.random() < SECOND_ORG_MEMBER_RATE else main)
        session = _pick_session(rng, world.members[who], found, orgs)
        requests.append(Request(who, rng.choice(ACTIONS), session))
    return requests
