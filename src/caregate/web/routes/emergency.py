"""Emergency access (break-glass): the declarations a member may see, the form to declare one, and one
declaration's page with End and, for someone else than its member, the review.

The use cases in `service.clinical.emergency` decide and record everything; the pages offer a form only
where the engine would allow it (`web.emergency_offers`) and show the use case's own words when it refuses.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from starlette.responses import Response

from caregate.service.clinical import emergency, overview
from caregate.service.clinical.views import EmergencyAccessView
from caregate.service.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from caregate.web import refusals
from caregate.web.edge import Page, WebRoute, done, page

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Id = Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_]+$")]
After = Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9_]+$")]
Status = Annotated[str, Query(max_length=20)]
# generous: the use case says what is too long, in its words, on the form
Text = Annotated[str, Form(max_length=5000)]
PAGE_SIZE = 50
FILTERS = (("", "All"), ("active", "Active"), ("awaiting_review", "Awaiting review"), ("reviewed", "Reviewed"))
STATUS_WORDS = {"active": "Active", "awaiting_review": "Awaiting review", "reviewed": "Reviewed"}


# --- the list and the declaration -----------------------------------------------------------------

def _list(p: Page, *, status: str = "", after: str | None = None, code: int = 200,
          problems: list[str] | None = None, values: dict[str, str] | None = None) -> Response:
    listing = emergency.page(p.uow, p.actor, status=status or None, after=after, limit=PAGE_SIZE)
    policy = emergency.policy(p.uow, p.actor) if p.emergency.any else None
    typed = values or {}
    hours = typed.get("hours") or (str(policy.max_hours) if policy else "")
    return p.render("emergency/list.html", code, listing=listing, status=status, after=after, filters=FILTERS,
                    words=STATUS_WORDS, policy=policy, problems=problems or [],
                    values={"patient_id": typed.get("patient_id", ""), "reason": typed.get("reason", ""),
                            "hours": hours})


@router.get("/o/{org_id}/emergency")
def emergency_list(request: Request, org_id: Id, status: Status = "", after: After = None) -> Response:
    with page(request, org_id, "emergency") as p:
        return _list(p, status=status, after=after)


@router.post("/o/{org_id}/emergency")
def declare(request: Request, org_id: Id, patient_id: Annotated[str, Form(max_length=200)] = "",
            reason: Text = "", hours: Annotated[str, Form(max_length=10)] = "") -> Response:
    """Take emergency access; a refusal is shown on the form, with what was typed kept."""
    typed = {"patient_id": patient_id.strip(), "reason": reason, "hours": hours.strip()}
    try:
        if not typed["patient_id"]:
            raise Invalid("enter the ID of the patient you need to read, e.g. pat_1a2b")
        if not typed["hours"].isdigit():
            raise Invalid("choose for how many hours you need access")
        with page(request, org_id, "emergency") as p:
            made = emergency.declare(p.uow, p.actor, patient_id=typed["patient_id"], reason=reason,
                                     hours=int(typed["hours"]))
    except (Invalid, Conflict, NotFound, Forbidden) as exc:
        with page(request, org_id, "emergency") as p:
            return _list(p, code=refusals.status(exc), problems=refusals.problems(exc), values=typed)
    return done(request, f"/o/{org_id}/emergency/{made.id}",
                f"You have emergency read access to patient {made.patient_id} until "
                f"{made.until:%d %b %Y %H:%M} UTC. Owners, administrators and the patient's care team have been told.")


# --- one declaration ------------------------------------------------------------------------------

def _audit_link(org_id: str, view: EmergencyAccessView) -> str:
    """The audit log filtered to what the member did on the patient on the days the access ran.

    The audit viewer filters whole days (UTC); the count on the page (`reads`) is the exact window."""
    end = view.until + timedelta(seconds=1)  # `until` is when it ended, early or not (as `emergency.during`)
    query = {"member": view.member_id, "patient": view.patient_id, "outcome": "allowed",
             "from": f"{view.declared_at:%Y-%m-%d}", "to": f"{end:%Y-%m-%d}"}
    return f"/o/{org_id}/audit?{urlencode(query)}"


def _detail(p: Page, access_id: str, *, code: int = 200, problems: list[str] | None = None,
            values: dict[str, str] | None = None) -> Response:
    """The page; `values` are the review form's as typed, and say that the problems are the review's."""
    view = emergency.get(p.uow, p.actor, access_id=access_id)
    mine = view.member_id == p.actor.member_id
    ids = [i for i in (view.ended_by, view.reviewed_by) if i]
    names = {k: v.name or v.email for k, v in overview.people(p.uow, p.actor, ids).items()}
    offers = {"end": view.active and (mine or p.emergency.review),
              # the use case refuses anyone reviewing their own (separation of duties); the form is not offered
              "review": p.emergency.review and not mine and view.review_outcome is None}
    return p.render("emergency/detail.html", code, a=view, mine=mine, names=names, offers=offers,
                    words=STATUS_WORDS, problems=problems or [], problems_at="review" if values else "page",
                    values=values or {"outcome": "", "note": ""},
                    audit_link=_audit_link(p.org.id, view) if p.nav.audit else None)


@router.get("/o/{org_id}/emergency/{access_id}")
def emergency_page(request: Request, org_id: Id, access_id: Id) -> Response:
    with page(request, org_id, "emergency") as p:
        return _detail(p, access_id)


def _refused(request: Request, org_id: str, access_id: str, error: ServiceError,
             values: dict[str, str] | None = None) -> Response:
    """The page again, saying why (an access the actor may not see is still 404, like any other)."""
    with page(request, org_id, "emergency") as p:
        return _detail(p, access_id, code=refusals.status(error), problems=refusals.problems(error), values=values)


@router.post("/o/{org_id}/emergency/{access_id}/end")
def end(request: Request, org_id: Id, access_id: Id) -> Response:
    try:
        with page(request, org_id, "emergency") as p:
            ended = emergency.end(p.uow, p.actor, access_id=access_id)
    except (Conflict, Forbidden) as exc:
        return _refused(request, org_id, access_id, exc)
    return done(request, f"/o/{org_id}/emergency/{ended.id}",
                f"Emergency access to patient {ended.patient_id} has ended.")


@router.post("/o/{org_id}/emergency/{access_id}/review")
def review(request: Request, org_id: Id, access_id: Id, outcome: Annotated[str, Form(max_length=20)] = "",
           note: Text = "") -> Response:
    typed = {"outcome": outcome, "note": note}
    try:
        if outcome not in emergency.OUTCOMES:
            raise Invalid("choose whether the emergency access was appropriate or inappropriate")
        with page(request, org_id, "emergency") as p:
            made = emergency.review(p.uow, p.actor, access_id=access_id, outcome=outcome, note=note)
    except (Invalid, Conflict, Forbidden) as exc:
        return _refused(request, org_id, access_id, exc, typed)
    ended = " Its access has been ended." if made.ended_at is not None and made.ended_at == made.reviewed_at else ""
    return done(request, f"/o/{org_id}/emergency/{made.id}", f"Reviewed: {outcome}.{ended}")
