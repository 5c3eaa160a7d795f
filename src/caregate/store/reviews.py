"""Tables of access reviews: a campaign in which reviewers certify or revoke each member's access.

A review is scheduled (`opened_at` empty) until its start; when it opens it takes a snapshot of every
active member, one item each, with the member's roles, teams and locations at that moment. It is
complete when every item is decided, or cancelled. A repeating review (`interval_days`) is followed by
the next one, whose `previous_id` names it (unique: a review is followed once).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from caregate.store.tables import ID, Base

ORG_FK = "organisations.id"


class AccessReview(Base):
    """One access review of an organisation: when it starts, is due, and ends; and whether it repeats."""

    __tablename__ = "access_reviews"
    __table_args__ = (Index("ix_access_reviews_org", "org_id", "id"),
                      Index("ix_access_reviews_opening", "opened_at", "starts_at"),
                      UniqueConstraint("previous_id", name="uq_access_reviews_previous"))

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str | None] = mapped_column(ID)  # the member who started it (or the repetition)
    created_at: Mapped[datetime]
    starts_at: Mapped[datetime]
    opened_at: Mapped[datetime | None]  # when the snapshot was taken; empty while scheduled
    due_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(ID)
    interval_days: Mapped[int | None] = mapped_column(Integer)  # repeats this many days after it started
    previous_id: Mapped[str | None] = mapped_column(ForeignKey("access_reviews.id", ondelete="SET NULL"))


class AccessReviewItem(Base):
    """One member's access as it was when the review opened, and the reviewer's decision on it."""

    __tablename__ = "access_review_items"
    __table_args__ = (Index("ix_access_review_items_review", "review_id", "decision", "id"),
                      Index("ix_access_review_items_member", "membership_id"),
                      UniqueConstraint("review_id", "membership_id", name="uq_access_review_items_member"))

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"))
    review_id: Mapped[str] = mapped_column(ForeignKey("access_reviews.id", ondelete="CASCADE"))
    membership_id: Mapped[str] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"))
    snapshot: Mapped[dict[str, Any]]  # kind, roles (with team / location limits and expiry), teams, locations
    decision: Mapped[str | None] = mapped_column(String(10))  # certify / revoke; empty while pending
    decided_by: Mapped[str | None] = mapped_column(ID)
    decided_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(String(1000), default="", server_default="")
