"""The signed-in person's own account as the console shows it: the step their login still owes, how
they can prove it is them, their 2FA state and the password rules that apply to them. Read only."""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

from caregate.identity import totp
from caregate.identity.policy import PasswordPolicy
from caregate.service import mfa, security
from caregate.service.actors import authenticate
from caregate.service.context import Caller, UnitOfWork
from caregate.service.errors import Invalid
from caregate.service.views import View
from caregate.store import identity_repo


class AccountView(View):
    user_id: str
    email: str
    name: str
    status: str  # active, or the step the login still owes (see service.steps)
    methods: list[str]  # the second factors this person can use now: totp, email, recovery_code
    totp: bool  # an authenticator app is set up
    email_codes: bool  # emailed codes chosen as the second factor
    recovery_codes_left: int
    mfa_required: bool  # an organisation requires 2FA of a role they hold: it cannot be turned off
    allow_email_codes: bool
    password_rules: list[str]
    password_expires_at: datetime | None


def password_rules(policy: PasswordPolicy) -> list[str]:
    """The rules a new password must meet, said the way the refusals say them."""
    rules = [f"at least {policy.min_length} characters"]
    rules += [text for wanted, text in ((policy.require_upper, "an upper-case letter"),
                                        (policy.require_lower, "a lower-case letter"),
                                        (policy.require_digit, "a digit"),
                                        (policy.require_symbol, "a symbol such as ! @ # $")) if wanted]
    if policy.history:
        rules.append(f"not one of your last {policy.history} passwords")
    return rules


def state(uow: UnitOfWork, caller: Caller) -> AccountView:
    """Works during the steps of a login too (it is what the step pages show)."""
    who = authenticate(uow, caller, allow_steps=True)
    if who.session is None:
        raise Invalid("this is for a person's login session, not an API key")
    user = who.user
    policy = security.user_policy(uow, user)
    sec = identity_repo.security_states(uow.session, user_ids=[user.id]).get(user.id)
    left = sum(1 for c in identity_repo.recovery_codes(uow.session, user_id=user.id) if c.used_at is None)
    changed = user.password_changed_at or user.created_at
    max_age = policy.password.max_age_days
    return AccountView(
        user_id=user.id, email=user.email, name=user.name, status=who.session.status,
        methods=mfa.methods(uow, user, policy) if sec is not None else (["email"] if policy.mfa.allow_email_codes
                                                                          else []),
        totp=sec is not None and sec.totp_confirmed_at is not None, email_codes=sec is not None and sec.mfa_email,
        recovery_codes_left=left, mfa_required=security.mfa_required(uow, user),
        allow_email_codes=policy.mfa.allow_email_codes, password_rules=password_rules(policy.password),
        password_expires_at=changed + timedelta(days=max_age) if max_age else None)


def pending_enrolment(uow: UnitOfWork, caller: Caller, *, secret: str) -> mfa.EnrolmentView | None:
    """Show an unconfirmed authenticator set-up again (after a mistyped first code), but only to whoever
    already holds its secret: the page that showed it sends it back. None if it is not the pending one."""
    who = authenticate(uow, caller, allow_steps=True)
    sec = identity_repo.security_states(uow.session, user_ids=[who.user.id]).get(who.user.id)
    if who.session is None or sec is None or sec.totp_pending is None:
        return None
    stored = uow.services.secret_box.open(sec.totp_pending, context=f"totp:{who.user.id}")
    if len(secret) > 64 or not hmac.compare_digest(stored.encode(), secret.encode()):
        return None
    uri = totp.provisioning_uri(stored, account=who.user.email, issuer=mfa.ISSUER)
    return mfa.EnrolmentView(secret=stored, otpauth_uri=uri, qr_svg=totp.qr_svg(uri))
