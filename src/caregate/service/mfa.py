"""Second factors: TOTP (enrolment with a QR code, a ±1 step window, no reuse), emailed codes, and ten
single-use recovery codes. Seeds are encrypted at rest; codes are stored as hashes."""

from __future__ import annotations

from datetime import timedelta

from caregate.identity import codes, totp
from caregate.identity.policy import SecurityPolicy
from caregate.service import mail, security
from caregate.service.actors import authenticate
from caregate.service.context import Caller, UnitOfWork
from caregate.service.errors import Conflict, Invalid, ReauthenticationRequired, TooManyRequests
from caregate.service.steps import next_step
from caregate.service.views import View
from caregate.store import identity_repo
from caregate.store.identity import EmailCode, RecoveryCode
from caregate.store.ids import new_id
from caregate.store.tables import AuthToken, User

EMAIL_CODE_MINUTES = 10
EMAIL_CODE_ATTEMPTS = 5
EMAIL_CODES_PER_15MIN = 5
ISSUER = "caregate"


class EnrolmentView(View):
    secret: str  # shown once, for typing into an app that cannot scan
    otpauth_uri: str
    qr_svg: str


class RecoveryCodesView(View):
    recovery_codes: list[str]  # shown once
    status: str


def methods(uow: UnitOfWork, user: User, policy: SecurityPolicy) -> list[str]:
    state = identity_repo.user_security(uow.session, user_id=user.id, now=uow.now)
    offered = []
    if state.totp_confirmed_at is not None:
        offered.append("totp")
    if policy.mfa.allow_email_codes:
        offered.append("email")
    if any(c.used_at is None for c in identity_repo.recovery_codes(uow.session, user_id=user.id)):
        offered.append("recovery_code")
    return offered


def _seed(uow: UnitOfWork, user: User, sealed: str) -> str:
    return uow.services.secret_box.open(sealed, context=f"totp:{user.id}")


def verify(uow: UnitOfWork, user: User, row: AuthToken, *, code: str | None, recovery_code: str | None,
           method: str, policy: SecurityPolicy) -> bool:
    """Whether the proof is good; a good one is used up (a TOTP step, an email code, a recovery code)."""
    state = identity_repo.user_security(uow.session, user_id=user.id, now=uow.now, lock=True)
    if method == "recovery_code":
        normal = codes.normal_recovery(recovery_code or "")
        if normal is None:
            raise Invalid("a recovery code looks like abcde-12345")
        wanted = codes.recovery_hash(normal)
        for stored in identity_repo.recovery_codes(uow.session, user_id=user.id):
            if stored.used_at is None and codes.same(stored.code_hash, wanted):
                stored.used_at = uow.now
                return True
        return False
    if code is None or not totp.well_formed(code):
        raise Invalid("a code is 6 digits")
    if method == "email":
        return policy.mfa.allow_email_codes and _use_email_code(uow, row, code)
    if method != "totp":
        raise Invalid("method is totp, email or recovery_code")
    if state.totp_secret is None or state.totp_confirmed_at is None:
        return False
    step = totp.matching_step(_seed(uow, user, state.totp_secret), code, uow.now, last_step=state.totp_last_step)
    if step is None:
        return False
    state.totp_last_step, state.updated_at = step, uow.now
    return True


def _use_email_code(uow: UnitOfWork, row: AuthToken, code: str) -> bool:
    for sent in identity_repo.email_codes(uow.session, token_id=row.id)[:1]:  # only the latest one counts
        if sent.used_at is not None or sent.expires_at <= uow.now or sent.attempts >= EMAIL_CODE_ATTEMPTS:
            return False
        sent.attempts += 1
        if codes.same(sent.code_hash, codes.email_hash(code)):
            sent.used_at = uow.now
            state = identity_repo.user_security(uow.session, user_id=row.user_id, now=uow.now)
            if state.totp_confirmed_at is None:
                state.mfa_email = True  # email chosen as the second factor
            return True
    return False


def send_email_code(uow: UnitOfWork, caller: Caller) -> None:
    who = authenticate(uow, caller, allow_steps=True)
    if who.session is None:
        raise Invalid("this is for a person's login session")
    if not security.user_policy(uow, who.user).mfa.allow_email_codes:
        raise Conflict("your organisation does not allow codes by email; use your authenticator app")
    verdict = uow.services.rate_limiter.hit(f"mfa-email:{who.user.id}", limit=EMAIL_CODES_PER_15MIN,
                                            window_seconds=900, now=uow.now)
    if not verdict.allowed:
        raise TooManyRequests(f"too many codes sent; try again in {verdict.retry_after} s",
                              retry_after=verdict.retry_after)
    code = codes.new_email_code()
    uow.session.add(EmailCode(id=new_id("emc"), user_id=who.user.id, token_id=who.session.id,
                              code_hash=codes.email_hash(code), created_at=uow.now,
                              expires_at=uow.now + timedelta(minutes=EMAIL_CODE_MINUTES), attempts=0))
    mail.enqueue(uow, to=who.user.email, kind="mfa_code", org_id=None, subject="Your caregate login code",
                 body=f"Your login code is {code}. It works once, for {EMAIL_CODE_MINUTES} minutes.\n\n"
                      "If you did not just try to log in, change your password.\n")
    uow.record("auth.mfa_email_sent", org_id=None, actor_user_id=who.user.id, detail={"session": who.session.id})


