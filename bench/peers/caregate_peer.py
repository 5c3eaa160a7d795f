"""caregate: the engine's public API, used as a service would use it.

Subjects get their `PermissionIndex` from an `IndexCache` (members with the same roles share one compiled
index, as in the service layer); resources carry their team and their direct shares as `Grant`s. A note,
transcript or document is a sub-resource: its own `Resource` of that kind with the session's owner, creator,
team and grants. All objects are built before any clock starts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from operator import attrgetter
from types import MappingProxyType
from typing import Any

from bench.peers.measure import Prepared
from bench.peers.world import Request, Session, World
from caregate.engine import (
    BUILTIN_ROLES,
    SHARE_LEVELS,
    Action,
    Context,
    Decision,
    Feature,
    Grant,
    GrantKind,
    IndexCache,
    MemberStatus,
    OrgPolicy,
    Plan,
    ReasonKind,
    Resource,
    RoleAssignment,
    ShareLevel,
    Subject,
    decide,
)

NOW = datetime(2025, 11, 24, 10, 30, tzinfo=UTC)


def org_policies(world: World) -> dict[str, OrgPolicy]:
    return {
        o.id: OrgPolicy(o.id, plan=Plan(o.plan), session_visibility=o.session_visibility,
                        visibility_roles=o.visibility_roles)
        for o in world.orgs.values()
    }


def build_subjects(world: World) -> list[Subject]:
    policies = org_policies(world)
    cache = IndexCache()
    teams: dict[str, frozenset[str]] = {}  # one frozenset per team, shared by its members
    subjects = []
    for m in world.members:
        assignments = tuple(RoleAssignment(BUILTIN_ROLES[key]) for key in m.roles)
        index = cache.get(assignments, policies[m.org])
        team_ids = teams.setdefault(m.team, frozenset({m.team}))
        subjects.append(Subject(m.id, m.org, MemberStatus(m.status), index, policies[m.org], team_ids))
    return subjects


def _grants(s: Session) -> Mapping[str, tuple[Grant, ...]]:
    by_member: dict[str, list[Grant]] = {}
    for n, (member, level) in enumerate(s.shares):
        share = Grant(GrantKind.SHARE, f"{s.id}-share-{n}", SHARE_LEVELS[ShareLevel(level)], level=level)
        by_member.setdefault(member, []).append(share)
    return MappingProxyType({k: tuple(v) for k, v in by_member.items()})


class Resources:
    """Session resources, built once, and their sub-resources, built on first use and then reused."""

    def __init__(self, world: World) -> None:
        self._teams: dict[str, frozenset[str]] = {}
        self._sessions = [self._session(s) for s in world.sessions]
        self._parts: dict[tuple[int, Feature], Resource] = {}

    def _session(self, s: Session) -> Resource:
        team_ids = self._teams.setdefault(s.team, frozenset({s.team}))
        if s.shares:
            return Resource(Feature.SESSIONS, s.org, s.id, s.owner, s.created_by, team_ids, grants=_grants(s))
        return Resource(Feature.SESSIONS, s.org, s.id, s.owner, s.created_by, team_ids)

    def get(self, index: int, feature: Feature) -> Resource:
        session = self._sessions[index]
        if feature is Feature.SESSIONS:
            return session
        found = self._parts.get((index, feature))
        if found is None:
            found = Resource(feature, session.org_id, f"{session.id}/{feature}", session.owner_id,
                             session.created_by, session.team_ids, grants=session.grants)
            self._parts[(index, feature)] = found
        return found


def parse_action(key: str) -> tuple[Feature, Action]:
    feature, action = key.split(":")
    return Feature(feature), Action(action)


def build_args(world: World, requests: list[Request]) -> list[tuple[Subject, Action, Resource, Context]]:
    subjects = build_subjects(world)
    resources = Resources(world)
    context = Context(now=NOW)
    keys = {key: parse_action(key) for key in {r.action for r in requests}}
    args = []
    for r in requests:
        feature, action = keys[r.action]
        args.append((subjects[r.member], action, resources.get(r.session, feature), context))
    return args


def explain(world: World, request: Request) -> Decision:
    """The engine's full decision for one request, with its reasons (to explain a disagreement)."""
    subject, action, resource, context = build_args(world, [request])[0]
    return decide(subject, action, resource, context)


_OUTCOMES = {
    ReasonKind.ROLE: "allow: a role",
    ReasonKind.GRANT: "allow: a direct share",
    ReasonKind.SETTING: "allow: team session visibility",
    ReasonKind.STATUS: "deny: not an active member",
    ReasonKind.DEFAULT: "deny: nothing permits it",
}


def outcome(decision: Decision) -> str:
    """What decided a request, from its first reason: "allow: a role", "deny: forbid:cross-org" ..."""
    reason = decision.reasons[0]
    return _OUTCOMES.get(reason.kind) or f"deny: {reason.code}"


def _breakdown(args: list[Any]) -> Callable[[], dict[str, int]]:
    def count() -> dict[str, int]:
        return dict(Counter(outcome(decide(*a)) for a in args).most_common())

    return count


def prepare(world: World, requests: list[Request]) -> Prepared:
    args: list[Any] = build_args(world, requests)
    return Prepared("caregate", decide, args, attrgetter("allowed"), "decide() in a loop",
                    breakdown=_breakdown(args),
                    notes=[f"{len({id(a[0].index) for a in args})} distinct compiled indexes (IndexCache)"])
