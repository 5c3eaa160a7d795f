"""Login, 2FA, sessions, passwords: the person's own account."""

from __future__ import annotations

from fastapi import APIRouter, status

from caregate.api.deps import CallerDep, Svc, run_public
from caregate.api.schemas import (
    CodeIn,
    ForgotIn,
    LoginIn,
    MfaVerifyIn,
    PasswordChangeIn,
    ReauthIn,
    ResetIn,
)
from caregate.service import auth, mfa, passwords
from caregate.service.auth import LoginView
from caregate.service.mfa import EnrolmentView, RecoveryCodesView
from caregate.service.sessions import SessionView
from caregate.service.views import MeView

router = APIRouter(tags=["authentication"])


@router.post("/auth/login", response_model=LoginView,
             summary="Log in with email and password; the answer says which step (if any) is still owed")
def login(body: LoginIn, svc: Svc, caller: CallerDep) -> LoginView:
    return auth.attempt_login(svc, caller.request, email=body.email, password=body.password)


@router.post("/auth/mfa/verify", response_model=LoginView, summary="Complete the 2FA step")
def verify(body: MfaVerifyIn, svc: Svc, caller: CallerDep) -> LoginView:
    return run_public(svc, caller, auth.verify_second_factor, caller=caller, code=body.code,
                      recovery_code=body.recovery_code, method=body.method)


@router.post("/auth/mfa/email", status_code=status.HTTP_202_ACCEPTED, summary="Email a one-time login code")
def email_code(svc: Svc, caller: CallerDep) -> dict[str, str]:
    run_public(svc, caller, mfa.send_email_code, caller=caller)
    return {"status": "sent"}


@router.post("/auth/mfa/totp", response_model=EnrolmentView,
             summary="Start TOTP enrolment: the secret, otpauth URI and QR code (shown once)")
def start_totp(svc: Svc, caller: CallerDep) -> EnrolmentView:
    return run_public(svc, caller, mfa.start_totp, caller=caller)


@router.post("/auth/mfa/totp/confirm", response_model=RecoveryCodesView,
             summary="Confirm TOTP with a first code; returns ten recovery codes (shown once)")
def confirm_totp(body: CodeIn, svc: Svc, caller: CallerDep) -> RecoveryCodesView:
    return run_public(svc, caller, mfa.confirm_totp, caller=caller, code=body.code)


@router.post("/auth/mfa/recovery-codes", response_model=RecoveryCodesView, summary="Replace the recovery codes")
def recovery_codes(svc: Svc, caller: CallerDep) -> RecoveryCodesView:
    return run_public(svc, caller, mfa.regenerate_recovery_codes, caller=caller)


@router.delete("/auth/mfa", status_code=status.HTTP_204_NO_CONTENT, summary="Turn 2FA off (when not required)")
def disable_mfa(svc: Svc, caller: CallerDep) -> None:
    run_public(svc, caller, mfa.disable, caller=caller)


@router.post("/auth/reauthenticate", response_model=LoginView,
             summary="Confirm it is you (password or TOTP code) before a sensitive operation")
def reauthenticate(body: ReauthIn, svc: Svc, caller: CallerDep) -> LoginView:
    return run_public(svc, caller, auth.reauthenticate, caller=caller, password=body.password, code=body.code)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, summary="End this login session")
def logout(svc: Svc, caller: CallerDep) -> None:
    run_public(svc, caller, auth.logout, caller=caller)


@router.post("/auth/logout-everywhere", summary="End every session of mine, this one included")
def logout_everywhere(svc: Svc, caller: CallerDep) -> dict[str, int]:
    return {"ended": run_public(svc, caller, auth.logout_everywhere, caller=caller)}


@router.get("/auth/sessions", response_model=list[SessionView], summary="My sessions and devices")
def my_sessions(svc: Svc, caller: CallerDep) -> list[SessionView]:
    return run_public(svc, caller, auth.my_sessions, caller=caller)


@router.delete("/auth/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Log out one of my sessions (another device)")
def end_session(session_id: str, svc: Svc, caller: CallerDep) -> None:
    run_public(svc, caller, auth.end_my_session, caller=caller, session_id=session_id)


@router.post("/auth/password", response_model=LoginView,
             summary="Change my password (ends every session; returns a fresh one)")
def change_password(body: PasswordChangeIn, svc: Svc, caller: CallerDep) -> LoginView:
    with svc.unit(caller.request) as uow:
        opened = passwords.change(uow, caller, current_password=body.current_password,
                                  new_password=body.new_password)
        return LoginView(token=opened.token, status=opened.row.status, expires_at=opened.row.expires_at,
                         user_id=opened.row.user_id)


@router.post("/auth/password/forgot", status_code=status.HTTP_202_ACCEPTED,
             summary="Email a reset link (the answer is the same whether or not the address is known)")
def forgot(body: ForgotIn, svc: Svc, caller: CallerDep) -> dict[str, str]:
    run_public(svc, caller, passwords.forgot, email=body.email)
    return {"status": "if the address belongs to an account, a reset link is on its way"}


@router.post("/auth/password/reset", status_code=status.HTTP_204_NO_CONTENT,
             summary="Set a new password from a reset link")
def reset(body: ResetIn, svc: Svc, caller: CallerDep) -> None:
    run_public(svc, caller, passwords.reset, token=body.token, new_password=body.new_password)


@router.get("/me", response_model=MeView, summary="The logged-in user and their organisations")
def me(svc: Svc, caller: CallerDep) -> MeView:
    return run_public(svc, caller, auth.me, caller=caller)
