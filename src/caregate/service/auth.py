"""Password login, logout and "who am I". The identity issue adds 2FA, lockout and session policy here.

A wrong password, an unknown email and an account that cannot log in get the same answer, and take
the same time (a hash is verified either way), so the answer does not tell an attacker which it was.
"""

from __future__ import annotations

from datetime import timedelta

from caregate.identity import secrets as tokens
from caregate.service import orgs
from caregate.service.actors import TOKEN_PREFIX, authenticate
from caregate.service.context import Caller, UnitOfWork
from caregate.service.errors import Unauthenticated
from caregate.service.views import MeView, TokenView
from caregate.store import repo
from caregate.store.ids import new_id
from caregate.store.tables import AuthToken, User

LOGIN_FAILED = "the email or password is not right, or the account cannot log in"


def issue_token(uow: UnitOfWork, user: User) -> TokenView:
    token = tokens.new_token(TOKEN_PREFIX)
    expires = uow.now + timedelta(minutes=uow.services.settings.token_ttl_minutes)
    uow.session.add(AuthToken(id=new_id("tok"), user_id=user.id, token_hash=tokens.token_hash(token),
                              created_at=uow.now, expires_at=expires, last_seen_at=uow.now,
                              ip=uow.request.ip, user_agent=(uow.request.user_agent or "")[:300] or None))
    return TokenView(token=token, expires_at=expires, user_id=user.id)


def login(uow: UnitOfWork, *, email: str, password: str) -> TokenView:
    user = repo.user_by_email(uow.session, email=email.strip().lower()) if len(email) <= 254 else None
    result = uow.services.passwords.verify(password, user.password_hash if user else None)
    if user is None or not result.ok or user.kind != "person":
        uow.record("auth.login_failed", org_id=None, outcome="denied",
                   actor_user_id=user.id if user else None, detail={"email": email[:254]})
        raise Unauthenticated(LOGIN_FAILED)
    if result.new_hash:
        user.password_hash = result.new_hash  # parameters changed since it was hashed
    uow.record("auth.login", org_id=None, actor_user_id=user.id)
    return issue_token(uow, user)


def logout(uow: UnitOfWork, caller: Caller) -> None:
    user, token_id = authenticate(uow, caller)
    row = repo.token_by_hash(uow.session, token_hash=tokens.token_hash(caller.token or ""))
    if row is not None:
        row.revoked_at = uow.now
    uow.record("auth.logout", org_id=None, actor_user_id=user.id, detail={"token": token_id})


def me(uow: UnitOfWork, caller: Caller) -> MeView:
    user, _ = authenticate(uow, caller)
    memberships = repo.orgs_of_user(uow.session, user_id=user.id)
    held = repo.roles_of(uow.session, member_ids=[m.id for _, m in memberships])
    return MeView(user_id=user.id, email=user.email, name=user.name, organisations=[
        orgs.view(o, uow.now, m, [r.role_key for r in held[m.id]]) for o, m in memberships
        if m.status != "archived"])
