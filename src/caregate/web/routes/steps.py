"""What a sign-in may still owe after the password: the 2FA code (authenticator, emailed code or a
recovery code), setting up 2FA when a role requires it, or a new password when the old one expired.

`/login/step` looks at the login session and shows the step it owes, or goes on to where the person
was going once there is none. Any console page hit with a step owed comes here (see `edge.to_step`).
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from caregate.service import account, auth, mfa, passwords
from caregate.service.account import AccountView
from caregate.service.errors import Conflict, Invalid, TooManyRequests, Unauthenticated
from caregate.web import security
from caregate.web.edge import WebRoute, caller_of, html, services_of
from caregate.web.templating import render, sentence

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Next = Annotated[str, Form(alias="next", max_length=500)]
Code = Annotated[str, Form(max_length=20)]
Password = Annotated[str, Form(max_length=1024)]
TEMPLATES = {"mfa_required": "steps/mfa.html", "mfa_enrolment_required": "steps/enrol.html",
             "password_change_required": "steps/password.html"}


def _state(request: Request) -> AccountView:
    caller = caller_of(request)
    if not caller.token:
        raise Unauthenticated("sign in first")
    with services_of(request).unit(caller.request) as uow:
        return account.state(uow, caller)


def _show(request: Request, template: str, status: int = 200, **values: object) -> Response:
    token = request.cookies.get(security.SESSION_COOKIE) or ""
    return html(render(template, csrf=security.csrf_token(token), **values), status)


def _step(request: Request, nxt: str, status: int = 200, **values: object) -> Response:
    """The page of the step owed now, or on to `nxt` when there is none."""
    me = _state(request)
    if me.status not in TEMPLATES:
        return RedirectResponse(nxt, status_code=303)
    context: dict[str, object] = {"error": None, "problems": [], "notice": None, "show": "", "enrolment": None,
                                  "action": "", **values}
    return _show(request, TEMPLATES[me.status], status, me=me, next=nxt, **context)


def after_step(nxt: str) -> str:
    return f"/login/step?next={quote(nxt, safe='')}" if nxt != "/" else "/login/step"


@router.get("/login/step")
def step(request: Request, next_: Annotated[str | None, Query(alias="next", max_length=500)] = None) -> Response:
    return _step(request, security.safe_next(next_))


@router.post("/login/step/verify")
def verify(request: Request, method: Annotated[Literal["totp", "email", "recovery_code"], Form()], next_: Next = "/",
           code: Code = "", recovery_code: Annotated[str, Form(max_length=40)] = "") -> Response:
    nxt = security.safe_next(next_)
    caller = caller_of(request)
    try:
        with services_of(request).unit(caller.request) as uow:
            auth.verify_second_factor(uow, caller, code=code.replace(" ", "") or None,
                                      recovery_code=recovery_code.strip() or None, method=method)
    except (Unauthenticated, Invalid) as exc:  # a wrong code; if the session itself ended, _step says so
        return _step(request, nxt, 401 if isinstance(exc, Unauthenticated) else 422, error=exc.detail, show=method)
    return RedirectResponse(after_step(nxt), status_code=303)


@router.post("/login/step/email")
def email_code(request: Request, next_: Next = "/") -> Response:
    nxt = security.safe_next(next_)
    caller = caller_of(request)
    try:
        with services_of(request).unit(caller.request) as uow:
            mfa.send_email_code(uow, caller)
    except (Conflict, TooManyRequests, Invalid) as exc:
        return _step(request, nxt, 429 if isinstance(exc, TooManyRequests) else 409, error=exc.detail)
    return _step(request, nxt, show="email",
                 notice=f"We emailed you a code. It works once, for {mfa.EMAIL_CODE_MINUTES} minutes.")


@router.post("/login/step/enrol")
def enrol(request: Request, next_: Next = "/") -> Response:
    """Set up an authenticator app: a new secret, shown once as a QR code and as text."""
    nxt = security.safe_next(next_)
    caller = caller_of(request)
    with services_of(request).unit(caller.request) as uow:
        enrolment = mfa.start_totp(uow, caller)
    return _step(request, nxt, enrolment=enrolment, action="/login/step/enrol/confirm")


@router.post("/login/step/enrol/confirm")
def confirm(request: Request, code: Code, secret: Annotated[str, Form(max_length=64)] = "",
            next_: Next = "/") -> Response:
    nxt = security.safe_next(next_)
    caller = caller_of(request)
    try:
        with services_of(request).unit(caller.request) as uow:
            result = mfa.confirm_totp(uow, caller, code=code.replace(" ", ""))
    except (Invalid, Conflict) as exc:
        with services_of(request).unit(caller.request) as uow:
            again = account.pending_enrolment(uow, caller, secret=secret)
        return _step(request, nxt, 422, error=exc.detail, enrolment=again, action="/login/step/enrol/confirm")
    return _show(request, "steps/codes.html", codes=result.recovery_codes, next=nxt,
                 continue_url="/login/step", public=True)


@router.post("/login/step/password")
def new_password(request: Request, current_password: Password, new_password: Password, confirm_password: Password,
                 next_: Next = "/") -> Response:
    """An expired password: choose a new one. The session is replaced by a fresh one."""
    nxt = security.safe_next(next_)
    if new_password != confirm_password:
        return _step(request, nxt, 422, problems=["The new password and its confirmation are not the same."])
    caller = caller_of(request)
    try:
        with services_of(request).unit(caller.request) as uow:
            opened = passwords.change(uow, caller, current_password=current_password, new_password=new_password)
            token = opened.token
    except Invalid as exc:
        return _step(request, nxt, 422, problems=password_problems(exc))
    except Unauthenticated as exc:
        return _step(request, nxt, 401, problems=[sentence(exc.detail)])
    return signed_in(request, token, after_step(nxt))


def password_problems(exc: Invalid) -> list[str]:
    """A refused password: what to do, then every rule it broke."""
    if exc.problems == [exc.detail]:
        return [sentence(exc.detail)]
    return [exc.detail.partition(":")[0].capitalize() + ":", *exc.problems]


def signed_in(request: Request, token: str, url: str) -> Response:
    """Put a (new) login session in the cookie and go on."""
    settings = services_of(request).settings
    response = RedirectResponse(url, status_code=303)
    security.set_session_cookie(response, token, max_age=settings.token_ttl_minutes * 60,
                                secure=settings.cookie_secure)
    response.delete_cookie(security.PRE_COOKIE, path="/")
    return response
