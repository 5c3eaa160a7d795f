"""Access reviews: reviewers certify or revoke each member's access, once or on a schedule."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from pydantic import Field, StringConstraints

from caregate.api.deps import CallerDep, Svc, run
from caregate.api.schemas import Body
from caregate.api.schemas_clinical import After, Limit
from caregate.service import access_reviews
from caregate.service.review_views import AccessReviewItemView, AccessReviewView
from caregate.service.views import Page

router = APIRouter(tags=["access reviews"])
B = "/orgs/{org_id}/access-reviews"


class ReviewIn(Body):
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="what the review is, e.g. 'Quarterly access review'")
    due_days: int = Field(default=14, ge=1, le=90, description="days the reviewers have to decide every member")
    interval_days: int | None = Field(default=None, ge=7, le=365,
                                      description="repeat this many days after it started (90: quarterly); "
                                                  "at least due_days; null: once")


class DecisionIn(Body):
    decision: Literal["certify", "revoke"] = Field(
        description="certify: the access stays; revoke: the member is disabled (as a manual disable)")
    note: Annotated[str, StringConstraints(max_length=1000)] = Field(default="", description="required to revoke")


Status = Annotated[Literal["scheduled", "open", "overdue", "complete", "cancelled"] | None,
                   Query(description="scheduled, open, overdue (open past its due date), complete or cancelled")]
Decided = Annotated[Literal["pending", "certified", "revoked"] | None,
                    Query(description="only the members pending, certified or revoked")]


@router.post(B, response_model=AccessReviewView, status_code=status.HTTP_201_CREATED,
             summary="Start an access review now: every active member's access, to certify or revoke")
def start_review(org_id: str, body: ReviewIn, svc: Svc, caller: CallerDep) -> AccessReviewView:
    return run(svc, caller, org_id, access_reviews.start, title=body.title, due_days=body.due_days,
               interval_days=body.interval_days)


@router.get(B, response_model=Page[AccessReviewView],
            summary="Access reviews, newest first (those whose start has come open first)")
def list_reviews(org_id: str, svc: Svc, caller: CallerDep, status: Status = None, limit: Limit = 50,
                 after: After = None) -> Page[AccessReviewView]:
    return run(svc, caller, org_id, access_reviews.page, status=status, limit=limit, after=after)


@router.get(B + "/{review_id}", response_model=AccessReviewView, summary="One access review, with its counts")
def get_review(org_id: str, review_id: str, svc: Svc, caller: CallerDep) -> AccessReviewView:
    return run(svc, caller, org_id, access_reviews.get, review_id=review_id)


@router.get(B + "/{review_id}/items", response_model=Page[AccessReviewItemView],
            summary="The members of a review: their access when it opened, and the decisions")
def list_items(org_id: str, review_id: str, svc: Svc, caller: CallerDep, decision: Decided = None,
               limit: Limit = 50, after: After = None) -> Page[AccessReviewItemView]:
    return run(svc, caller, org_id, access_reviews.items, review_id=review_id, decision=decision, limit=limit,
               after=after)


@router.post(B + "/{review_id}/items/{item_id}", response_model=AccessReviewItemView,
             summary="Certify or revoke one member's access (never your own; revoke needs a note)")
def decide_item(org_id: str, review_id: str, item_id: str, body: DecisionIn, svc: Svc,
                caller: CallerDep) -> AccessReviewItemView:
    return run(svc, caller, org_id, access_reviews.decide, review_id=review_id, item_id=item_id,
               decision=body.decision, note=body.note)


@router.post(B + "/{review_id}/cancel", response_model=AccessReviewView,
             summary="Stop a scheduled or open review and its repetition")
def cancel_review(org_id: str, review_id: str, svc: Svc, caller: CallerDep) -> AccessReviewView:
    return run(svc, caller, org_id, access_reviews.cancel, review_id=review_id)
