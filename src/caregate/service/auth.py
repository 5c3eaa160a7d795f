"""Logging in and out, the steps a login may still owe (2FA, enrolment, a new password), re-authentication.

A wrong password, an unknown email, a locked account and a service account all get the same answer and
take the same time (a hash is verified either way), so the answer tells an attacker nothing. Failures
count towards the account's lock (the strictest lockout policy of the person's organisations) and
towards a per-address throttle.
"""

from __future__ import annotations

import time
from datetime import timedelta

from caregate.identity.policy import SecurityPolicy
from caregate.service import mfa, orgs, security, sessions
from caregate.service.actors import Authenticated, authenticate
from caregate.service.context import Caller, RequestInfo, Services, UnitOfWork
from caregate.service.errors import Invalid, KeepChanges, TooManyRequests, Unauthenticated
from caregate.service.steps import next_step
from caregate.service.views import MeView, View
from caregate.store import identity_repo, repo
from caregate.store.tables import User

LOGIN_FAILED = "the email or password is not right, or the account cannot log in"
THROTTLE_WINDOW = 15 * 60


class LoginView(View):
    token: str
    token_type: str = "bearer"  # noqa: S105
    status: str  # active, or the step still owed
    methods: list[str] = []  # 2FA methods offered when status is mfa_required
    expires_at: object
    user_id: str


def _view(opened: sessions.Opened, methods: list[str]) -> LoginView:
    return LoginView(token=opened.token, status=opened.row.status, methods=methods, expires_at=opened.row.expires_at,
                     user_id=opened.row.user_id)


def _throttle_key(uow: UnitOfWork) -> str:
    return f"login-ip:{uow.request.ip or 'unknown'}"


def _check_throttle(uow: UnitOfWork) -> None:
    limit = uow.services.settings.login_ip_failures_per_15min
    verdict = uow.services.rate_limiter.peek(_throttle_key(uow), limit=limit, window_seconds=THROTTLE_WINDOW,
                                             now=uow.now)
    if not verdict.allowed:
        uow.record("auth.throttled", org_id=None, outcome="denied", detail={"ip": uow.request.ip})
        raise KeepChanges(TooManyRequests(
            f"too many failed logins from this address; try again in {verdict.retry_after} s",
            retry_after=verdict.retry_after))


def _count_failure(uow: UnitOfWork, user: User | None, policy: SecurityPolicy, reason: str,
                   email: str | None = None) -> None:
    uow.services.rate_limiter.hit(_throttle_key(uow), limit=uow.services.settings.login_ip_failures_per_15min,
                                  window_seconds=THROTTLE_WINDOW, now=uow.now)
    detail: dict[str, object] = {"reason": reason}
    if email is not None:
        detail["email"] = email[:254]  # who was tried, also when no such account exists
    uow.record("auth.login_failed", org_id=None, outcome="denied", actor_user_id=user.id if user else None,
               detail=detail)
    if user is None or reason == "locked":
        return
    state = identity_repo.user_security(uow.session, user_id=user.id, now=uow.now, lock=True)
    state.failed_count += 1
    state.updated_at = uow.now
    if state.failed_count >= policy.lockout.max_failures:
        minutes = policy.lockout.lock_minutes
        state.locked = minutes == 0
        state.locked_until = None if minutes == 0 else uow.now + timedelta(minutes=minutes)
        state.failed_count = 0
        for org, member in identity_repo.active_memberships(uow.session, user_id=user.id):
            uow.record("auth.lockout", org_id=org.id, outcome="denied", actor_user_id=user.id,
                       actor_member_id=member.id, detail={"minutes": minutes or "until unlocked"})


def attempt_login(services: Services, request: RequestInfo, *, email: str, password: str) -> LoginView:
    """Log in, in a unit of its own; a refusal answers no sooner than the configured floor.

    Refusals differ in the work behind them (an unknown email writes less than a known one: no lockout
    bookkeeping, no copy of the event into each organisation's audit chain), and under load that
    difference can be timed. Waiting out a fixed floor from the start of the attempt hides it; the
    floor must exceed the slowest refusal (see docs/security.md).
    """
    started = time.monotonic()
    try:
        with services.unit(request) as uow:
            return login(uow, email=email, password=password)
    except (Unauthenticated, TooManyRequests):
        remaining = services.settings.login_failure_floor_ms / 1000 - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)
        raise


def login(uow: UnitOfWork, *, email: str, password: str) -> LoginView:
    _check_throttle(uow)
    user = repo.user_by_email(uow.session, email=email.strip().lower()) if len(email) <= 254 else None
    result = uow.services.passwords.verify(password, user.password_hash if user else None)
    policy = security.user_policy(uow, user) if user else SecurityPolicy()
    if user is None or user.kind != "person":
        _count_failure(uow, None, policy, "unknown", email)
        raise KeepChanges(Unauthenticated(LOGIN_FAILED))
    if security.is_locked(uow, user):
        _count_failure(uow, user, policy, "locked", email)
        raise KeepChanges(Unauthenticated(LOGIN_FAILED))
    if not result.ok:
        _count_failure(uow, user, policy, "password", email)
        raise KeepChanges(Unauthenticated(LOGIN_FAILED))
    state = identity_repo.user_security(uow.session, user_id=user.id, now=uow.now, lock=True)
    state.failed_count, state.updated_at = 0, uow.now
    if result.new_hash:
        user.password_hash = result.new_hash  # the hashing parameters changed since: upgrade it now
    opened = sessions.open_session(uow, user, policy, status=sessions.ACTIVE)
    opened.row.status = next_step(uow, user, opened.row)
    uow.record("auth.login", org_id=None, actor_user_id=user.id,
               detail={"session": opened.row.id, "status": opened.row.status})
    return _view(opened, mfa.methods(uow, user, policy) if opened.row.status == "mfa_required" else [])


