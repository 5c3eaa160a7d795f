"""Who is asking: credentials to a user, a user and an organisation to a member and its `Subject`.

Everything is read fresh from the database in the request's own transaction, so a role given or
taken, a setting changed or a member disabled is seen by the very next request. Only the compiled
permission index is cached, keyed by the full content of the roles and settings it was built from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from ipaddress import ip_network
from typing import Any

from caregate.engine import (
    BUILTIN_ROLES,
    BillingPolicy,
    Decision,
    MemberStatus,
    OrgPolicy,
    Plan,
    Reason,
    ReasonKind,
    Role,
    RoleAssignment,
    RoleSpec,
    Subject,
    SubjectKind,
    resolve_roles,
)
from caregate.engine.catalog import PRESETS
from caregate.engine.conditions import IpIn
from caregate.engine.validate import parse_overrides
from caregate.identity import secrets as tokens
from caregate.identity.policy import SecurityPolicy, networks_allow
from caregate.service import apikeys, lapse, sessions
from caregate.service.context import Caller, UnitOfWork
from caregate.service.errors import Forbidden, NotFound, StepRequired, Unauthenticated
from caregate.store import repo
from caregate.store.identity import ApiKey
from caregate.store.tables import AuthToken, CustomRole, Location, Membership, Organisation, RoleAssignmentRow, User


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
    on_behalf_of: str | None = None  # "api_key:<id>" when a service account's key is used
    authenticated_at: datetime | None = None  # the session's last password proof
    mfa_at: datetime | None = None  # the session's last second-factor proof


@dataclass(frozen=True, slots=True)
class Authenticated:
    """Who presented the credentials: a person's login session, or a service account's API key."""

    user: User
    session: AuthToken | None = None
    previous_seen: datetime | None = None
    api_key: ApiKey | None = None


_STEP_TEXT = {
    "mfa_required": "enter your 2FA code first (POST /v1/auth/mfa/verify)",
    "mfa_enrolment_required": "set up two-factor authentication first (POST /v1/auth/mfa/totp)",
    "password_change_required": "your password has expired: choose a new one first (POST /v1/auth/password)",
}


def authenticate(uow: UnitOfWork, caller: Caller, *, allow_steps: bool = False) -> Authenticated:
    """The person or service account behind the caller's bearer token; refuse anything else."""
    token = caller.token
    if token and apikeys.looks_like_key(token):
        key, user = apikeys.resolve(uow, token)
        return Authenticated(user, api_key=key)
    if not token or not tokens.well_formed(token, sessions.TOKEN_PREFIX):
        raise Unauthenticated("send a valid bearer token: Authorization: Bearer cgs_... (or an API key cgk_...)")
    row, previous = sessions.resolve(uow, token)
    if row.status != sessions.ACTIVE and not allow_steps:
        raise StepRequired(row.status, _STEP_TEXT.get(row.status, "finish logging in first"))
    found = repo.get_user(uow.session, user_id=row.user_id)
    if found is None:
        raise Unauthenticated("the session is unknown or has ended; log in again")
    return Authenticated(found, session=row, previous_seen=previous)


def security_of(org: Organisation) -> SecurityPolicy:
    raw = (org.settings or {}).get("security")
    return SecurityPolicy.model_validate(raw) if raw else SecurityPolicy()


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


def role_assignments(rows: Sequence[RoleAssignmentRow], roles: Mapping[str, Role],
                     closure: Mapping[str, frozenset[str]], org: Organisation) -> tuple[RoleAssignment, ...]:
    """A member's stored role rows as the engine's assignments, with their limits and network rules."""
    role_networks = security_of(org).role_ip_allowlists
    assignments = []
    for row in rows:
        role = roles.get(row.role_key)
        if role is None:
            continue
        networks = role_networks.get(row.role_key)
        assignments.append(RoleAssignment(
            role=role, team_id=row.team_id, location_id=row.location_id,
            location_ids=closure.get(row.location_id, frozenset()) if row.location_id else frozenset(),
            expires_at=row.expires_at,
            # a role limited to some networks gives nothing from elsewhere; the member's other roles still apply
            conditions=(IpIn(tuple(ip_network(n) for n in networks)),) if networks else ()))
    return tuple(assignments)


