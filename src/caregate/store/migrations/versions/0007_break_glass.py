"""break-glass: patient access taken in an emergency, ended early, and reviewed by someone else

Revision ID: 0007_break_glass
Revises: 0006_patient_access_latest
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import caregate.store.types

revision: str = "0007_break_glass"
down_revision: str | None = "0006_patient_access_latest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TYPE = caregate.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("patient_access", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), server_default="explicit", nullable=False))
        batch_op.add_column(sa.Column("ended_at", UTC_TYPE, nullable=True))
        batch_op.add_column(sa.Column("ended_by", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("review_outcome", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("reviewed_by", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", UTC_TYPE, nullable=True))
        batch_op.add_column(sa.Column("review_note", sa.String(length=1000), server_default="", nullable=False))
        batch_op.create_index("ix_patient_access_org_kind", ["org_id", "kind", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("patient_access", schema=None) as batch_op:
        batch_op.drop_index("ix_patient_access_org_kind")
        for column in ("review_note", "reviewed_at", "reviewed_by", "review_outcome", "ended_by", "ended_at", "kind"):
            batch_op.drop_column(column)
