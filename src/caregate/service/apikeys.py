"""Service accounts (members that are not people) and their API keys.

A key reads `cgk_<prefix>_<secret>`: the prefix is shown in lists and logs; the secret is shown once and
kept only as its SHA-256 hash (256 random bits: nothing to brute-force). Scopes narrow what the
account's roles allow; a key expires, is rotated with a grace period for the old one, is revoked at
once, is rate-limited per minute (shared through Redis when configured) and its use is counted per day.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from caregate.engine import FEATURE_ACTIONS, Action, Feature
from caregate.identity import secrets as tokens
from caregate.service.context import UnitOfWork
from caregate.service.errors import Invalid, TooManyRequests, Unauthenticated
from caregate.service.views import View
from caregate.store import identity_repo, repo
from caregate.store.identity import ApiKey
from caregate.store.ids import new_id
from caregate.store.tables import User

KEY_PREFIX = "cgk"
_KEY = re.compile(r"^cgk_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$")
_ALPHABET = "abcdefghijkmnopqrstuvwxyz0123456789"
MAX_GRACE_HOURS = 24 * 7


class KeyView(View):
    id: str
    name: str
    prefix: str
    member_id: str
    scopes: list[str]
    rate_limit_per_minute: int
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    rotated_to: str | None
    last_used_at: datetime | None
    usage_by_day: dict[str, int] = {}
    state: str


class NewKeyView(KeyView):
    key: str  # shown once


def looks_like_key(token: str) -> bool:
    return token.startswith(KEY_PREFIX + "_")


def state(key: ApiKey, now: datetime) -> str:
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None and key.expires_at <= now:
        return "expired"
    return "rotating" if key.rotated_to else "active"


def view(key: ApiKey, now: datetime, usage: dict[str, int] | None = None) -> KeyView:
    return KeyView(id=key.id, name=key.name, prefix=f"{KEY_PREFIX}_{key.prefix}", member_id=key.membership_id,
                   scopes=list(key.scopes), rate_limit_per_minute=key.rate_limit_per_minute, created_at=key.created_at,
                   expires_at=key.expires_at, revoked_at=key.revoked_at, rotated_to=key.rotated_to,
                   last_used_at=key.last_used_at, usage_by_day=usage or {}, state=state(key, now))


def parse_scopes(scopes: Sequence[str]) -> list[str]:
    """Scopes are feature:action pairs, with * for any feature or any action; at least one is needed."""
    if not scopes:
        raise Invalid("give the key at least one scope, e.g. sessions:read (or *:* for everything its account may do)")
    problems, out = [], []
    for scope in scopes:
        feature, _, action = scope.partition(":")
        if feature != "*" and feature not in set(Feature):
            problems.append(f"scope {scope!r}: unknown feature {feature!r}")
        elif action != "*" and (action not in set(Action) or (
                feature != "*" and Action(action) not in FEATURE_ACTIONS[Feature(feature)])):
            problems.append(f"scope {scope!r}: unknown action {action!r} for {feature}")
        else:
            out.append(f"{feature}:{action}")
    if problems:
        raise Invalid("the scopes are not valid", problems)
    return sorted(set(out))


def issue(uow: UnitOfWork, *, org_id: str, member_id: str, name: str, scopes: list[str],
          expires_at: datetime | None, rate_limit_per_minute: int, created_by: str | None) -> tuple[ApiKey, str]:
    if expires_at is not None and expires_at <= uow.now:
        raise Invalid("the expiry date is in the past")
    prefix = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    secret = secrets.token_urlsafe(32)[:43]
    key = ApiKey(id=new_id("key"), org_id=org_id, membership_id=member_id, name=name, prefix=prefix,
                 secret_hash=tokens.token_hash(secret), scopes=scopes, rate_limit_per_minute=rate_limit_per_minute,
                 created_at=uow.now, created_by=created_by, expires_at=expires_at)
    uow.session.add(key)
    return key, f"{KEY_PREFIX}_{prefix}_{secret}"


def resolve(uow: UnitOfWork, token: str) -> tuple[ApiKey, User]:
    """The key and service account behind a presented key, counted against its rate limit."""
    refused = Unauthenticated("the API key is unknown, expired or revoked")
    match = _KEY.fullmatch(token)
    if match is None:
        raise refused
    key = identity_repo.api_key_by_prefix(uow.session, prefix=match.group(1))
    if key is None or not tokens.matches(match.group(2), key.secret_hash) or state(key, uow.now) in (
            "revoked", "expired"):
        raise refused
    member = repo.get_member(uow.session, org_id=key.org_id, member_id=key.membership_id)
    user = repo.get_user(uow.session, user_id=member.user_id) if member else None
    if member is None or user is None or user.kind != "service":
        raise refused
    verdict = uow.services.rate_limiter.hit(f"key:{key.id}", limit=key.rate_limit_per_minute, window_seconds=60,
                                            now=uow.now)
    if not verdict.allowed:
        raise TooManyRequests(f"this key may make {key.rate_limit_per_minute} requests a minute; "
                              f"try again in {verdict.retry_after} s", retry_after=verdict.retry_after)
    key_id, now = key.id, uow.now

    def count_use(session: Any) -> None:
        identity_repo.touch_key(session, key_id=key_id, at=now)
        identity_repo.count_key_use(session, key_id=key_id, day=now.strftime("%Y-%m-%d"))

    uow.even_if_refused(count_use)  # a request the engine then refuses still used the key
    return key, user


def rotate(uow: UnitOfWork, key: ApiKey, *, grace_hours: int, created_by: str | None) -> tuple[ApiKey, str]:
    """A new key with the same name, scopes and limit; the old one keeps working for the grace period."""
    if state(key, uow.now) != "active":
        raise Invalid(f"only an active key can be rotated; this one is {state(key, uow.now)}")
    if not 0 <= grace_hours <= MAX_GRACE_HOURS:
        raise Invalid(f"the grace period is 0 to {MAX_GRACE_HOURS} hours")
    new, secret = issue(uow, org_id=key.org_id, member_id=key.membership_id, name=key.name, scopes=list(key.scopes),
                        expires_at=key.expires_at, rate_limit_per_minute=key.rate_limit_per_minute,
                        created_by=created_by)
    end = uow.now + timedelta(hours=grace_hours)
    key.expires_at = min(key.expires_at, end) if key.expires_at else end
    key.rotated_to = new.id
    return new, secret
