"""just-in-time access requests: a member asks for access to a patient; others approve or deny it

Revision ID: 0008_access_requests
Revises: 0007_break_glass
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import caregate.store.types

revision: str = "0008_access_requests"
down_revision: str | None = "0007_break_glass"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TYPE = caregate.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "access_requests",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("patient_id", sa.String(length=40), nullable=False),
        sa.Column("membership_id", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("approvals_needed", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("grant_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", UTC_TYPE, nullable=False),
        sa.Column("decided_at", UTC_TYPE, nullable=True),
        sa.ForeignKeyConstraint(["membership_id"], ["memberships.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_access_requests_member", "access_requests", ["membership_id", "id"], unique=False)
    op.create_index("ix_access_requests_org_status", "access_requests", ["org_id", "status", "id"], unique=False)
    op.create_table(
        "access_request_approvals",
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("approver_id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("at", UTC_TYPE, nullable=False),
        sa.ForeignKeyConstraint(["approver_id"], ["memberships.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["request_id"], ["access_requests.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("request_id", "approver_id"),
    )


def downgrade() -> None:
    op.drop_table("access_request_approvals")
    op.drop_index("ix_access_requests_org_status", table_name="access_requests")
    op.drop_index("ix_access_requests_member", table_name="access_requests")
    op.drop_table("access_requests")
