"""My account (from the user menu): change my password, two-step verification (set up with a QR code,
new recovery codes, turn off when no organisation requires it), my sessions and devices, remote logout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from starlette.responses import RedirectResponse, Response

from caregate.service import account, auth, mfa, passwords
from caregate.service.errors import Invalid, Unauthenticated
from caregate.web import security
from caregate.web.edge import Page, WebRoute, done, page, services_of, with_flash
from caregate.web.routes.steps import password_problems
from caregate.web.templating import sentence

router = APIRouter(route_class=WebRoute, include_in_schema=False)
OrgId = Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_]+$")]
SessionId = Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_]+$")]
Password = Annotated[str, Form(max_length=1024)]


def _account_page(p: Page, status: int = 200, problems: list[str] | None = None) -> Response:
    return p.render("account/index.html", status, acct=account.state(p.uow, p.caller),
                    sessions=auth.my_sessions(p.uow, p.caller), problems=problems or [])


@router.get("/o/{org_id}/account")
def account_page(request: Request, org_id: OrgId) -> Response:
    with page(request, org_id, "account") as p:
        return _account_page(p)


@router.post("/o/{org_id}/account/password")
def change_password(request: Request, org_id: OrgId, current_password: Password, new_password: Password,
                    confirm_password: Password) -> Response:
    problems: list[str] = []
    if new_password != confirm_password:
        problems = ["The new password and its confirmation are not the same."]
    else:
        try:
            with page(request, org_id, "account") as p:
                token = passwords.change(p.uow, p.caller, current_password=current_password,
                                         new_password=new_password).token
            return _signed_in_again(request, org_id, token)
        except Invalid as exc:
            problems = password_problems(exc)
        except Unauthenticated as exc:  # the current password; if the session ended, the page below says so
            problems = [sentence(exc.detail)]
    with page(request, org_id, "account") as p:
        return _account_page(p, 422, problems)


def _signed_in_again(request: Request, org_id: str, token: str) -> Response:
    """A new password ends every session: this browser carries on with the fresh one it was given."""
    settings = services_of(request).settings
    response = RedirectResponse(f"/o/{org_id}/account", status_code=303)
    security.set_session_cookie(response, token, max_age=settings.token_ttl_minutes * 60,
                                secure=settings.cookie_secure)
    return with_flash(request, response, "Your password is changed. Every other session was signed out.",
                      token=token)


# --- two-step verification ------------------------------------------------------------------------

@router.post("/o/{org_id}/account/mfa/totp")
def start_totp(request: Request, org_id: OrgId) -> Response:
    with page(request, org_id, "account") as p:
        enrolment = mfa.start_totp(p.uow, p.caller)
        return p.render("account/enrol.html", enrolment=enrolment, error=None)


@router.post("/o/{org_id}/account/mfa/totp/confirm")
def confirm_totp(request: Request, org_id: OrgId, code: Annotated[str, Form(max_length=20)],
                 secret: Annotated[str, Form(max_length=64)] = "") -> Response:
    try:
        with page(request, org_id, "account") as p:
            result = mfa.confirm_totp(p.uow, p.caller, code=code.replace(" ", ""))
            return p.render("steps/codes.html", codes=result.recovery_codes, public=False, next="/",
                            continue_url=f"/o/{org_id}/account", intro="Two-step verification is on.")
    except Invalid as exc:
        with page(request, org_id, "account") as p:
            again = account.pending_enrolment(p.uow, p.caller, secret=secret)
            return p.render("account/enrol.html", 422, enrolment=again, error=exc.detail)


@router.post("/o/{org_id}/account/mfa/recovery-codes")
def new_recovery_codes(request: Request, org_id: OrgId) -> Response:
    with page(request, org_id, "account") as p:
        result = mfa.regenerate_recovery_codes(p.uow, p.caller)
        return p.render("steps/codes.html", codes=result.recovery_codes, public=False, next="/",
                        continue_url=f"/o/{org_id}/account",
                        intro="Your new recovery codes are ready; the old ones no longer work.")


@router.get("/o/{org_id}/account/mfa/disable")
def disable_form(request: Request, org_id: OrgId) -> Response:
    with page(request, org_id, "account") as p:
        template = "account/_disable.html" if p.fragment else "account/disable_page.html"
        return p.render(template, acct=account.state(p.uow, p.caller))


@router.post("/o/{org_id}/account/mfa/disable")
def disable(request: Request, org_id: OrgId) -> Response:
    with page(request, org_id, "account") as p:
        mfa.disable(p.uow, p.caller)
    return done(request, f"/o/{org_id}/account#mfa", "Two-step verification is off. Your recovery codes no "
                "longer work.")


# --- sessions ---------------------------------------------------------------------------------------

@router.post("/o/{org_id}/account/sessions/{session_id}/end")
def end_session(request: Request, org_id: OrgId, session_id: SessionId) -> Response:
    with page(request, org_id, "account") as p:
        ended = next((s for s in auth.my_sessions(p.uow, p.caller) if s.id == session_id), None)
        auth.end_my_session(p.uow, p.caller, session_id=session_id)
    what = f"{ended.device}{f' ({ended.ip})' if ended.ip else ''}" if ended else "that device"
    return done(request, f"/o/{org_id}/account#sessions", f"Signed out on {what}.")


@router.post("/o/{org_id}/account/logout-everywhere")
def logout_everywhere(request: Request, org_id: OrgId) -> Response:
    with page(request, org_id, "account") as p:
        auth.logout_everywhere(p.uow, p.caller)
    response = RedirectResponse("/login?done=everywhere", status_code=303)
    security.clear_session_cookie(response, secure=services_of(request).settings.cookie_secure)
    return response
