"""The steps a login session may still owe before it is active."""

from __future__ import annotations

from datetime import timedelta

from caregate.service import security, sessions
from caregate.service.context import UnitOfWork
from caregate.store import identity_repo
from caregate.store.tables import AuthToken, User


def next_step(uow: UnitOfWork, user: User, row: AuthToken | None) -> str:
    """What the session still owes: 2FA, enrolling a second factor, a new password; else active."""
    state = identity_repo.user_security(uow.session, user_id=user.id, now=uow.now)
    enrolled = state.totp_confirmed_at is not None or state.mfa_email
    if row is None or row.mfa_at is None:
        if enrolled:
            return "mfa_required"
        if security.mfa_required(uow, user):
            return "mfa_enrolment_required"
    policy = security.user_policy(uow, user).password
    changed = user.password_changed_at or user.created_at
    if policy.max_age_days and uow.now - changed > timedelta(days=policy.max_age_days):
        return "password_change_required"
    return sessions.ACTIVE
