"""Sessions: the clinical sessions a member may read, one session's page, and its Share dialog."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from starlette.responses import Response

from caregate.service.clinical import overview, sharing
from caregate.service.errors import Conflict, Invalid, NotFound, ServiceError
from caregate.web.edge import Page, WebRoute, done, page
from caregate.web.routes.team import structure_names

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Id = Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_]+$")]
After = Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9_]+$")]
# The seed's three levels, in its words
LEVELS = {"view": ("View", "Read-only access to the session and its contents"),
          "edit": ("Edit", "Edit notes, update session status, add documents, edit context, and manage patient "
                           "profiles"),
          "full": ("Full access", "Everything in Edit, plus sharing the session onwards to other colleagues")}


@router.get("/o/{org_id}/sessions")
def sessions_list(request: Request, org_id: Id, after: After = None) -> Response:
    with page(request, org_id, "sessions") as p:
        listing = overview.sessions_page(p.uow, p.actor, after=after)
        return p.render("sessions/list.html", listing=listing, after=after, **structure_names(p))


@router.get("/o/{org_id}/sessions/{session_id}")
def session_page(request: Request, org_id: Id, session_id: Id) -> Response:
    with page(request, org_id, "sessions") as p:
        detail = overview.detail(p.uow, p.actor, session_id=session_id)
        return p.render("sessions/detail.html", detail=detail, s=detail.row.session, levels=LEVELS,
                        **structure_names(p))


# --- the Share dialog ------------------------------------------------------------------------------

def _share_dialog(p: Page, session_id: str, *, q: str = "", status: int = 200, message: str | None = None,
                  problems: list[str] | None = None, chosen: str = "view") -> Response:
    """The dialog (or, without htmx, its page): the search, the colleagues found, and the access list."""
    session = overview.read_session(p.uow, p.actor, session_id=session_id)
    targets = sharing.share_targets(p.uow, p.actor, session_id=session_id, search=q)  # refuses non-sharers
    values = {"session": session, "targets": targets, "q": q, "levels": LEVELS, "chosen": chosen,
              "access": overview.access_list(p.uow, p.actor, session_id=session_id),
              "owner": overview.people(p.uow, p.actor, [session.owner_id]).get(session.owner_id),
              "message": message, "problems": problems or []}
    if p.fragment and p.request.headers.get("hx-target") == "share-targets":
        return p.render("sessions/_targets.html", status, **values)
    return p.render("sessions/_share.html" if p.fragment else "sessions/share_page.html", status, **values)


@router.get("/o/{org_id}/sessions/{session_id}/share")
def share_form(request: Request, org_id: Id, session_id: Id,
               q: Annotated[str, Query(max_length=100)] = "") -> Response:
    with page(request, org_id, "sessions") as p:
        return _share_dialog(p, session_id, q=q.strip())


def _after_change(request: Request, org_id: str, session_id: str, message: str) -> Response:
    """In the dialog: the dialog again, saying what changed. As a page: back to the page, with the message."""
    with page(request, org_id, "sessions") as p:
        if p.fragment:
            return _share_dialog(p, session_id, message=message)
    return done(request, f"/o/{org_id}/sessions/{session_id}/share", message)


def _refused(request: Request, org_id: str, session_id: str, error: ServiceError, chosen: str) -> Response:
    status = {Invalid: 422, Conflict: 409, NotFound: 404}.get(type(error), 400)
    with page(request, org_id, "sessions") as p:
        return _share_dialog(p, session_id, status=status, problems=[error.detail], chosen=chosen)


def _name(p: Page, member_id: str) -> str:
    person = overview.people(p.uow, p.actor, [member_id]).get(member_id)
    return (person.name or person.email) if person else "The colleague"


@router.post("/o/{org_id}/sessions/{session_id}/share")
def share(request: Request, org_id: Id, session_id: Id, member_id: Annotated[str, Form(max_length=40)] = "",
          level: Annotated[str, Form(max_length=10)] = "view") -> Response:
    """Share with a colleague, or change their level (the same use case); a refusal says why, in place."""
    try:
        if not member_id:
            raise Invalid("choose the colleague to share the session with")
        with page(request, org_id, "sessions") as p:
            view = sharing.share(p.uow, p.actor, session_id=session_id, member_id=member_id, level=level)
            who = _name(p, view.member_id)
    except (Invalid, Conflict, NotFound) as exc:
        return _refused(request, org_id, session_id, exc, level if level in LEVELS else "view")
    return _after_change(request, org_id, session_id, f"{who} now has {LEVELS[view.level][0]} access.")


@router.post("/o/{org_id}/sessions/{session_id}/share/{member_id}/remove")
def unshare(request: Request, org_id: Id, session_id: Id, member_id: Id) -> Response:
    try:
        with page(request, org_id, "sessions") as p:
            who = _name(p, member_id)
            sharing.unshare(p.uow, p.actor, session_id=session_id, member_id=member_id)
    except NotFound as exc:
        return _refused(request, org_id, session_id, exc, "view")
    return _after_change(request, org_id, session_id, f"{who} no longer has access to this session.")
