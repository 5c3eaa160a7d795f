"""Queries of access reviews: pages of reviews and items, their counts, and the reviews whose time has come.

A review's status is read from its columns, here and in `status_of` alike: scheduled (not opened yet),
open, overdue (open past its due date), complete, or cancelled.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from caregate.store.reviews import AccessReview, AccessReviewItem

STATUSES = ("scheduled", "open", "overdue", "complete", "cancelled")
DECISIONS = {"pending": None, "certified": "certify", "revoked": "revoke"}

R, Item = AccessReview, AccessReviewItem


def status_of(review: AccessReview, now: datetime) -> str:
    if review.cancelled_at is not None:
        return "cancelled"
    if review.completed_at is not None:
        return "complete"
    if review.opened_at is None:
        return "scheduled"
    return "overdue" if review.due_at <= now else "open"


def _running() -> ColumnElement[bool]:
    return and_(R.opened_at.is_not(None), R.completed_at.is_(None), R.cancelled_at.is_(None))


def _status(status: str, now: datetime) -> ColumnElement[bool]:
    if status == "scheduled":
        return and_(R.opened_at.is_(None), R.cancelled_at.is_(None))
    if status == "open":
        return and_(_running(), R.due_at > now)
    if status == "overdue":
        return and_(_running(), R.due_at <= now)
    if status == "complete":
        return R.completed_at.is_not(None)
    return R.cancelled_at.is_not(None)


def page_of_reviews(s: Session, *, org_id: str, status: str | None, now: datetime, before_id: str | None,
                    limit: int) -> tuple[list[AccessReview], int]:
    """An organisation's reviews, newest first, and how many match."""
    where = [R.org_id == org_id]
    if status is not None:
        where.append(_status(status, now))
    total = s.scalar(select(func.count()).select_from(R).where(*where)) or 0
    if before_id is not None:
        where.append(R.id < before_id)
    return list(s.scalars(select(R).where(*where).order_by(R.id.desc()).limit(limit))), total


def counts(s: Session, *, review_ids: list[str]) -> dict[str, dict[str | None, int]]:
    """For each review, how many items have each decision (None: pending)."""
    out: dict[str, dict[str | None, int]] = defaultdict(dict)
    if review_ids:
        stmt = (select(Item.review_id, Item.decision, func.count()).where(Item.review_id.in_(sorted(set(review_ids))))
                .group_by(Item.review_id, Item.decision))
        for review_id, decision, count in s.execute(stmt):
            out[review_id][decision] = count
    return out


def page_of_items(s: Session, *, review_id: str, decision: str | None, after: str | None,
                  limit: int) -> tuple[list[AccessReviewItem], int]:
    """A review's items in snapshot order, those of one decision if asked (`pending`, `certified`, `revoked`)."""
    where = [Item.review_id == review_id]
    if decision is not None:
        wanted = DECISIONS[decision]
        where.append(Item.decision.is_(None) if wanted is None else Item.decision == wanted)
    total = s.scalar(select(func.count()).select_from(Item).where(*where)) or 0
    if after is not None:
        where.append(Item.id > after)
    return list(s.scalars(select(Item).where(*where).order_by(Item.id).limit(limit))), total


def get_item(s: Session, *, org_id: str, review_id: str, item_id: str) -> AccessReviewItem | None:
    stmt = select(Item).where(Item.org_id == org_id, Item.review_id == review_id, Item.id == item_id)
    return s.scalars(stmt).one_or_none()


def pending(s: Session, *, review_id: str) -> int:
    stmt = select(func.count()).select_from(Item).where(Item.review_id == review_id, Item.decision.is_(None))
    return s.scalar(stmt) or 0


def successor(s: Session, *, review_id: str) -> AccessReview | None:
    return s.scalars(select(R).where(R.previous_id == review_id)).one_or_none()


# --- reviews whose time has come ---------------------------------------------------------------------

def _to_open(now: datetime) -> ColumnElement[bool]:
    return and_(R.opened_at.is_(None), R.cancelled_at.is_(None), R.starts_at <= now)


def _to_repeat(now: datetime) -> ColumnElement[bool]:
    """Repeating, not cancelled, complete or past due, and not yet followed by the next."""
    after = aliased(R)
    return and_(R.interval_days.is_not(None), R.cancelled_at.is_(None), R.opened_at.is_not(None),
                or_(R.completed_at.is_not(None), R.due_at <= now),
                ~exists(select(1).where(after.previous_id == R.id)))


def _all_decided() -> ColumnElement[bool]:
    """Open, with no item pending (the last pending member was deleted, or nobody was active)."""
    return and_(_running(), ~exists(select(1).where(Item.review_id == R.id, Item.decision.is_(None))))


def due(s: Session, *, org_id: str, now: datetime) -> tuple[list[AccessReview], list[AccessReview],
                                                            list[AccessReview]]:
    """An organisation's reviews to open now, to follow with the next one, and to complete."""
    def of(condition: ColumnElement[bool]) -> list[AccessReview]:
        return list(s.scalars(select(R).where(R.org_id == org_id, condition).order_by(R.starts_at, R.id)))

    return of(_to_open(now)), of(_to_repeat(now)), of(_all_decided())


def orgs_with_due(s: Session, *, now: datetime) -> list[str]:
    """The organisations that have a review to open, follow or complete (for the cron command)."""
    stmt = select(R.org_id).where(or_(_to_open(now), _to_repeat(now), _all_decided())).distinct()
    return sorted(s.scalars(stmt))
