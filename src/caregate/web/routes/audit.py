"""Audit: the organisation's events with filters and older pages, the chain's verification, exports
(after a fresh sign-in, through the console's re-authentication), and the alerts with their acknowledgement.

Every read here goes through the audit use cases, which decide and record it (a search is itself an
audit event); the page offers export and acknowledgement only where the engine would allow them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from caregate.service import audit, audit_export, members
from caregate.service.errors import Invalid
from caregate.web import audit_filter
from caregate.web.audit_filter import AuditQuery
from caregate.web.edge import Page, WebRoute, done, page

router = APIRouter(route_class=WebRoute, include_in_schema=False)
OrgId = Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_]+$")]
Id = Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_]+$")]
PAGE_SIZE = 50
MEMBERS_LISTED = 500  # the member filter's choices; beyond that, the id from the URL still filters
FORMATS = (("csv", "CSV"), ("jsonl", "JSON Lines"), ("fhir", "FHIR AuditEvent"))


async def form_data(request: Request) -> FormData:
    return await request.form(max_fields=10)


Form = Annotated[FormData, Depends(form_data)]


def _names(p: Page) -> dict[str, str]:
    """Members by id, as the page names them (empty when the actor may not list members)."""
    if not p.nav.members:
        return {}
    found = members.page(p.uow, p.actor, limit=MEMBERS_LISTED).items
    return {m.id: m.name or m.email for m in sorted(found, key=lambda m: (m.name or m.email).lower())}


def _results(p: Page, q: AuditQuery) -> dict[str, Any]:
    """The page of events the filter asks for, or the filter's problems and no events."""
    if not q.problems:
        try:
            found = audit.search(p.uow, p.actor, filters=q.filters, after=q.after, limit=PAGE_SIZE)
            return {"events": found.items, "total": found.total, "next_cursor": found.next_cursor}
        except Invalid as exc:
            q.problems.extend(exc.problems)
    return {"events": [], "total": 0, "next_cursor": None}


@router.get("/o/{org_id}/audit")
def events(request: Request, org_id: OrgId) -> Response:
    q = audit_filter.parse(request.query_params)
    with page(request, org_id, "audit") as p:
        found = _results(p, q)  # first: a member who may not read the log is refused before anything else
        values = {"q": q, "names": _names(p), "formats": FORMATS, **found}
        status = 422 if q.problems else 200
        if p.fragment and request.headers.get("hx-target") == "audit-results":
            return p.render("audit/_results.html", status, **values)
        return p.render("audit/events.html", status, **values)


@router.get("/o/{org_id}/audit/verify")
def verify(request: Request, org_id: OrgId) -> Response:
    with page(request, org_id, "audit") as p:
        report = audit.verify(p.uow, p.actor)
        return p.render("audit/_verify.html" if p.fragment else "audit/verify.html", report=report)


@router.get("/o/{org_id}/audit/export")
def export(request: Request, org_id: OrgId, format: Annotated[str, Query(max_length=10)] = "csv") -> Response:
    q = audit_filter.parse(request.query_params)
    if q.problems:
        raise Invalid("the filter of this export is not valid", q.problems)
    with page(request, org_id, "audit") as p:
        result = audit_export.export(p.uow, p.actor, filters=q.filters, fmt=format)
    return Response(result.content, media_type=result.media_type, headers={
        "content-disposition": f'attachment; filename="{result.filename}"', "x-caregate-count": str(result.count)})


@router.get("/o/{org_id}/audit/alerts")
def alerts(request: Request, org_id: OrgId,
           after: Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9_]+$")] = None) -> Response:
    with page(request, org_id, "audit") as p:
        found = audit.alerts(p.uow, p.actor, after=after, limit=PAGE_SIZE)
        return p.render("audit/alerts.html", alerts=found.items, next_cursor=found.next_cursor, names=_names(p))


@router.post("/o/{org_id}/audit/alerts/{alert_id}/acknowledge")
def acknowledge(request: Request, org_id: OrgId, alert_id: Id, form: Form) -> Response:
    note = str(form.get("note", ""))[:2000]
    with page(request, org_id, "audit") as p:
        made = audit.acknowledge(p.uow, p.actor, alert_id=alert_id, note=note)
    return done(request, f"/o/{org_id}/audit/alerts#alert-{made.id}",
                f"The {made.rule.replace('_', ' ')} alert of {made.at:%Y-%m-%d %H:%M} UTC is acknowledged.")
