"""bulk-access index: one row per member and patient (when last touched), instead of one per touch

Counting the distinct patients a member touched in the window then reads at most one row per patient,
and never more than the threshold needs: the cost of an audited read no longer grows with how much
the member has read lately.

Revision ID: 0006_patient_access_latest
Revises: 0005_alert_ack
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import caregate.store.types

revision: str = "0006_patient_access_latest"
down_revision: str | None = "0005_alert_ack"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TYPE = caregate.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "audit_patient_seen",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("member_id", sa.String(length=40), nullable=False),
        sa.Column("patient_id", sa.String(length=40), nullable=False),
        sa.Column("at", UTC_TYPE, nullable=False),
        sa.PrimaryKeyConstraint("org_id", "member_id", "patient_id"),
    )
    op.execute("INSERT INTO audit_patient_seen (org_id, member_id, patient_id, at) "
               "SELECT org_id, member_id, patient_id, max(at) FROM audit_patient_access "
               "GROUP BY org_id, member_id, patient_id")
    op.drop_index("ix_audit_patient_access", table_name="audit_patient_access")
    op.drop_table("audit_patient_access")
    op.create_index("ix_audit_patient_seen", "audit_patient_seen", ["org_id", "member_id", "at"], unique=False)


def downgrade() -> None:
    op.create_table(
        "audit_patient_access",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("member_id", sa.String(length=40), nullable=False),
        sa.Column("patient_id", sa.String(length=40), nullable=False),
        sa.Column("at", UTC_TYPE, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO audit_patient_access (org_id, member_id, patient_id, at) "
               "SELECT org_id, member_id, patient_id, at FROM audit_patient_seen")
    op.create_index("ix_audit_patient_access", "audit_patient_access", ["org_id", "member_id", "at"], unique=False)
    op.drop_index("ix_audit_patient_seen", table_name="audit_patient_seen")
    op.drop_table("audit_patient_seen")
