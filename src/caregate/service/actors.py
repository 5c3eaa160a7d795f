"""Who is asking: credentials to a user, a user and an organisation to a member and its `Subject`.

Everything is read fresh from the database in the request's own transaction, so a role given or
taken, a setting changed or a member disabled is seen by the very next request. Only the compiled
permission index is cached, keyed by the full content of the roles and settings it was built from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from caregate.engine import (
    BUILTIN_ROLES,
    BillingPolicy,
    MemberStatus,
    OrgPolicy,
    Plan,
    Role,
    RoleAssignment,
    RoleSpec,
    Subject,
    SubjectKind,
    resolve_roles,
)
from caregate.engine.catalog import PRESETS
from caregate.engine.validate import parse_overrides
from caregate.identity import secrets as tokens
from caregate.service.context import Caller, UnitOfWork
from caregate.service.errors import NotFound, Unauthenticated
from caregate.store import repo
from caregate.store.tables import AuthToken, CustomRole, Location, Membership, Organisation, User

TOKEN_PREFIX = "cgs"  # noqa: S105 -- a prefix, not a secret


@dataclass(frozen=True, slots=True)
class Actor:
    """A member acting in one organisation, with the subject the engine decides for."""

    user_id: str
    email: str
    member_id: str
    org_id: str
    subject: Subject
    roles: tuple[str, ...]
    token_id: str | None = None
    on_behalf_of: str | None = None
    authenticated_at: datetime | None = None  # when the password (or 2FA) was last verified


def authenticate(uow: UnitOfWork, caller: Caller) -> tuple[User, str | None]:
    """The user behind the caller's bearer token (and the token's id); refuse anything else."""
    user, row = _authenticate(uow, caller)
    return user, row.id


def _authenticate(uow: UnitOfWork, caller: Caller) -> tuple[User, AuthToken]:
    token = caller.token
    if not token or not tokens.well_formed(token, TOKEN_PREFIX):
        raise Unauthenticated("send a valid bearer token: Authorization: Bearer cgs_...")
    row = repo.token_by_hash(uow.session, token_hash=tokens.token_hash(token))
    if row is None or not tokens.matches(token, row.token_hash) or row.revoked_at is not None \
            or row.expires_at <= uow.now:
        raise Unauthenticated("the token is unknown, expired or revoked; log in again")
    user = repo.get_user(uow.session, user_id=row.user_id)
    if user is None:
        raise Unauthenticated("the token is unknown, expired or revoked; log in again")
    if uow.now - row.last_seen_at > timedelta(minutes=1):
        row.last_seen_at = uow.now  # coarse, so every request is not a write
    return user, row


def org_policy(org: Organisation) -> OrgPolicy:
    settings: Mapping[str, Any] = org.settings or {}
    return OrgPolicy(
        org_id=org.id,
        plan=Plan(org.plan),
        trial_ends_at=org.trial_ends_at,
        session_visibility=bool(settings.get("session_visibility", False)),
        visibility_roles=frozenset(settings.get("visibility_roles", ["administrator"])),
        billing_policy=BillingPolicy(settings.get("billing_policy", BillingPolicy.OWNERS_AND_ADMINISTRATORS)),
        template_manager_enabled=bool(settings.get("template_manager_enabled", True)),
    )


def role_spec(row: CustomRole) -> RoleSpec:
    problems: list[str] = []
    overrides = parse_overrides(row.permissions, problems)  # validated when saved; parsed again here
    return RoleSpec(row.id, row.name, row.parent, row.rank, overrides, row.description, row.version)


def org_roles(uow: UnitOfWork, org_id: str) -> dict[str, Role]:
    """Every role of the organisation by key: built-in ones and its custom ones, resolved."""
    return resolve_roles(role_spec(r) for r in repo.custom_roles(uow.session, org_id=org_id))


def location_closure(locations: list[Location]) -> dict[str, frozenset[str]]:
    """Each location with every location below it (a region reaches its clinics)."""
    children: dict[str, list[str]] = {}
    for loc in locations:
        if loc.parent_id:
            children.setdefault(loc.parent_id, []).append(loc.id)
    closure: dict[str, frozenset[str]] = {}
    for loc in locations:
        seen, stack = set(), [loc.id]
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(children.get(current, ()))
        closure[loc.id] = frozenset(seen)
    return closure


def labels(org: Organisation) -> Mapping[str, str]:
    preset = PRESETS.get(org.preset or "")
    return preset.labels if preset else {}


def build_subject(uow: UnitOfWork, org: Organisation, member: Membership, user: User,
                  *, roles: dict[str, Role] | None = None, api_scopes: frozenset[str] | None = None) -> Subject:
    s = uow.session
    roles = roles if roles is not None else org_roles(uow, org.id)
    closure = location_closure(repo.locations(s, org_id=org.id))
    assignments = []
    for row in repo.roles_of(s, member_ids=[member.id])[member.id]:
        role = roles.get(row.role_key)
        if role is None:
            continue
        assignments.append(RoleAssignment(
            role=role, team_id=row.team_id, location_id=row.location_id,
            location_ids=closure.get(row.location_id, frozenset()) if row.location_id else frozenset(),
            expires_at=row.expires_at))
    policy = org_policy(org)
    index = uow.services.index_cache.get(tuple(assignments), policy, labels(org))
    member_locations: set[str] = set()
    for loc in repo.locations_of(s, member_ids=[member.id])[member.id]:
        member_locations |= closure.get(loc, {loc})
    return Subject(
        member_id=member.id,
        org_id=org.id,
        status=MemberStatus(member.status),
        index=index,
        org=policy,
        team_ids=frozenset(repo.teams_of(s, member_ids=[member.id])[member.id]),
        location_ids=frozenset(member_locations),
        kind=SubjectKind(user.kind),
        api_scopes=api_scopes,
    )


def load_actor(uow: UnitOfWork, caller: Caller, org_id: str) -> Actor:
    """Authenticate the caller and resolve them as a member of `org_id` (404 if they are not one)."""
    user, token = _authenticate(uow, caller)
    actor = actor_for_user(uow, user, org_id, token_id=token.id)
    return replace(actor, authenticated_at=token.created_at)  # a login token is minted by a password check


def actor_for_user(uow: UnitOfWork, user: User, org_id: str, *, token_id: str | None = None) -> Actor:
    org = repo.get_org(uow.session, org_id=org_id) if _plausible_id(org_id) else None
    member = repo.member_of_user(uow.session, org_id=org_id, user_id=user.id) if org else None
    if org is None or member is None:
        raise NotFound(f"organisation {org_id} not found")
    return actor_for_member(uow, org, member, user, token_id=token_id)


def actor_for_member(uow: UnitOfWork, org: Organisation, member: Membership, user: User,
                     *, token_id: str | None = None) -> Actor:
    subject = build_subject(uow, org, member, user)
    role_keys = tuple(r.role_key for r in repo.roles_of(uow.session, member_ids=[member.id])[member.id])
    return Actor(user.id, user.email, member.id, org.id, subject, role_keys, token_id)


def _plausible_id(value: str) -> bool:
    return 3 <= len(value) <= 40 and all(c.isalnum() or c == "_" for c in value)


def max_rank(role_keys: list[str] | tuple[str, ...] | set[str], roles: Mapping[str, Role]) -> int:
    return max((roles[k].rank for k in role_keys if k in roles), default=0)


def is_expired(moment: datetime | None, now: datetime) -> bool:
    return moment is not None and moment <= now


OWNER_ROLE = BUILTIN_ROLES["owner"].key