def start_totp(uow: UnitOfWork, caller: Caller) -> EnrolmentView:
    """A new TOTP seed, shown once with its QR code; it counts once a first code confirms it."""
    who = authenticate(uow, caller, allow_steps=True)
    row = who.session
    if row is None:
        raise Invalid("this is for a person's login session")
    state = identity_repo.user_security(uow.session, user_id=who.user.id, now=uow.now, lock=True)
    if state.totp_confirmed_at is not None:
        _require_recent_proof(uow, who.user, row)
    secret = totp.new_secret()
    # the new seed waits beside the working one: abandoning a re-enrolment must not switch 2FA off
    state.totp_pending = uow.services.secret_box.seal(secret, context=f"totp:{who.user.id}")
    state.updated_at = uow.now
    uri = totp.provisioning_uri(secret, account=who.user.email, issuer=ISSUER)
    return EnrolmentView(secret=secret, otpauth_uri=uri, qr_svg=totp.qr_svg(uri))


def confirm_totp(uow: UnitOfWork, caller: Caller, *, code: str) -> RecoveryCodesView:
    who = authenticate(uow, caller, allow_steps=True)
    row = who.session
    if row is None:
        raise Invalid("this is for a person's login session")
    if not totp.well_formed(code):
        raise Invalid("a code is 6 digits")
    state = identity_repo.user_security(uow.session, user_id=who.user.id, now=uow.now, lock=True)
    if state.totp_pending is None:
        raise Conflict("start enrolment first (POST /v1/auth/mfa/totp)")
    step = totp.matching_step(_seed(uow, who.user, state.totp_pending), code, uow.now, last_step=None)
    if step is None:
        raise Invalid("that code does not match; check the time on your phone and try the next code")
    state.totp_secret, state.totp_pending = state.totp_pending, None
    state.totp_confirmed_at, state.totp_last_step, state.updated_at = uow.now, step, uow.now
    row.mfa_at = uow.now
    recovery = _new_recovery_codes(uow, who.user)
    if row.status == "mfa_enrolment_required":
        row.status = next_step(uow, who.user, row)
    uow.record("auth.mfa_enrolled", org_id=None, actor_user_id=who.user.id, detail={"method": "totp"})
    return RecoveryCodesView(recovery_codes=recovery, status=row.status)


def _new_recovery_codes(uow: UnitOfWork, user: User) -> list[str]:
    plain = codes.new_recovery_codes()
    identity_repo.replace_recovery_codes(uow.session, user_id=user.id, rows=[
        RecoveryCode(id=new_id("rc"), user_id=user.id, code_hash=codes.recovery_hash(c), created_at=uow.now)
        for c in plain])
    return plain


def regenerate_recovery_codes(uow: UnitOfWork, caller: Caller) -> RecoveryCodesView:
    who = authenticate(uow, caller)
    assert who.session is not None
    _require_recent_proof(uow, who.user, who.session)
    state = identity_repo.user_security(uow.session, user_id=who.user.id, now=uow.now)
    if state.totp_confirmed_at is None and not state.mfa_email:
        raise Conflict("set up two-factor authentication first")
    uow.record("auth.mfa_recovery_codes_replaced", org_id=None, actor_user_id=who.user.id)
    return RecoveryCodesView(recovery_codes=_new_recovery_codes(uow, who.user), status=who.session.status)


def disable(uow: UnitOfWork, caller: Caller) -> None:
    """Turn 2FA off, unless one of the person's organisations requires it of their role."""
    who = authenticate(uow, caller)
    assert who.session is not None
    _require_recent_proof(uow, who.user, who.session)
    if security.mfa_required(uow, who.user):
        raise Conflict("an organisation you belong to requires two-factor authentication for your role")
    state = identity_repo.user_security(uow.session, user_id=who.user.id, now=uow.now, lock=True)
    state.totp_secret = state.totp_pending = state.totp_confirmed_at = state.totp_last_step = None
    state.mfa_email, state.updated_at = False, uow.now
    identity_repo.replace_recovery_codes(uow.session, user_id=who.user.id, rows=[])
    uow.record("auth.mfa_disabled", org_id=None, actor_user_id=who.user.id)


def _require_recent_proof(uow: UnitOfWork, user: User, row: AuthToken) -> None:
    """Changing one's second factor needs a recent proof, within the person's strictest re-auth window."""
    minutes = security.user_policy(uow, user).reauth_minutes
    proofs = [t for t in (row.authenticated_at, row.mfa_at) if t is not None]
    if not proofs or uow.now - max(proofs) > timedelta(minutes=minutes):
        raise ReauthenticationRequired("confirm it is you first (POST /v1/auth/reauthenticate)")


