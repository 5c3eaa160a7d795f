"""audit alerts can be acknowledged: who looked into one, when, and a note

Revision ID: 0005_alert_ack
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import caregate.store.types

revision: str = "0005_alert_ack"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("acknowledged_at", caregate.store.types.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("acknowledged_by", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("acknowledged_note", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_alerts", schema=None) as batch_op:
        batch_op.drop_column("acknowledged_note")
        batch_op.drop_column("acknowledged_by")
        batch_op.drop_column("acknowledged_at")
