"""The console's edge: the caller from the cookie, CSRF on every change, and errors as pages.

Like the API, the console resolves the caller once into the service layer's `Caller` and calls the
same use cases; it holds no access rule. What a page leaves out, it left out because the engine said
the actor may not do it (see `service.abilities`); the use case refuses anyway if asked.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import structlog
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, RedirectResponse, Response

from caregate.service import abilities, auth
from caregate.service.abilities import NavAbilities
from caregate.service.actors import Actor, load_actor
from caregate.service.clinical import sharing
from caregate.service.context import Caller, RequestInfo, Services, UnitOfWork
from caregate.service.errors import (
    Busy,
    ConfirmationRequired,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    ReauthenticationRequired,
    ServiceError,
    StepRequired,
    TooManyRequests,
    Unauthenticated,
)
from caregate.service.views import MeView, OrgView
from caregate.web import security
from caregate.web.access_request_offers import AccessRequestOffers, access_request_offers
from caregate.web.emergency_offers import EmergencyOffers, emergency_offers
from caregate.web.templating import render

log = structlog.get_logger("caregate.web")
ERROR_STATUS = {NotFound: 404, Forbidden: 403, Invalid: 422, Conflict: 409, ConfirmationRequired: 409,
                TooManyRequests: 429, Busy: 503}
MAX_CARRIED = 1000  # form fields a re-authentication carries back to the action it interrupted
ClientIp = Callable[[Request, list[str]], str | None]


def services_of(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


def caller_of(request: Request) -> Caller:
    services = services_of(request)
    resolve: ClientIp = request.app.state.console_client_ip
    info = RequestInfo(ip=resolve(request, services.settings.trusted_proxies),
                       user_agent=request.headers.get("user-agent", "")[:300] or None,
                       request_id=getattr(request.state, "request_id", None), channel="console")
    return Caller(token=request.cookies.get(security.SESSION_COOKIE) or None, request=info)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-history-restore-request") != "true"


def redirect(request: Request, url: str) -> Response:
    """After a change: a full navigation, also when the change was posted by htmx."""
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status)


@dataclass
class Page:
    """One console request: the actor in one organisation, inside one unit of work, and what to render."""

    request: Request
    uow: UnitOfWork
    caller: Caller
    actor: Actor
    me: MeView
    org: OrgView
    nav: NavAbilities
    csrf: str
    flash: str | None
    section: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    unread: int = 0  # the actor's unread notifications, for the bell in the header
    emergency: EmergencyOffers = field(default_factory=EmergencyOffers)  # what to offer of break-glass
    access_requests: AccessRequestOffers = field(default_factory=AccessRequestOffers)  # of just-in-time access

    @property
    def fragment(self) -> bool:
        return is_htmx(self.request)

    def context(self, **values: Any) -> dict[str, Any]:
        return {"page": self, "me": self.me, "org": self.org, "nav": self.nav, "csrf": self.csrf,
                "flash": self.flash, "section": self.section, "path": self.request.url.path,
                "hl": 2 if self.fragment else 1, **values}

    def render(self, template: str, status_code: int = 200, /, **values: Any) -> HTMLResponse:
        response = html(render(template, **self.context(**values)), status_code)
        if self.flash is not None:
            response.delete_cookie(security.FLASH_COOKIE, path="/")
        return response


@contextmanager
def page(request: Request, org_id: str, section: str = "") -> Iterator[Page]:
    """Authenticate the cookie, resolve the actor in `org_id`, and what the navigation may offer."""
    caller = caller_of(request)
    with services_of(request).unit(caller.request) as uow:
        me = auth.me(uow, caller)
        actor = load_actor(uow, caller, org_id)
        org = next((o for o in me.organisations if o.id == org_id), None)
        if org is None:
            raise NotFound(f"organisation {org_id} not found")
        token = caller.token or ""
        flash = security.read_flash(token, request.cookies.get(security.FLASH_COOKIE))
        yield Page(request, uow, caller, actor, me, org, abilities.nav(uow, actor), security.csrf_token(token),
                   flash, section, unread=sharing.unread(uow, actor), emergency=emergency_offers(uow, actor),
                   access_requests=access_request_offers(uow, actor))


def with_flash(request: Request, response: Response, message: str, *, token: str | None = None) -> Response:
    """Carry a message to the next page, signed with the login session's token (a new one if given)."""
    token = token or request.cookies.get(security.SESSION_COOKIE)
    if token:
        response.set_cookie(security.FLASH_COOKIE, security.sign_flash(token, message), max_age=120, path="/",
                            httponly=True, samesite="lax", secure=services_of(request).settings.cookie_secure)
    return response


def done(request: Request, url: str, message: str) -> Response:
    """Redirect after a change, carrying a one-line confirmation for the next page."""
    return with_flash(request, redirect(request, url), message)


