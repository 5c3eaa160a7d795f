"""Just-in-time access requests: the requests a member may see, the form to ask for access to one patient,
and one request's page with Approve and Deny for its approvers and Cancel for the member who asked.

The use cases in `service.clinical.requests` decide and record everything; the pages offer a form only
where the engine would allow it (`web.access_request_offers`) and show the use case's own words when it refuses.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from starlette.responses import Response

from caregate.service.clinical import overview, requests
from caregate.service.clinical.views import AccessRequestView
from caregate.service.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from caregate.web import refusals
from caregate.web.access_request_offers import request_limits
from caregate.web.edge import Page, WebRoute, done, page

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Id = Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_]+$")]
After = Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9_]+$")]
Status = Annotated[str, Query(max_length=20)]
# generous: the use case says what is too long, in its words, on the form
Text = Annotated[str, Form(max_length=5000)]
PAGE_SIZE = 50
SECTION = "access-requests"
STATUS_WORDS = {"pending": "Pending", "approved": "Approved", "denied": "Denied", "cancelled": "Cancelled"}
FILTERS = (("", "All"), *STATUS_WORDS.items())
NOTES = {"approve": "", "deny": ""}  # the answer forms' notes, as typed


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# --- the list and the form to ask ------------------------------------------------------------------

def _list(p: Page, *, status: str = "", after: str | None = None, code: int = 200,
          problems: list[str] | None = None, values: dict[str, str] | None = None) -> Response:
    listing = requests.page(p.uow, p.actor, status=status or None, after=after, limit=PAGE_SIZE)
    limits = request_limits(p.uow, p.actor, p.access_requests)
    typed = values or {}
    hours = typed.get("hours") or (str(min(requests.DEFAULT_HOURS, limits.max_hours)) if limits else "")
    return p.render("access_requests/list.html", code, listing=listing, status=status, after=after, filters=FILTERS,
                    words=STATUS_WORDS, limits=limits, problems=problems or [],
                    values={"patient_id": typed.get("patient_id", ""), "reason": typed.get("reason", ""),
                            "hours": hours})


@router.get("/o/{org_id}/access-requests")
def access_request_list(request: Request, org_id: Id, status: Status = "", after: After = None) -> Response:
    with page(request, org_id, SECTION) as p:
        return _list(p, status=status, after=after)


@router.post("/o/{org_id}/access-requests")
def ask(request: Request, org_id: Id, patient_id: Annotated[str, Form(max_length=200)] = "",
        reason: Text = "", hours: Annotated[str, Form(max_length=10)] = "") -> Response:
    """Ask for access to one patient; a refusal is shown on the form, with what was typed kept."""
    typed = {"patient_id": patient_id.strip(), "reason": reason, "hours": hours.strip()}
    try:
        if not typed["patient_id"]:
            raise Invalid("enter the ID of the patient you need to read, e.g. pat_1a2b")
        if not typed["hours"].isdigit():
            raise Invalid("choose for how many hours you need access")
        with page(request, org_id, SECTION) as p:
            made = requests.ask(p.uow, p.actor, patient_id=typed["patient_id"], reason=reason,
                                hours=int(typed["hours"]))
    except (Invalid, Conflict, NotFound, Forbidden) as exc:
        with page(request, org_id, SECTION) as p:
            return _list(p, code=refusals.status(exc), problems=refusals.problems(exc), values=typed)
    return done(request, f"/o/{org_id}/access-requests/{made.id}",
                f"You asked for access to patient {made.patient_id} for {_plural(made.hours, 'hour')}. It needs "
                f"{_plural(made.approvals_needed, 'approval')}; the approvers have been told.")


# --- one request ----------------------------------------------------------------------------------

def _detail(p: Page, request_id: str, *, code: int = 200, problems: list[str] | None = None,
            problems_at: str = "page", notes: dict[str, str] | None = None) -> Response:
    """The page; `problems_at` says which form the problems are about (approve, deny, or the page's)."""
    view = requests.get(p.uow, p.actor, request_id=request_id)
    mine = view.member_id == p.actor.member_id
    names = {k: v.name or v.email for k, v in overview.people(p.uow, p.actor, [a.approver_id for a in view.answers])
             .items()}
    answered = any(a.approver_id == p.actor.member_id for a in view.answers)
    pending = view.status == "pending"
    # whoever else may read a request may approve it (`requests.get`); the use case refuses anyone answering
    # their own (separation of duties), and a second answer of the same approver: neither is offered
    offers = {"cancel": mine and pending, "answer": pending and not mine and not answered}
    return p.render("access_requests/detail.html", code, r=view, mine=mine, names=names, offers=offers,
                    answered=answered, approvals=sum(a.decision == "approve" for a in view.answers),
                    words=STATUS_WORDS, problems=problems or [],
                    problems_at=problems_at if offers["answer"] else "page", notes={**NOTES, **(notes or {})})


@router.get("/o/{org_id}/access-requests/{request_id}")
def access_request_page(request: Request, org_id: Id, request_id: Id) -> Response:
    with page(request, org_id, SECTION) as p:
        return _detail(p, request_id)


def _refused(request: Request, org_id: str, request_id: str, error: ServiceError, at: str = "page",
             notes: dict[str, str] | None = None) -> Response:
    """The page again, saying why (a request the actor may not see is still 404, like any other)."""
    with page(request, org_id, SECTION) as p:
        return _detail(p, request_id, code=refusals.status(error), problems=refusals.problems(error),
                       problems_at=at, notes=notes)


def _answer(request: Request, org_id: str, request_id: str, answer: str, note: str) -> AccessRequestView | Response:
    """Approve or deny; the request as it is then, or the page again saying why not, the note kept."""
    use = requests.approve if answer == "approve" else requests.deny
    try:
        with page(request, org_id, SECTION) as p:
            return use(p.uow, p.actor, request_id=request_id, note=note)
    except (Invalid, Conflict, Forbidden) as exc:
        return _refused(request, org_id, request_id, exc, answer, {answer: note})


@router.post("/o/{org_id}/access-requests/{request_id}/approve")
def approve(request: Request, org_id: Id, request_id: Id, note: Text = "") -> Response:
    made = _answer(request, org_id, request_id, "approve", note)
    if isinstance(made, Response):
        return made
    who = (made.member.name or made.member.email) if made.member else "The member"
    if made.status == "approved" and made.until is not None:
        message = (f"Approved: {who} can read patient {made.patient_id} until {made.until:%d %b %Y %H:%M} UTC. "
                   "They have been told.")
    else:
        given = sum(a.decision == "approve" for a in made.answers)
        message = f"Approved: {given} of {made.approvals_needed} approvals. It needs another approver."
    return done(request, f"/o/{org_id}/access-requests/{made.id}", message)


@router.post("/o/{org_id}/access-requests/{request_id}/deny")
def deny(request: Request, org_id: Id, request_id: Id, note: Text = "") -> Response:
    made = _answer(request, org_id, request_id, "deny", note)
    if isinstance(made, Response):
        return made
    return done(request, f"/o/{org_id}/access-requests/{made.id}",
                "Denied. The member who asked has been told, with your note.")


@router.post("/o/{org_id}/access-requests/{request_id}/cancel")
def cancel(request: Request, org_id: Id, request_id: Id) -> Response:
    try:
        with page(request, org_id, SECTION) as p:
            made = requests.cancel(p.uow, p.actor, request_id=request_id)
    except Conflict as exc:
        return _refused(request, org_id, request_id, exc)
    return done(request, f"/o/{org_id}/access-requests/{made.id}",
                f"Your request for access to patient {made.patient_id} is cancelled.")