def verify_second_factor(uow: UnitOfWork, caller: Caller, *, code: str | None, recovery_code: str | None,
                         method: str) -> LoginView:
    """Complete the 2FA step (or re-prove it) with a TOTP, an emailed code or a recovery code."""
    who = _session(uow, caller)
    row, user = who.session, who.user
    assert row is not None
    policy = security.user_policy(uow, user)
    if not mfa.verify(uow, user, row, code=code, recovery_code=recovery_code, method=method, policy=policy):
        _count_failure(uow, user, policy, "second-factor")
        uow.record("auth.mfa_failed", org_id=None, outcome="denied", actor_user_id=user.id,
                   detail={"session": row.id, "method": method})
        raise KeepChanges(Unauthenticated("that code is not right, expired or already used"))
    row.mfa_at = uow.now
    if row.status in ("mfa_required", "mfa_enrolment_required"):
        row.status = next_step(uow, user, row)
    uow.record("auth.mfa_verified", org_id=None, actor_user_id=user.id, detail={"session": row.id, "method": method})
    return LoginView(token=caller.token or "", status=row.status, expires_at=row.expires_at, user_id=user.id)


def _session(uow: UnitOfWork, caller: Caller) -> Authenticated:
    who = authenticate(uow, caller, allow_steps=True)
    if who.session is None:
        raise Invalid("this is for a person's login session, not an API key")
    return who


def reauthenticate(uow: UnitOfWork, caller: Caller, *, password: str | None, code: str | None) -> LoginView:
    """Prove it is still you (password, or a TOTP code) before a sensitive operation."""
    who = _session(uow, caller)
    row, user = who.session, who.user
    assert row is not None
    policy = security.user_policy(uow, user)
    if password is not None:
        if not uow.services.passwords.verify(password, user.password_hash).ok:
            _count_failure(uow, user, policy, "reauthentication")
            raise KeepChanges(Unauthenticated("that password is not right"))
        row.authenticated_at = uow.now
    elif code is not None:
        if not mfa.verify(uow, user, row, code=code, recovery_code=None, method="totp", policy=policy):
            _count_failure(uow, user, policy, "reauthentication")
            raise KeepChanges(Unauthenticated("that code is not right, expired or already used"))
        row.mfa_at = uow.now
    else:
        raise Invalid("send your password, or a code from your authenticator app")
    uow.record("auth.reauthenticated", org_id=None, actor_user_id=user.id, detail={"session": row.id})
    return LoginView(token=caller.token or "", status=row.status, expires_at=row.expires_at, user_id=user.id)


def logout(uow: UnitOfWork, caller: Caller) -> None:
    who = _session(uow, caller)
    assert who.session is not None
    who.session.revoked_at, who.session.revoked_reason = uow.now, "logout"
    uow.record("auth.logout", org_id=None, actor_user_id=who.user.id, detail={"session": who.session.id})


def logout_everywhere(uow: UnitOfWork, caller: Caller) -> int:
    who = _session(uow, caller)
    ended = sessions.end_all(uow, who.user.id, reason="logout-everywhere")
    uow.record("auth.logout", org_id=None, actor_user_id=who.user.id, detail={"everywhere": True, "ended": ended})
    return ended


def my_sessions(uow: UnitOfWork, caller: Caller) -> list[sessions.SessionView]:
    who = _session(uow, caller)
    assert who.session is not None
    return sessions.list_mine(uow, who.session)


def end_my_session(uow: UnitOfWork, caller: Caller, *, session_id: str) -> None:
    who = _session(uow, caller)
    assert who.session is not None
    sessions.end_mine(uow, who.session, session_id)


def me(uow: UnitOfWork, caller: Caller) -> MeView:
    user = authenticate(uow, caller).user
    memberships = repo.orgs_of_user(uow.session, user_id=user.id)
    held = repo.roles_of(uow.session, member_ids=[m.id for _, m in memberships])
    return MeView(user_id=user.id, email=user.email, name=user.name, organisations=[
        orgs.view(o, uow.now, m, [r.role_key for r in held[m.id]]) for o, m in memberships
        if m.status != "archived"])


def issue_login(uow: UnitOfWork, user: User) -> LoginView:
    """A session for someone who has just proved who they are another way (accepting an invitation)."""
    opened = sessions.open_session(uow, user, security.user_policy(uow, user), status=sessions.ACTIVE)
    opened.row.status = next_step(uow, user, opened.row)
    return _view(opened, [])


__all__ = ["LOGIN_FAILED", "LoginView", "issue_login", "login", "logout", "me"]
