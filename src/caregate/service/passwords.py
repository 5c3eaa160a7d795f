"""Changing, forgetting and resetting passwords.

A new password must meet the strictest policy of the person's organisations and must not be one of
their last N. Setting one ends every session (the person gets a fresh one when they changed it
themselves). Reset links are single-use, expire, and are sent only by email; asking for one answers
the same whether or not the address is known.
"""

from __future__ import annotations

from datetime import timedelta

from caregate.engine import Action
from caregate.identity import secrets as tokens
from caregate.identity.policy import password_problems
from caregate.service import mail, security, sessions
from caregate.service.actors import Actor, authenticate
from caregate.service.authz import authorize
from caregate.service.context import Caller, UnitOfWork
from caregate.service.errors import Invalid, Unauthenticated
from caregate.service.steps import next_step
from caregate.store import identity_repo, repo
from caregate.store.identity import PasswordHistory, PasswordReset
from caregate.store.ids import new_id
from caregate.store.tables import User

RESET_PREFIX = "cgr"


def _set(uow: UnitOfWork, user: User, new_password: str) -> None:
    policy = security.user_policy(uow, user).password
    problems = password_problems(new_password, policy)
    if problems:
        raise Invalid("choose another password: " + "; ".join(problems), problems)
    # the history keeps the passwords replaced; with the current one they are the last N
    recent = [h.password_hash for h in identity_repo.password_history(uow.session, user_id=user.id,
                                                                      limit=policy.history)]
    last = ([user.password_hash] if user.password_hash else []) + recent
    if policy.history and any(uow.services.passwords.verify(new_password, old).ok for old in last[:policy.history]):
        raise Invalid(f"choose a password you have not used for your last {policy.history} passwords")
    if user.password_hash:
        uow.session.add(PasswordHistory(id=new_id("pwh"), user_id=user.id, password_hash=user.password_hash,
                                        created_at=uow.now))
    user.password_hash = uow.services.passwords.hash(new_password)
    user.password_changed_at = uow.now


def change(uow: UnitOfWork, caller: Caller, *, current_password: str, new_password: str) -> sessions.Opened:
    """Change one's own password (the current one is required); every session ends, a fresh one begins."""
    who = authenticate(uow, caller, allow_steps=True)
    if who.session is None:
        raise Invalid("a service account has no password")
    if who.session.status not in (sessions.ACTIVE, "password_change_required"):
        raise Invalid("finish logging in (the 2FA step) before changing your password")
    user = who.user
    if not uow.services.passwords.verify(current_password, user.password_hash).ok:
        raise Unauthenticated("the current password is not right")
    if current_password == new_password:
        raise Invalid("choose a password different from the current one")
    _set(uow, user, new_password)
    sessions.end_all(uow, user.id, reason="password-changed")
    opened = sessions.open_session(uow, user, security.user_policy(uow, user), status=sessions.ACTIVE)
    opened.row.mfa_at = who.session.mfa_at  # the second factor proved in this login still counts
    opened.row.status = next_step(uow, user, opened.row)
    uow.record("auth.password_changed", org_id=None, actor_user_id=user.id, detail={"by": "self"})
    return opened


def _send_reset(uow: UnitOfWork, user: User, *, by: str | None) -> None:
    token = tokens.new_token(RESET_PREFIX)
    minutes = uow.services.settings.reset_ttl_minutes
    uow.session.add(PasswordReset(id=new_id("prs"), user_id=user.id, token_hash=tokens.token_hash(token),
                                  created_at=uow.now, expires_at=uow.now + timedelta(minutes=minutes), created_by=by))
    link = f"{uow.services.settings.public_url.rstrip('/')}/reset?token={token}"
    mail.enqueue(uow, to=user.email, kind="password_reset", org_id=None, subject="Reset your caregate password",
                 body=f"Set a new password here (the link works once, for {minutes} minutes):\n\n{link}\n\n"
                      "If you did not ask for this, you can ignore this email.\n")


def forgot(uow: UnitOfWork, *, email: str) -> None:
    """Email a reset link if the address belongs to a person; say nothing either way."""
    user = repo.user_by_email(uow.session, email=email.strip().lower()) if len(email) <= 254 else None
    verdict = uow.services.rate_limiter.hit(f"forgot:{email.strip().lower()[:254]}", limit=3, window_seconds=900,
                                            now=uow.now)
    if user is None or user.kind != "person" or not verdict.allowed:
        uow.record("auth.password_reset_requested", org_id=None, outcome="denied", detail={"email": email[:254]})
        return
    _send_reset(uow, user, by=None)
    uow.record("auth.password_reset_requested", org_id=None, actor_user_id=user.id)


def reset(uow: UnitOfWork, *, token: str, new_password: str) -> None:
    """Set a new password from a reset link; it also lifts a lockout and ends every session."""
    invalid = Invalid("this reset link is invalid, already used or expired; ask for a new one")
    if not tokens.well_formed(token, RESET_PREFIX):
        raise invalid
    row = identity_repo.reset_by_hash(uow.session, token_hash=tokens.token_hash(token))
    if row is None or not tokens.matches(token, row.token_hash) or row.used_at or row.expires_at <= uow.now:
        raise invalid
    user = repo.get_user(uow.session, user_id=row.user_id)
    if user is None:
        raise invalid
    _set(uow, user, new_password)
    row.used_at = uow.now
    state = identity_repo.user_security(uow.session, user_id=user.id, now=uow.now, lock=True)
    state.locked, state.locked_until, state.failed_count = False, None, 0
    sessions.end_all(uow, user.id, reason="password-reset")
    uow.record("auth.password_reset", org_id=None, actor_user_id=user.id,
               detail={"by": "administrator" if row.created_by else "self"})


def send_reset_for_member(uow: UnitOfWork, actor: Actor, *, member_id: str) -> None:
    """An Owner or Administrator sends a member a reset link (they never see or set the password)."""
    from caregate.service.members import load_target, target_resource

    org, member, user, roles = load_target(uow, actor, member_id)
    authorize(uow, actor, Action.UNLOCK, target_resource(uow, member, roles))
    if user.kind != "person":
        raise Invalid("a service account has no password; rotate its API keys instead")
    _send_reset(uow, user, by=actor.member_id)
    uow.record("auth.password_reset_sent", org_id=org.id, actor=actor, object_type="members", object_id=member.id)
