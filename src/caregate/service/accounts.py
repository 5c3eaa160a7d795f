"""Service accounts and their API keys, managed by Owners and Administrators."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from caregate.engine import Action, Feature
from caregate.service import apikeys, resources
from caregate.service.actors import Actor, max_rank, org_roles
from caregate.service.apikeys import KeyView, NewKeyView
from caregate.service.authz import authorize
from caregate.service.context import UnitOfWork
from caregate.service.errors import Invalid, NotFound
from caregate.service.members import RoleGrant, check_grants, grant_rows, member_views
from caregate.service.security import require_fresh
from caregate.service.views import MemberView
from caregate.store import identity_repo, repo
from caregate.store.identity import ApiKey
from caregate.store.ids import new_id
from caregate.store.tables import Membership, User

_SLUG = re.compile(r"[^a-z0-9]+")


def create_account(uow: UnitOfWork, actor: Actor, *, name: str, grants: Sequence[RoleGrant]) -> MemberView:
    """A member that is not a person: it has roles, holds no seat, has no password, acts through keys."""
    org = repo.get_org(uow.session, org_id=actor.org_id, lock=True)
    if org is None:
        raise NotFound("organisation not found")
    clean = " ".join(name.split())
    if not 1 <= len(clean) <= 120:
        raise Invalid("a service account's name is 1 to 120 characters")
    roles = org_roles(uow, org.id)
    keys = check_grants(uow, org, grants, roles)
    authorize(uow, actor, Action.INVITE, resources.new_member(org.id, teams=(), locations=(),
                                                              new_rank=max_rank(keys, roles)))
    require_fresh(uow, actor)
    user_id = new_id("usr")
    slug = _SLUG.sub("-", clean.lower()).strip("-")[:40] or "service"
    user = User(id=user_id, email=f"{slug}.{user_id[-10:]}@service.{org.id}.caregate.invalid", name=clean,
                kind="service", created_at=uow.now)
    uow.session.add(user)
    uow.session.flush()
    member = Membership(id=new_id("mem"), org_id=org.id, user_id=user.id, status="active", title="Service account",
                        profile={}, invited_by=actor.member_id, created_at=uow.now, activated_at=uow.now)
    uow.session.add(member)
    uow.session.flush()
    repo.replace_roles(uow.session, member_id=member.id, rows=grant_rows(org.id, member.id, grants, actor, uow.now))
    uow.record("members.service_account_created", org_id=org.id, actor=actor, object_type="members",
               object_id=member.id, after={"name": clean, "roles": keys})
    return member_views(uow, org, [(member, user)], roles)[0]


def list_accounts(uow: UnitOfWork, actor: Actor) -> list[MemberView]:
    org = repo.get_org(uow.session, org_id=actor.org_id)
    if org is None:
        raise NotFound("organisation not found")
    authorize(uow, actor, Action.READ, resources.org_object(Feature.API_KEYS, org.id))
    return member_views(uow, org, identity_repo.service_accounts(uow.session, org_id=org.id), org_roles(uow, org.id))


def _account(uow: UnitOfWork, actor: Actor, member_id: str) -> Membership:
    member = repo.get_member(uow.session, org_id=actor.org_id, member_id=member_id)
    user = repo.get_user(uow.session, user_id=member.user_id) if member else None
    if member is None or user is None or user.kind != "service":
        raise NotFound(f"service account {member_id} not found")
    return member


def _key(uow: UnitOfWork, actor: Actor, member_id: str, key_id: str) -> ApiKey:
    key = next((k for k in identity_repo.api_keys_of(uow.session, org_id=actor.org_id, member_id=member_id)
                if k.id == key_id), None)
    if key is None:
        raise NotFound(f"API key {key_id} not found")
    return key


def create_key(uow: UnitOfWork, actor: Actor, *, member_id: str, name: str, scopes: list[str],
               expires_at: datetime | None, rate_limit_per_minute: int) -> NewKeyView:
    member = _account(uow, actor, member_id)
    authorize(uow, actor, Action.CREATE, resources.org_object(Feature.API_KEYS, actor.org_id))
    require_fresh(uow, actor)
    key, secret = apikeys.issue(uow, org_id=actor.org_id, member_id=member.id, name=" ".join(name.split())[:120],
                                scopes=apikeys.parse_scopes(scopes), expires_at=expires_at,
                                rate_limit_per_minute=rate_limit_per_minute, created_by=actor.member_id)
    uow.record("api_keys.create", org_id=actor.org_id, actor=actor, object_type="api_keys", object_id=key.id,
               after={"name": key.name, "prefix": key.prefix, "scopes": key.scopes, "member": member.id,
                      "expires_at": expires_at.isoformat() if expires_at else None})
    return NewKeyView(**apikeys.view(key, uow.now).model_dump(), key=secret)


def list_keys(uow: UnitOfWork, actor: Actor, *, member_id: str) -> list[KeyView]:
    member = _account(uow, actor, member_id)
    authorize(uow, actor, Action.READ, resources.org_object(Feature.API_KEYS, actor.org_id))
    keys = identity_repo.api_keys_of(uow.session, org_id=actor.org_id, member_id=member.id)
    since = (uow.now - timedelta(days=30)).strftime("%Y-%m-%d")
    usage = identity_repo.key_usage(uow.session, key_ids=[k.id for k in keys], since_day=since)
    return [apikeys.view(k, uow.now, usage.get(k.id)) for k in keys]


def rotate_key(uow: UnitOfWork, actor: Actor, *, member_id: str, key_id: str, grace_hours: int) -> NewKeyView:
    key = _key(uow, actor, member_id, key_id)
    authorize(uow, actor, Action.EDIT, resources.org_object(Feature.API_KEYS, actor.org_id))
    require_fresh(uow, actor)
    new, secret = apikeys.rotate(uow, key, grace_hours=grace_hours, created_by=actor.member_id)
    uow.record("api_keys.rotate", org_id=actor.org_id, actor=actor, object_type="api_keys", object_id=key.id,
               after={"new_key": new.id, "old_key_works_until": key.expires_at.isoformat() if key.expires_at else None})
    return NewKeyView(**apikeys.view(new, uow.now).model_dump(), key=secret)


def revoke_key(uow: UnitOfWork, actor: Actor, *, member_id: str, key_id: str) -> None:
    key = _key(uow, actor, member_id, key_id)
    authorize(uow, actor, Action.DELETE, resources.org_object(Feature.API_KEYS, actor.org_id))
    require_fresh(uow, actor)
    if key.revoked_at is None:
        key.revoked_at = uow.now
    uow.record("api_keys.revoke", org_id=actor.org_id, actor=actor, object_type="api_keys", object_id=key.id,
               before={"state": apikeys.state(key, uow.now)})
