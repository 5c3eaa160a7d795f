"""access that ends on its own: temporary members (access_until) and lapse after days without use

Revision ID: 0010_access_lapse
Revises: 0009_access_reviews
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import caregate.store.types

revision: str = "0010_access_lapse"
down_revision: str | None = "0009_access_reviews"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TYPE = caregate.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.add_column(sa.Column("access_until", UTC_TYPE, nullable=True))
    op.create_table(
        "member_activity",
        sa.Column("membership_id", sa.String(length=40), nullable=False),
        sa.Column("at", UTC_TYPE, nullable=False),
        sa.ForeignKeyConstraint(["membership_id"], ["memberships.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("membership_id"),
    )


def downgrade() -> None:
    op.drop_table("member_activity")
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_column("access_until")
