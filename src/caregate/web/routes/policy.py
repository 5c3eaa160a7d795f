"""Settings > Security policy: passwords, lockout, 2FA per role, session limits, re-authentication and
IP allowlists, on one form. The service validates it; every problem is listed with the form's labels."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from caregate.identity.policy import SecurityPolicy
from caregate.service import abilities, security
from caregate.service.errors import Invalid
from caregate.web.edge import Page, WebRoute, done, page
from caregate.web.policy_form import BINDINGS, changes_from, readable, values_from, values_of
from caregate.web.templating import sentence

router = APIRouter(route_class=WebRoute, include_in_schema=False)
OrgId = Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_]+$")]
LOCKOUT = "would lock you out"


async def form_data(request: Request) -> FormData:
    return await request.form(max_fields=1000)


Form = Annotated[FormData, Depends(form_data)]


def _render(p: Page, values: dict[str, Any], *, status: int = 200, problems: list[str] | None = None,
            lockout: str | None = None) -> Response:
    labels = dict(abilities.role_labels(p.uow, p.actor))
    return p.render("security.html", status, values=values, labels=labels, bindings=BINDINGS,
                    problems=problems or [], lockout=lockout, my_ip=p.caller.request.ip or "unknown")


@router.get("/o/{org_id}/settings/security")
def policy_page(request: Request, org_id: OrgId) -> Response:
    with page(request, org_id, "settings") as p:
        return _render(p, values_of(security.get_policy(p.uow, p.actor)))


@router.post("/o/{org_id}/settings/security")
def save(request: Request, org_id: OrgId, form: Form) -> Response:
    with page(request, org_id, "settings") as p:
        roles = list(abilities.role_labels(p.uow, p.actor))
    values = values_from(form, roles)
    try:
        with page(request, org_id, "settings") as p:
            after: SecurityPolicy = security.update_policy(p.uow, p.actor, changes=changes_from(values))
    except Invalid as exc:
        with page(request, org_id, "settings") as p:
            labels = abilities.role_labels(p.uow, p.actor)
            if LOCKOUT in exc.detail:
                return _render(p, values, status=422, lockout=sentence(exc.detail))
            found = [readable(x, labels) for x in exc.problems]
            heading = "The security policy was not saved. Please check:" if exc.problems != [exc.detail] else \
                "The security policy was not saved:"
            return _render(p, values, status=422, problems=[heading, *found])
    required = len(after.mfa.required_roles)
    return done(request, f"/o/{org_id}/settings/security",
                f"The security policy is saved; it applies from everyone's next request"
                f"{f' (2FA required for {required} role' + ('s' if required != 1 else '') + ')' if required else ''}.")
