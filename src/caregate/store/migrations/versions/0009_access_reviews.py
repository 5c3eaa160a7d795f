"""access reviews: campaigns in which reviewers certify or revoke each member's access, perhaps repeating

Revision ID: 0009_access_reviews
Revises: 0008_access_requests
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import caregate.store.types

revision: str = "0009_access_reviews"
down_revision: str | None = "0008_access_requests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TYPE = caregate.store.types.UTCDateTime(timezone=True)
ID = sa.String(length=40)


def upgrade() -> None:
    op.create_table(
        "access_reviews",
        sa.Column("id", ID, nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", UTC_TYPE, nullable=False),
        sa.Column("starts_at", UTC_TYPE, nullable=False),
        sa.Column("opened_at", UTC_TYPE, nullable=True),
        sa.Column("due_at", UTC_TYPE, nullable=False),
        sa.Column("completed_at", UTC_TYPE, nullable=True),
        sa.Column("cancelled_at", UTC_TYPE, nullable=True),
        sa.Column("cancelled_by", ID, nullable=True),
        sa.Column("interval_days", sa.Integer(), nullable=True),
        sa.Column("previous_id", ID, nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["previous_id"], ["access_reviews.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("previous_id", name="uq_access_reviews_previous"),
    )
    op.create_index("ix_access_reviews_org", "access_reviews", ["org_id", "id"], unique=False)
    op.create_index("ix_access_reviews_opening", "access_reviews", ["opened_at", "starts_at"], unique=False)
    op.create_table(
        "access_review_items",
        sa.Column("id", ID, nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("review_id", ID, nullable=False),
        sa.Column("membership_id", ID, nullable=False),
        sa.Column("snapshot", caregate.store.types.JSONType, nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=True),
        sa.Column("decided_by", ID, nullable=True),
        sa.Column("decided_at", UTC_TYPE, nullable=True),
        sa.Column("note", sa.String(length=1000), server_default="", nullable=False),
        sa.ForeignKeyConstraint(["membership_id"], ["memberships.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["review_id"], ["access_reviews.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("review_id", "membership_id", name="uq_access_review_items_member"),
    )
    op.create_index("ix_access_review_items_review", "access_review_items", ["review_id", "decision", "id"],
                    unique=False)
    op.create_index("ix_access_review_items_member", "access_review_items", ["membership_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_access_review_items_member", table_name="access_review_items")
    op.drop_index("ix_access_review_items_review", table_name="access_review_items")
    op.drop_table("access_review_items")
    op.drop_index("ix_access_reviews_opening", table_name="access_reviews")
    op.drop_index("ix_access_reviews_org", table_name="access_reviews")
    op.drop_table("access_reviews")
