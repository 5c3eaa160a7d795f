"""What the access-review use cases return: a review with its progress, and one member's item."""

from __future__ import annotations

from datetime import datetime

from caregate.service.clinical.views import Person
from caregate.service.views import RoleGrantView, View


class ReviewCounts(View):
    members: int  # the active members the review's snapshot holds
    certified: int
    revoked: int
    pending: int


class AccessReviewView(View):
    """An access review: when it starts and is due, whether it repeats, and how far it has come."""

    id: str
    title: str
    status: str  # scheduled, open, overdue (open past its due date), complete or cancelled
    created_by: str | None
    created_at: datetime
    starts_at: datetime
    opened_at: datetime | None  # when its snapshot was taken
    due_at: datetime
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    interval_days: int | None = None  # repeats this many days after it started
    previous_id: str | None = None
    counts: ReviewCounts


class Place(View):
    id: str
    name: str  # as it was called when the snapshot was taken


class AccessSnapshot(View):
    """A member's access when the review opened: roles (with limits and expiry), teams and locations."""

    kind: str  # person or service (a service account)
    status: str
    roles: list[RoleGrantView]
    teams: list[Place]
    locations: list[Place]


class AccessReviewItemView(View):
    """One member's access under review, and the decision on it (none while pending)."""

    id: str
    review_id: str
    member_id: str
    member: Person | None = None  # when the reader may read the member
    snapshot: AccessSnapshot
    decision: str | None = None  # certify or revoke; none while pending
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str = ""
