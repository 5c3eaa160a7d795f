"""delegation: a role handed to a colleague for a period ("acting manager"), and by whom

Revision ID: 0011_delegation
Revises: 0010_access_lapse
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_delegation"
down_revision: str | None = "0010_access_lapse"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("role_assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delegated_by", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("role_assignments", schema=None) as batch_op:
        batch_op.drop_column("delegated_by")
