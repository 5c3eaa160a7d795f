"""Confirm it is you: the prompt a sensitive action answers with when the last proof is too old.

The interrupted form is carried through the prompt (as hidden fields, never its CSRF token) and, once
the password or code is accepted, offered back as one "Continue" button that sends it again to where
it was going, with the same values. Nothing is replayed without the person pressing it: they see what
happens next, and a form whose page moved on in the meantime is not sent behind their back.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from caregate.service import account, auth
from caregate.service.errors import Invalid, ReauthenticationRequired, Unauthenticated
from caregate.web import security
from caregate.web.edge import MAX_CARRIED, WebRoute, error_page, page

router = APIRouter(route_class=WebRoute, include_in_schema=False)
OrgId = Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_]+$")]
CARRY = "carry:"
_ORG_PATH = re.compile(r"^/o/([A-Za-z0-9_]{3,40})/")
# what the interrupted action was, in words, by where it was going
_WHAT = ((re.compile(r"/team/[^/]+/edit$"), "change this member's roles, teams or locations"),
         (re.compile(r"/settings/security$"), "change the security policy"),
         (re.compile(r"/api-keys/new$"), "create a service account"),
         (re.compile(r"/keys/new$"), "create an API key"),
         (re.compile(r"/rotate$"), "rotate this API key"),
         (re.compile(r"/revoke$"), "revoke this API key"),
         (re.compile(r"/account/mfa/recovery-codes$"), "make new recovery codes"),
         (re.compile(r"/account/mfa/disable$"), "turn off two-factor authentication"),
         (re.compile(r"/account/mfa"), "change your two-factor authentication"),
         (re.compile(r"/audit/export(\?|$)"), "export the audit log"))
SECTIONS = {"team": "team", "settings": "settings", "api-keys": "api-keys", "account": "account", "audit": "audit"}
BACK = {"team": "team", "settings": "settings/security", "api-keys": "api-keys", "account": "account",
        "audit": "audit"}


def describe(path: str) -> str:
    return next((text for pattern, text in _WHAT if pattern.search(path)), "do this")


def _section(path: str) -> str:
    parts = path.split("/")
    return SECTIONS.get(parts[3], "") if len(parts) > 3 else ""


def _back(org_id: str, path: str) -> str:
    """Where Cancel goes: the page of the section the action belongs to."""
    return f"/o/{org_id}/{BACK.get(_section(path), 'team')}"


def _render(request: Request, org_id: str, *, return_to: str, method: str, carried: list[tuple[str, str]],
            status: int, error: str | None, detail: str) -> Response:
    with page(request, org_id, _section(return_to)) as p:
        me = account.state(p.uow, p.caller)
        template = "reauth/_prompt.html" if p.fragment else "reauth/prompt.html"
        response = p.render(template, status, return_to=return_to, method=method, carried=carried, error=error,
                            detail=detail, what=describe(return_to), totp=me.totp, carry=CARRY,
                            back=_back(org_id, return_to))
    if p.fragment:  # an action sent from a dialog: ask in the dialog
        response.headers["HX-Retarget"] = "#dialog-body"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


def prompt(request: Request, exc: ReauthenticationRequired, carried: list[tuple[str, str]]) -> Response:
    """Answer an action refused for want of a recent proof with the prompt (called by the edge)."""
    path = request.url.path
    match = _ORG_PATH.match(path)
    if match is None:
        return error_page(request, 401, "Confirm it is you", exc.detail)
    return_to = path + (f"?{request.url.query}" if request.method == "GET" and request.url.query else "")
    return _render(request, match.group(1), return_to=return_to, method="get" if request.method == "GET" else "post",
                   carried=carried, status=401, error=None, detail=exc.detail)


async def form_data(request: Request) -> FormData:
    return await request.form(max_fields=MAX_CARRIED + 20)


Form = Annotated[FormData, Depends(form_data)]


@router.post("/o/{org_id}/reauth")
def reauthenticate(request: Request, org_id: OrgId, form: Form) -> Response:
    return_to = security.safe_next(str(form.get("return_to", ""))[:500])
    if not return_to.startswith(f"/o/{org_id}/"):
        return_to = f"/o/{org_id}/team"
    method = "get" if form.get("method") == "get" else "post"
    carried = [(k[len(CARRY):], v) for k, v in form.multi_items() if k.startswith(CARRY) and isinstance(v, str)]
    password, code = str(form.get("password", ""))[:1024], str(form.get("code", "")).replace(" ", "")[:20]
    if not password and not code:
        return _render(request, org_id, return_to=return_to, method=method, carried=carried, status=422,
                       error="Enter your password, or a code from your authenticator app.", detail="")
    try:
        with page(request, org_id, _section(return_to)) as p:
            auth.reauthenticate(p.uow, p.caller, password=password or None, code=code or None)
    except (Unauthenticated, Invalid) as exc:
        return _render(request, org_id, return_to=return_to, method=method, carried=carried, status=401,
                       error=exc.detail, detail="")
    with page(request, org_id, _section(return_to)) as p:
        return p.render("reauth/done.html", return_to=return_to, method=method, carried=carried,
                        what=describe(return_to), back=_back(org_id, return_to))
