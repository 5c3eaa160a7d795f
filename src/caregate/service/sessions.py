"""Login sessions: opened at login, checked on every request, listed, ended.

A session is a row keyed by the hash of its opaque token. Each request checks, in this order: it exists
and was not ended; its absolute lifetime; its idle timeout (the strictest of the person's organisations
at login, and the organisation's own, per role, on that organisation's requests); the client it is bound
to. Ending a session takes effect at its next request.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from caregate.identity import secrets as tokens
from caregate.identity.policy import SecurityPolicy
from caregate.service.context import RequestInfo, UnitOfWork
from caregate.service.errors import KeepChanges, NotFound, Unauthenticated
from caregate.service.views import View
from caregate.store import identity_repo, repo
from caregate.store.ids import new_id
from caregate.store.tables import AuthToken, User

TOKEN_PREFIX = "cgs"  # noqa: S105 -- a prefix, not a secret
ACTIVE = "active"
SEEN_RESOLUTION = timedelta(seconds=15)  # last-seen is written at most this often per session


@dataclass(frozen=True, slots=True)
class Opened:
    token: str
    row: AuthToken


class SessionView(View):
    id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ip: str | None
    user_agent: str | None
    device: str
    status: str
    current: bool


def client_hash(binding: str, request: RequestInfo) -> str | None:
    parts = []
    if binding in ("ip", "both"):
        parts.append(f"ip={request.ip or ''}")
    if binding in ("user_agent", "both"):
        parts.append(f"ua={request.user_agent or ''}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest() if parts else None


_BROWSERS = (("edg/", "Edge"), ("firefox", "Firefox"), ("chrome", "Chrome"), ("safari", "Safari"), ("curl", "curl"),
             ("python", "Python client"))
_SYSTEMS = (("windows", "Windows"), ("mac os", "macOS"), ("iphone", "iPhone"), ("ipad", "iPad"),
            ("android", "Android"), ("linux", "Linux"))


def device(user_agent: str | None) -> str:
    """A short, human label for a session list ("Firefox on Windows")."""
    ua = (user_agent or "").lower()
    browser = next((name for key, name in _BROWSERS if key in ua), "Unknown browser")
    system = next((name for key, name in _SYSTEMS if key in ua), "")
    return f"{browser} on {system}" if system else browser


def open_session(uow: UnitOfWork, user: User, policy: SecurityPolicy, *, status: str) -> Opened:
    """A new session for `user`; the oldest ones end if the concurrent-session limit would be passed."""
    live = identity_repo.live_sessions(uow.session, user_id=user.id, now=uow.now)
    for old in live[: max(0, len(live) - policy.sessions.max_concurrent + 1)]:
        old.revoked_at, old.revoked_reason = uow.now, "concurrent-limit"
        uow.record("auth.session_ended", org_id=None, actor_user_id=user.id,
                   detail={"session": old.id, "reason": "concurrent-limit"})
    token = tokens.new_token(TOKEN_PREFIX)
    binding = policy.sessions.bind_to_client
    row = AuthToken(
        id=new_id("tok"), user_id=user.id, token_hash=tokens.token_hash(token), created_at=uow.now,
        expires_at=uow.now + timedelta(hours=policy.sessions.absolute_hours), last_seen_at=uow.now,
        ip=uow.request.ip, user_agent=(uow.request.user_agent or "")[:300] or None, status=status,
        authenticated_at=uow.now, idle_minutes=policy.sessions.idle_minutes, binding=binding,
        client_hash=client_hash(binding, uow.request))
    uow.session.add(row)
    return Opened(token, row)


def _end(uow: UnitOfWork, row: AuthToken, reason: str) -> None:
    row.revoked_at, row.revoked_reason = uow.now, reason
    uow.record("auth.session_ended", org_id=None, actor_user_id=row.user_id,
               detail={"session": row.id, "reason": reason})


def resolve(uow: UnitOfWork, token: str) -> tuple[AuthToken, datetime]:
    """The live session of a token, and when it was last seen before this request; refuse anything else."""
    row = repo.token_by_hash(uow.session, token_hash=tokens.token_hash(token))
    if row is None or not tokens.matches(token, row.token_hash) or row.revoked_at is not None:
        raise Unauthenticated("the session is unknown or has ended; log in again")
    if uow.now >= row.expires_at:
        raise Unauthenticated("the session reached its maximum length; log in again")
    if uow.now - row.last_seen_at > timedelta(minutes=row.idle_minutes):
        _end(uow, row, "idle")
        raise KeepChanges(Unauthenticated(
            f"signed out after {row.idle_minutes} minutes without activity; log in again"))
    if row.client_hash is not None and row.client_hash != client_hash(row.binding, uow.request):
        uow.record("auth.session_refused", org_id=None, actor_user_id=row.user_id, outcome="denied",
                   detail={"session": row.id, "reason": "client changed", "binding": row.binding})
        raise KeepChanges(Unauthenticated("this session belongs to another device or network; log in again here"))
    previous = row.last_seen_at
    if uow.now - row.last_seen_at >= SEEN_RESOLUTION:
        row.last_seen_at = uow.now
    return row, previous


def check_idle_for_org(uow: UnitOfWork, row: AuthToken, previous_seen: datetime, idle_minutes: int) -> None:
    """An organisation may log its members out sooner than their other organisations would."""
    if idle_minutes < row.idle_minutes and uow.now - previous_seen > timedelta(minutes=idle_minutes):
        _end(uow, row, "idle")
        raise KeepChanges(Unauthenticated(f"signed out after {idle_minutes} minutes without activity; log in again"))


def end_all(uow: UnitOfWork, user_id: str, *, reason: str, keep: str | None = None) -> int:
    ended = 0
    for row in identity_repo.live_sessions(uow.session, user_id=user_id, now=uow.now):
        if row.id != keep:
            _end(uow, row, reason)
            ended += 1
    return ended


def list_mine(uow: UnitOfWork, row: AuthToken) -> list[SessionView]:
    return [SessionView(id=s.id, created_at=s.created_at, last_seen_at=s.last_seen_at, expires_at=s.expires_at,
                        ip=s.ip, user_agent=s.user_agent, device=device(s.user_agent), status=s.status,
                        current=s.id == row.id)
            for s in reversed(identity_repo.live_sessions(uow.session, user_id=row.user_id, now=uow.now))]


def end_mine(uow: UnitOfWork, row: AuthToken, session_id: str) -> None:
    target = next((s for s in identity_repo.live_sessions(uow.session, user_id=row.user_id, now=uow.now)
                   if s.id == session_id), None)
    if target is None:
        raise NotFound(f"session {session_id} not found among your sessions")
    _end(uow, target, "remote-logout")
