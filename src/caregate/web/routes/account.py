"""Signing in and out, accepting an invitation, and the start page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from caregate.service import auth, invitations, passwords
from caregate.service.errors import Invalid, Unauthenticated
from caregate.web import security
from caregate.web.edge import WebRoute, caller_of, html, services_of, to_login
from caregate.web.routes.steps import after_step, password_problems, signed_in
from caregate.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Email = Annotated[str, Form(max_length=320)]
Password = Annotated[str, Form(max_length=1024)]


def _public_page(request: Request, template: str, status: int = 200, **values: object) -> Response:
    """A page shown before login, with its own double-submit CSRF token."""
    token = request.cookies.get(security.PRE_COOKIE) or security.new_pre_token()
    response = html(render(template, csrf=token, **values), status)
    security.set_pre_cookie(response, token, secure=services_of(request).settings.cookie_secure)
    return response


@router.get("/")
def index(request: Request) -> Response:
    """Go to the team page of the first organisation; sign in first if needed."""
    caller = caller_of(request)
    if not caller.token:
        return RedirectResponse("/login", status_code=303)
    with services_of(request).unit(caller.request, write=False) as uow:
        me = auth.me(uow, caller)
    if not me.organisations:
        return html(render("no_org.html", me=me, csrf=security.csrf_token(caller.token)))
    return RedirectResponse(f"/o/{me.organisations[0].id}/team", status_code=303)


NOTICES = {"reset": "Your new password is set, and every session that used the old one has ended. Sign in with it.",
           "everywhere": "You are signed out everywhere: on this device and on every other one."}


@router.get("/login")
def login_page(request: Request, next_: Annotated[str | None, Query(alias="next", max_length=500)] = None,
               done: Annotated[str, Query(max_length=20)] = "") -> Response:
    return _public_page(request, "login.html", next=security.safe_next(next_), email="", error=None,
                        notice=NOTICES.get(done))


@router.post("/login")
def login(request: Request, email: Email, password: Password,
          next_: Annotated[str, Form(alias="next", max_length=500)] = "/") -> Response:
    caller = caller_of(request)
    try:
        view = auth.attempt_login(services_of(request), caller.request, email=email, password=password)
    except Unauthenticated as exc:
        return _public_page(request, "login.html", 401, next=security.safe_next(next_), email=email,
                            error=exc.detail, notice=None)
    nxt = security.safe_next(next_)
    # a step still owed (2FA, enrolment, a new password) comes first; /login/step knows which
    return signed_in(request, view.token, nxt if view.status == "active" else after_step(nxt))


@router.post("/logout")
def logout(request: Request) -> Response:
    caller = caller_of(request)
    if caller.token:
        try:
            with services_of(request).unit(caller.request) as uow:
                auth.logout(uow, caller)
        except Unauthenticated:
            pass  # already over; clear the cookie all the same
    return to_login(request)


@router.get("/accept")
def accept_page(request: Request, token: Annotated[str, Query(max_length=300)] = "") -> Response:
    return _public_page(request, "accept.html", token=token, problems=[], name="")


@router.post("/accept")
def accept(request: Request, token: Annotated[str, Form(max_length=300)], password: Password,
           name: Annotated[str, Form(max_length=120)] = "") -> Response:
    caller = caller_of(request)
    try:
        with services_of(request).unit(caller.request) as uow:
            member, user = invitations.accept(uow, token=token, password=password, name=name or None)
            login = auth.issue_login(uow, user)
            org_id = member.org_id
    except Invalid as exc:
        return _public_page(request, "accept.html", 422, token=token, name=name,
                            problems=[exc.detail] + [p for p in exc.problems if p != exc.detail])
    home = f"/o/{org_id}/team"
    return signed_in(request, login.token, home if login.status == "active" else after_step(home))


# --- forgotten password --------------------------------------------------------------------------------

FORGOT_SENT = ("If {email} belongs to a caregate account, a link to set a new password is on its way. It works "
               "once, for a limited time. No email? Check the address and your spam folder, or ask your practice "
               "manager to send you a link.")


@router.get("/forgot")
def forgot_page(request: Request) -> Response:
    return _public_page(request, "forgot.html", email="", sent=None)


@router.post("/forgot")
def forgot(request: Request, email: Email) -> Response:
    """The same answer whether or not the address is known: the page must not tell who has an account."""
    caller = caller_of(request)
    with services_of(request).unit(caller.request) as uow:
        passwords.forgot(uow, email=email)
    return _public_page(request, "forgot.html", email=email, sent=FORGOT_SENT.format(email=email.strip()))


@router.get("/reset")
def reset_page(request: Request, token: Annotated[str, Query(max_length=300)] = "") -> Response:
    return _public_page(request, "reset.html", token=token, problems=[])


@router.post("/reset")
def reset(request: Request, token: Annotated[str, Form(max_length=300)], new_password: Password,
          confirm_password: Password) -> Response:
    if new_password != confirm_password:
        return _public_page(request, "reset.html", 422, token=token,
                            problems=["The new password and its confirmation are not the same."])
    caller = caller_of(request)
    try:
        with services_of(request).unit(caller.request) as uow:
            passwords.reset(uow, token=token, new_password=new_password)
    except Invalid as exc:
        return _public_page(request, "reset.html", 422, token=token, problems=password_problems(exc))
    response = RedirectResponse("/login?done=reset", status_code=303)
    security.clear_session_cookie(response, secure=services_of(request).settings.cookie_secure)
    return response