def build_subject(uow: UnitOfWork, org: Organisation, member: Membership, user: User,
                  *, roles: dict[str, Role] | None = None, api_scopes: frozenset[str] | None = None) -> Subject:
    s = uow.session
    roles = roles if roles is not None else org_roles(uow, org.id)
    closure = location_closure(repo.locations(s, org_id=org.id))
    assignments = role_assignments(repo.roles_of(s, member_ids=[member.id])[member.id], roles, closure, org)
    policy = org_policy(org)
    index = uow.services.index_cache.get(assignments, policy, labels(org))
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
    """Authenticate the caller and resolve them as a member of `org_id` (404 if they are not one), under
    the organisation's IP allowlist and idle timeout."""
    who = authenticate(uow, caller)
    if who.api_key is not None and who.api_key.org_id != org_id:
        raise NotFound(f"organisation {org_id} not found")
    org = repo.get_org(uow.session, org_id=org_id) if _plausible_id(org_id) else None
    member = repo.member_of_user(uow.session, org_id=org_id, user_id=who.user.id) if org else None
    if org is None or member is None:
        raise NotFound(f"organisation {org_id} not found")
    policy = security_of(org)
    if not networks_allow(policy.ip_allowlist, uow.request.address):
        decision = Decision(False, (Reason(ReasonKind.FORBID, "forbid:ip-allowlist",
                                           f"this organisation only accepts requests from its allowlisted networks; "
                                           f"{uow.request.ip or 'your address'} is not one of them"),))
        uow.record_denial("organisation.access", org_id=org.id, actor=None, decision=decision,
                          actor_user_id=who.user.id, actor_member_id=member.id)
        raise Forbidden(decision)
    lapse.on_request(uow, org, member, who.user, policy)  # temporary or unused too long: disabled, refused
    role_keys = [r.role_key for r in repo.roles_of(uow.session, member_ids=[member.id])[member.id]]
    if who.session is not None and who.previous_seen is not None:
        per_role = policy.sessions.role_idle_minutes
        idle = min([policy.sessions.idle_minutes, *(per_role[k] for k in role_keys if k in per_role)])
        sessions.check_idle_for_org(uow, who.session, who.previous_seen, idle)
    key = who.api_key
    return actor_for_member(
        uow, org, member, who.user, token_id=who.session.id if who.session else None,
        authenticated_at=who.session.authenticated_at if who.session else uow.now,
        mfa_at=who.session.mfa_at if who.session else None,
        api_scopes=frozenset(key.scopes) if key is not None else None,
        on_behalf_of=f"api_key:{key.id}" if key is not None else None)


def actor_for_user(uow: UnitOfWork, user: User, org_id: str, *, token_id: str | None = None) -> Actor:
    org = repo.get_org(uow.session, org_id=org_id) if _plausible_id(org_id) else None
    member = repo.member_of_user(uow.session, org_id=org_id, user_id=user.id) if org else None
    if org is None or member is None:
        raise NotFound(f"organisation {org_id} not found")
    return actor_for_member(uow, org, member, user, token_id=token_id)


def actor_for_member(uow: UnitOfWork, org: Organisation, member: Membership, user: User,
                     *, token_id: str | None = None, authenticated_at: datetime | None = None,
                     mfa_at: datetime | None = None, api_scopes: frozenset[str] | None = None,
                     on_behalf_of: str | None = None) -> Actor:
    subject = build_subject(uow, org, member, user, api_scopes=api_scopes)
    role_keys = tuple(r.role_key for r in repo.roles_of(uow.session, member_ids=[member.id])[member.id])
    return Actor(user.id, user.email, member.id, org.id, subject, role_keys, token_id, on_behalf_of,
                 authenticated_at, mfa_at)


def _plausible_id(value: str) -> bool:
    return 3 <= len(value) <= 40 and all(c.isalnum() or c == "_" for c in value)


def max_rank(role_keys: list[str] | tuple[str, ...] | set[str], roles: Mapping[str, Role]) -> int:
    return max((roles[k].rank for k in role_keys if k in roles), default=0)


def is_expired(moment: datetime | None, now: datetime) -> bool:
    return moment is not None and moment <= now


OWNER_ROLE = BUILTIN_ROLES["owner"].key