def error_page(request: Request, status: int, title: str, detail: str, problems: list[str] | None = None) -> Response:
    body = render("_error.html" if is_htmx(request) else "error.html", title=title, detail=detail,
                  problems=problems or [], status=status, signed_in=bool(request.cookies.get(security.SESSION_COOKIE)))
    response = html(body, status)
    if is_htmx(request):
        # show the refusal where htmx was going to put the answer (a dialog, a table ...)
        target = request.headers.get("hx-target") or "dialog-body"
        response.headers["HX-Retarget"] = f"#{target}"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


def _service_error(request: Request, exc: ServiceError) -> Response:
    if isinstance(exc, StepRequired):
        return to_step(request)
    if isinstance(exc, Unauthenticated):
        return to_login(request)
    status = next((code for cls, code in ERROR_STATUS.items() if isinstance(exc, cls)), 400)
    problems = exc.problems if isinstance(exc, Invalid) and exc.problems != [exc.detail] else []
    titles = {404: "Not found", 403: "Not allowed", 409: "Not possible right now", 422: "Please check",
              429: "Too many attempts", 503: "Busy, try again"}
    response = error_page(request, status, titles.get(status, "Something is not right"), exc.detail, problems)
    if isinstance(exc, TooManyRequests | Busy):
        response.headers["retry-after"] = str(exc.retry_after)
    return response


def _current(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def to_step(request: Request) -> Response:
    """The login still owes a step (2FA, enrolment, a new password): go there, keeping the session."""
    target = _current(request) if request.method == "GET" else "/"
    url = "/login/step" if target == "/" else f"/login/step?next={quote(target, safe='')}"
    return redirect(request, url) if is_htmx(request) else RedirectResponse(url, status_code=303)


async def _carried(request: Request) -> list[tuple[str, str]]:
    """What the interrupted form sent (never its CSRF token), to send again once the person is confirmed."""
    if request.method not in security.UNSAFE_METHODS or not request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        return []
    form = await request.form()
    return [(k, v) for k, v in form.multi_items() if k != security.CSRF_FIELD and isinstance(v, str)][:MAX_CARRIED]


async def _reauthentication(request: Request, exc: ReauthenticationRequired) -> Response:
    from caregate.web.routes import reauth  # the prompt is a page, and pages are built on this module

    carried = await _carried(request)
    try:
        response: Response = await run_in_threadpool(reauth.prompt, request, exc, carried)
    except ServiceError as again:  # e.g. the session ended meanwhile
        return _service_error(request, again)
    return response


def to_login(request: Request) -> Response:
    target = _current(request)
    url = "/login" if target == "/" or request.method != "GET" else f"/login?next={quote(target, safe='')}"
    response = redirect(request, url) if is_htmx(request) else RedirectResponse(url, status_code=303)
    security.clear_session_cookie(response, secure=services_of(request).settings.cookie_secure)
    return response


async def _csrf_refusal(request: Request) -> Response | None:
    if request.method not in security.UNSAFE_METHODS:
        return None
    services = services_of(request)
    if not security.origin_ok(request, services.settings.public_url):
        return error_page(request, 403, "Request refused", "This form was sent from another site. Go back to "
                          "caregate and try again.")
    submitted = request.headers.get(security.CSRF_HEADER)
    if not submitted and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(security.CSRF_FIELD)
        submitted = value if isinstance(value, str) else None
    if not security.csrf_ok(request, submitted):
        return error_page(request, 403, "Request refused", "This form has expired or did not come from this page. "
                          "Reload the page and try again.")
    return None


async def _answer(request: Request, original: Callable[[Request], Coroutine[Any, Any, Response]]) -> Response:
    try:
        return await original(request)
    except ReauthenticationRequired as exc:
        interrupted = exc  # answered below, outside this handler: the prompt reads the database
    except ServiceError as exc:
        return _service_error(request, exc)
    except RequestValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg')}" for e in exc.errors()][:20]
        return error_page(request, 422, "Please check", "Some of what was sent is not valid.", problems)
    except HTTPException as exc:
        return error_page(request, exc.status_code, "Not possible", str(exc.detail))
    return await _reauthentication(request, interrupted)


class WebRoute(APIRoute):
    """A console route: CSRF-checked, its errors rendered as pages, its responses given the page headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            response = await _csrf_refusal(request)
            if response is None:
                try:
                    response = await _answer(request, original)
                except Exception:  # a page, not a stack trace; the log has the details
                    log.exception("console error", path=request.url.path)
                    response = error_page(request, 500, "Something went wrong",
                                          "Something went wrong on our side; nothing was changed. Try again, and "
                                          "quote the request id if it happens again.")
            for name, value in security.PAGE_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return handler
