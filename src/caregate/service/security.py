"""Security policy: reading and changing an organisation's, the one a person's login follows, fresh
authentication for sensitive operations, and unlocking accounts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from caregate.engine import Action, Feature
from caregate.identity.policy import SecurityPolicy, networks_allow, strictest
from caregate.service import resources
from caregate.service.actors import Actor, org_roles
from caregate.service.authz import authorize, check
from caregate.service.context import UnitOfWork
from caregate.service.errors import Invalid, NotFound, ReauthenticationRequired
from caregate.service.orgs import settings_of
from caregate.service.views import View
from caregate.store import identity_repo, repo
from caregate.store.tables import Organisation, User


def org_policy(org: Organisation) -> SecurityPolicy:
    return settings_of(org).security


def user_policy(uow: UnitOfWork, user: User) -> SecurityPolicy:
    """The strictest policy of the organisations where the person is active (their login follows it)."""
    return strictest(org_policy(org) for org, _ in identity_repo.active_memberships(uow.session, user_id=user.id))


def mfa_required(uow: UnitOfWork, user: User) -> bool:
    """Whether any organisation requires 2FA of a role the person holds there."""
    memberships = identity_repo.active_memberships(uow.session, user_id=user.id)
    held = repo.roles_of(uow.session, member_ids=[m.id for _, m in memberships])
    for org, member in memberships:
        required = set(org_policy(org).mfa.required_roles)
        if required & {r.role_key for r in held[member.id]}:
            return True
    return False


def require_fresh(uow: UnitOfWork, actor: Actor, *, minutes: int | None = None) -> None:
    """Sensitive operations need a password or 2FA proof within the organisation's re-auth window (or a
    stricter window the operation sets, like the audit export's)."""
    if actor.on_behalf_of and actor.on_behalf_of.startswith("api_key:"):
        return  # the key itself is presented on every request; scopes narrow what it may do
    org = repo.get_org(uow.session, org_id=actor.org_id)
    window = org_policy(org).reauth_minutes if org else 15
    minutes = min(window, minutes) if minutes is not None else window
    proofs = [t for t in (actor.authenticated_at, actor.mfa_at) if t is not None]
    if not proofs or uow.now - max(proofs) > timedelta(minutes=minutes):
        raise ReauthenticationRequired(
            f"confirm it is you: this needs your password or a 2FA code from the last {minutes} minutes "
            "(POST /v1/auth/reauthenticate)")


def get_policy(uow: UnitOfWork, actor: Actor) -> SecurityPolicy:
    org = repo.get_org(uow.session, org_id=actor.org_id)
    if org is None:
        raise NotFound("organisation not found")
    authorize(uow, actor, Action.READ, resources.org_object(Feature.SETTINGS, org.id))
    return org_policy(org)


def update_policy(uow: UnitOfWork, actor: Actor, *, changes: dict[str, Any]) -> SecurityPolicy:
    """Change parts of the security policy (a deep merge); roles named must exist."""
    org = repo.get_org(uow.session, org_id=actor.org_id, lock=True)
    if org is None:
        raise NotFound("organisation not found")
    authorize(uow, actor, Action.EDIT, resources.org_object(Feature.SETTINGS, org.id))
    require_fresh(uow, actor)
    before = org_policy(org)
    merged = _merge(before.model_dump(mode="json"), changes)
    try:
        after = SecurityPolicy.model_validate(merged)
    except ValidationError as exc:
        raise Invalid("the security policy is not valid",
                      [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]) from None
    roles = org_roles(uow, org.id)
    named = {*after.mfa.required_roles, *after.sessions.role_idle_minutes, *after.role_ip_allowlists}
    unknown = sorted(r for r in named if r not in roles)
    if unknown:
        raise Invalid(f"the policy names unknown roles: {', '.join(unknown)}")
    if after.ip_allowlist and not _allows_me(after, uow):
        raise Invalid("this allowlist would lock you out: your address is not in it; add your network first")
    org.settings = {**(org.settings or {}), "security": after.model_dump(mode="json")}
    uow.record("settings.security_updated", org_id=org.id, actor=actor, object_type="settings", object_id=org.id,
               before=before.model_dump(mode="json"), after=after.model_dump(mode="json"))
    return after


def _allows_me(policy: SecurityPolicy, uow: UnitOfWork) -> bool:
    return networks_allow(policy.ip_allowlist, uow.request.address)


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) \
            and key not in ("role_idle_minutes", "role_ip_allowlists") else value
    return out


class LockView(View):
    """A member's account locked after failed logins: until when, or until someone unlocks it."""

    member_id: str
    locked_until: datetime | None  # None: until an Owner or Administrator unlocks it


def lock_states(uow: UnitOfWork, actor: Actor, *, member_ids: Sequence[str]) -> dict[str, LockView]:
    """Which of these members are locked out now, among those the actor may unlock (read only)."""
    from caregate.service.members import target_resource

    rows = [m for m in (repo.get_member(uow.session, org_id=actor.org_id, member_id=i) for i in member_ids[:200])
            if m is not None]
    states = identity_repo.security_states(uow.session, user_ids=[m.user_id for m in rows])
    roles = org_roles(uow, actor.org_id)
    out: dict[str, LockView] = {}
    for member in rows:
        state = states.get(member.user_id)
        if state is None or not _locked(state.locked, state.locked_until, uow.now):
            continue
        if check(uow, actor, Action.UNLOCK, target_resource(uow, member, roles)).allowed:
            out[member.id] = LockView(member_id=member.id, locked_until=None if state.locked else state.locked_until)
    return out


def _locked(locked: bool, until: datetime | None, now: datetime) -> bool:
    return locked or (until is not None and now < until)


def unlock(uow: UnitOfWork, actor: Actor, *, member_id: str) -> None:
    """Lift a lockout (after too many failed logins) so the person can try again."""
    from caregate.service.members import load_target

    org, member, user, roles = load_target(uow, actor, member_id)
    authorize(uow, actor, Action.UNLOCK, resources.member(
        member, teams=repo.teams_of(uow.session, member_ids=[member.id])[member.id],
        locations=repo.locations_of(uow.session, member_ids=[member.id])[member.id],
        role_keys=[r.role_key for r in repo.roles_of(uow.session, member_ids=[member.id])[member.id]], roles=roles))
    state = identity_repo.user_security(uow.session, user_id=user.id, now=uow.now, lock=True)
    before = {"locked": state.locked, "locked_until": state.locked_until.isoformat() if state.locked_until else None,
              "failed_count": state.failed_count}
    state.locked, state.locked_until, state.failed_count, state.updated_at = False, None, 0, uow.now
    uow.record("auth.unlock", org_id=org.id, actor=actor, object_type="members", object_id=member.id, before=before,
               after={"locked": False, "failed_count": 0})


def is_locked(uow: UnitOfWork, user: User) -> bool:
    state = identity_repo.user_security(uow.session, user_id=user.id, now=uow.now)
    return _locked(state.locked, state.locked_until, uow.now)
