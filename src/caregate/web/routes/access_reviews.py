"""Access reviews: the organisation's reviews with the form to start one, and one review's members to
certify or revoke, with its progress.

The use cases in `service.access_reviews` decide and record everything; the page offers Certify and
Revoke only on the members the engine lets the actor decide (never their own), Revoke only where they
may disable the member, and shows the use case's own words when it refuses.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from starlette.responses import Response

from caregate.service import abilities, access_reviews
from caregate.service.clinical.overview import people
from caregate.service.errors import Conflict, Forbidden, Invalid, ServiceError
from caregate.web import refusals
from caregate.web.edge import Page, WebRoute, done, page

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Id = Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_]+$")]
After = Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9_]+$")]
Filter = Annotated[str, Query(max_length=20)]
# generous: the use case says what is too long, in its words, on the form
Text = Annotated[str, Form(max_length=5000)]
Number = Annotated[str, Form(max_length=10)]
PAGE_SIZE = 50
SECTION = "access-reviews"
STATUS_WORDS = {"scheduled": "Scheduled", "open": "Open", "overdue": "Overdue", "complete": "Complete",
                "cancelled": "Cancelled"}
STATUS_CLASSES = {"scheduled": "status-archived", "open": "status-invited", "overdue": "status-disabled",
                  "complete": "status-active", "cancelled": "status-archived"}
FILTERS = (("", "All"), *STATUS_WORDS.items())
ITEM_FILTERS = (("", "All"), ("pending", "Pending"), ("certified", "Certified"), ("revoked", "Revoked"))
REPEATS = (("", "Does not repeat"), ("30", "Every 30 days"), ("90", "Every 90 days (quarterly)"),
           ("180", "Every 180 days"), ("365", "Every 365 days (yearly)"))


# --- the list and the start form ------------------------------------------------------------------

def _list(p: Page, *, status: str = "", after: str | None = None, code: int = 200,
          problems: list[str] | None = None, values: dict[str, str] | None = None) -> Response:
    listing = access_reviews.page(p.uow, p.actor, status=status or None, after=after, limit=PAGE_SIZE)
    return p.render("access_reviews/list.html", code, listing=listing, status=status, after=after, filters=FILTERS,
                    words=STATUS_WORDS, classes=STATUS_CLASSES, repeats=REPEATS, problems=problems or [],
                    values=values or {"title": "", "due_days": "14", "interval_days": ""})


@router.get("/o/{org_id}/access-reviews")
def reviews_list(request: Request, org_id: Id, status: Filter = "", after: After = None) -> Response:
    with page(request, org_id, SECTION) as p:
        return _list(p, status=status, after=after)


@router.post("/o/{org_id}/access-reviews")
def start(request: Request, org_id: Id, title: Text = "", due_days: Number = "14",
          interval_days: Number = "") -> Response:
    """Start a review now; a refusal is shown on the form, with what was typed kept."""
    typed = {"title": title, "due_days": due_days.strip(), "interval_days": interval_days.strip()}
    try:
        if not typed["due_days"].isdigit():
            raise Invalid("enter in how many days the review is due, e.g. 14")
        if typed["interval_days"] and not typed["interval_days"].isdigit():
            raise Invalid("choose how often the review repeats")
        with page(request, org_id, SECTION) as p:
            made = access_reviews.start(p.uow, p.actor, title=title, due_days=int(typed["due_days"]),
                                        interval_days=int(typed["interval_days"]) if typed["interval_days"] else None)
    except (Invalid, Conflict, Forbidden) as exc:
        with page(request, org_id, SECTION) as p:
            return _list(p, code=refusals.status(exc), problems=refusals.problems(exc), values=typed)
    return done(request, f"/o/{org_id}/access-reviews/{made.id}",
                f"Access review started: {made.counts.members} members to certify or revoke by "
                f"{made.due_at:%d %b %Y}. The other reviewers have been told.")


# --- one review -----------------------------------------------------------------------------------

def _detail(p: Page, review_id: str, *, decision: str = "", after: str | None = None, code: int = 200,
            problems: list[str] | None = None, values: dict[str, str] | None = None) -> Response:
    """The page; `values` are the decision form's as typed (which item, and its note)."""
    review = access_reviews.get(p.uow, p.actor, review_id=review_id)
    listing = access_reviews.items(p.uow, p.actor, review_id=review_id, decision=decision or None, after=after,
                                   limit=PAGE_SIZE)
    running = review.status in ("open", "overdue")
    decidable = access_reviews.decidable(p.uow, p.actor, listing.items) if running else set()
    can = abilities.members(p.uow, p.actor, member_ids=[i.member_id for i in listing.items if i.id in decidable])
    revocable = {i.id for i in listing.items if i.id in decidable and can[i.member_id].disable}
    deciders = {i.decided_by for i in listing.items if i.decided_by}
    context: dict[str, Any] = {
        "review": review, "listing": listing, "decision": decision, "after": after, "filters": ITEM_FILTERS,
        "words": STATUS_WORDS, "classes": STATUS_CLASSES, "decidable": decidable, "revocable": revocable,
        "names": _names(p, deciders | ({review.created_by} if review.created_by else set())),
        "problems": problems or [], "values": values or {"item": "", "note": ""},
        "cancellable": review.status in ("scheduled", "open", "overdue")}
    return p.render("access_reviews/detail.html", code, **context)


def _names(p: Page, member_ids: set[str]) -> dict[str, str]:
    return {k: v.name or v.email for k, v in people(p.uow, p.actor, member_ids).items()}


@router.get("/o/{org_id}/access-reviews/{review_id}")
def review_page(request: Request, org_id: Id, review_id: Id, decision: Filter = "", after: After = None) -> Response:
    with page(request, org_id, SECTION) as p:
        return _detail(p, review_id, decision=decision, after=after)


def _refused(request: Request, org_id: str, review_id: str, error: ServiceError,
             values: dict[str, str] | None = None) -> Response:
    """The page again, saying why (a review the actor may not see is still 404, like any other)."""
    with page(request, org_id, SECTION) as p:
        return _detail(p, review_id, code=refusals.status(error), problems=refusals.problems(error), values=values)


@router.post("/o/{org_id}/access-reviews/{review_id}/items/{item_id}")
def decide(request: Request, org_id: Id, review_id: Id, item_id: Id,
           decision: Annotated[str, Form(max_length=20)] = "", note: Text = "") -> Response:
    typed = {"item": item_id, "note": note}
    try:
        if decision not in access_reviews.DECISIONS:
            raise Invalid("choose Certify or Revoke")
        with page(request, org_id, SECTION) as p:
            made = access_reviews.decide(p.uow, p.actor, review_id=review_id, item_id=item_id, decision=decision,
                                         note=note)
    except (Invalid, Conflict, Forbidden) as exc:
        return _refused(request, org_id, review_id, exc, typed)
    who = (made.member.name or made.member.email) if made.member else made.member_id
    said = f"{who}'s access is certified." if decision == "certify" else \
        f"{who}'s access is revoked: they are disabled."
    return done(request, f"/o/{org_id}/access-reviews/{review_id}#item-{made.id}", said)


@router.post("/o/{org_id}/access-reviews/{review_id}/cancel")
def cancel(request: Request, org_id: Id, review_id: Id) -> Response:
    try:
        with page(request, org_id, SECTION) as p:
            access_reviews.cancel(p.uow, p.actor, review_id=review_id)
    except Conflict as exc:
        return _refused(request, org_id, review_id, exc)
    return done(request, f"/o/{org_id}/access-reviews/{review_id}",
                "The access review is cancelled, and it will not repeat.")
