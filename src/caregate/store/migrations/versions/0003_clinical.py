"""clinical workspace and sharing (issue 4): patients' explicit access, session notes, transcripts,
context and documents, templates, appointments, patient messages, billing, inventory, calls, rooms,
notifications, and the indexes the list filters and lookups use.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import caregate.store.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("membership_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=True),
        sa.Column("object_id", sa.String(length=40), nullable=True),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", caregate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", caregate.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["membership_id"], ["memberships.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_member", ["membership_id", "id"], unique=False)

    op.create_table(
        "products",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("location_id", sa.String(length=40), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("sku", sa.String(length=60), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("created_at", caregate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", caregate.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index("ix_products_org_id", ["org_id", "id"], unique=False)

    op.create_table(
        "rooms",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("owner_id", sa.String(length=40), nullable=True),
        sa.Column("personal_owner", sa.String(length=40), nullable=True),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", caregate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_id"], ["memberships.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "personal_owner", name="uq_rooms_personal"),
    )
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.create_index("ix_rooms_org_id", ["org_id", "id"], unique=False)

    op.create_table(
        "templates",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("owner_id", sa.String(length=40), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("visibility", sa.String(length=10), nullable=False),
        sa.Column("created_at", caregate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", caregate.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_id"], ["memberships.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("templates", schema=None) as batch_op:
        batch_op.create_index("ix_templates_org_owner", ["org_id", "owner_id", "id"], unique=False)
        batch_op.create_index("ix_templates_org_visibility", ["org_id", "visibility", "id"], unique=False)

    op.create_table(
        "appointments",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("provider_id", sa.String(length=40), nullable=False),
        sa.Column("patient_id", sa.String(length=40), nullable=True),
        sa.Column("team_id", sa.String(length=40), nullable=True),
        sa.Column("location_id", sa.String(length=40), nullable=True),
        sa.Column("starts_at", caregate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", caregate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("checked_in_at", caregate.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", caregate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", caregate.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["memberships.id"],
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.create_index("ix_appointments_org_id", ["org_id", "id"], unique=False)
        batch_op.create_index("ix_appointments_org_patient", ["org_id", "patient_id", "id"], unique=False)
        batch_op.create_index("ix_appointments_org_provider", ["org_id", "provider_id", "id"], unique=False)
        batch_op.create_index("ix_appointments_org_starts", ["org_id", "starts_at"], unique=False)

    op.create_table(
        "calls",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("caller_number", sa.String(length=40), nullable=False),
        sa.Column("patient_id", sa.String(length=40), nullable=True),
        sa.Column("assigned_to", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("transcript", sa.Text(), nullable=True),
        sa.Column("transcribed_at", caregate.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", caregate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", caregate.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["assigned_to"], ["memberships.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index("ix_calls_org_id", ["org_id", "id"], unique=False)

    op.create_table(
        "invoices",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("patient_id", sa.String(length=40), nullable=True),
        sa.Column("location_id", sa.String(length=40), nullable=True),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", caregate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", caregate.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index("ix_invoices_org_id", ["org_id", "id"], unique=False)
        batch_op.create_index("ix_invoices_org_patient", ["org_id", "patient_id", "id"], unique=False)

    op.create_table(
        "patient_access",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("patient_id", sa.String(length=40), nullable=False),
        sa.Column("membership_id", sa.String(length=40), nullable=False),
        sa.Column("until", caregate.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("granted_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", caregate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["membership_id"], ["memberships.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("patient_access", schema=None) as batch_op:
        batch_op.create_index("ix_patient_access_member", ["membership_id", "patient_id"], unique=False)
        batch_op.create_index("ix_patient_access_patient", ["patient_id"], unique=False)

    op.create_table(
        "patient_messages",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("patient_id", sa.String(length=40), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", caregate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("patient_messages", schema=None) as batch_op:
        batch_op.create_index("ix_patient_messages_org_patient", ["org_id", "patient_id", "id"], unique=False)

    op.create_table(
        "room_members",
        sa.Column("room_id", sa.String(length=40), nullable=False),
        sa.Column("membership_id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["membership_id"], ["memberships.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("room_id", "membership_id"),
    )
    with op.batch_alter_table("room_members", schema=None) as batch_op:
        batch_op.create_index("ix_room_members_member", ["membership_id", "room_id"], unique=False)

    op.create_table(
        "stock_orders",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("product_id", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", caregate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", caregate.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("stock_orders", schema=None) as batch_op:
        batch_op.create_index("ix_stock_orders_org_id", ["org_id", "id"], unique=False)

    op.create_table(
        "template_teams",
        sa.Column("template_id", sa.String(length=40), nullable=False),
        sa.Column("team_id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["template_id"], ["templates.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("template_id", "team_id"),
    )
    with op.batch_alter_table("template_teams", schema=None) as batch_op:
        batch_op.create_index("ix_template_teams_team", ["team_id", "template_id"], unique=False)

    op.create_table(
        "charges",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("invoice_id", sa.String(length=40), nullable=True),
        sa.Column("patient_id", sa.String(length=40), nullable=True),
        sa.Column("location_id", sa.String(length=40), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requested_by", sa.String(length=40), nullable=True),
        sa.Column("approved_by", sa.String(length=40), nullable=True),
        sa.Column("approved_at", caregate.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", caregate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("charges", schema=None) as batch_op:
        batch_op.create_index("ix_charges_org_id", ["org_id", "id"], unique=False)

    op.create_table(
        "payments",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("invoice_id", sa.String(length=40), nullable=True),
        sa.Column("patient_id", sa.String(length=40), nullable=True),
        sa.Column("location_id", sa.String(length=40), nullable=True),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("processed_by", sa.String(length=40), nullable=True),
        sa.Column("processed_at", caregate.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", caregate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index("ix_payments_org_id", ["org_id", "id"], unique=False)

    op.create_table(
        "session_context",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("session_id", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", caregate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", caregate.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["clinical_sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("session_context", schema=None) as batch_op:
        batch_op.create_index("ix_session_context_org", ["org_id", "id"], unique=False)
        batch_op.create_index("ix_session_context_session", ["session_id", "id"], unique=False)

    op.create_table(
        "session_documents",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("session_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", caregate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", caregate.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["clinical_sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("session_documents", schema=None) as batch_op:
        batch_op.create_index("ix_session_documents_org", ["org_id", "id"], unique=False)
        batch_op.create_index("ix_session_documents_session", ["session_id", "id"], unique=False)

    op.create_table(
        "session_notes",
        sa.Column("session_id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("updated_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", caregate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", caregate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["clinical_sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id"),
    )
    op.create_table(
        "session_transcripts",
        sa.Column("session_id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", caregate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", caregate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["clinical_sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id"),
    )
    op.create_table(
        "refunds",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("payment_id", sa.String(length=40), nullable=True),
        sa.Column("patient_id", sa.String(length=40), nullable=True),
        sa.Column("location_id", sa.String(length=40), nullable=True),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requested_by", sa.String(length=40), nullable=True),
        sa.Column("approved_by", sa.String(length=40), nullable=True),
        sa.Column("processed_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", caregate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", caregate.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index("ix_refunds_org_id", ["org_id", "id"], unique=False)

    with op.batch_alter_table("clinical_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recording", sa.String(length=20), nullable=False, server_default="none"))
        batch_op.add_column(sa.Column("updated_at", caregate.store.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_sessions_org_creator", ["org_id", "created_by", "id"], unique=False)
        batch_op.create_index("ix_sessions_org_id", ["org_id", "id"], unique=False)
        batch_op.create_index("ix_sessions_org_location", ["org_id", "location_id", "id"], unique=False)
        batch_op.create_index("ix_sessions_org_patient", ["org_id", "patient_id", "id"], unique=False)

    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_at", caregate.store.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_patients_org_location", ["org_id", "location_id", "id"], unique=False)
        batch_op.create_index("ix_patients_org_team", ["org_id", "team_id", "id"], unique=False)


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_index("ix_patients_org_team")
        batch_op.drop_index("ix_patients_org_location")
        batch_op.drop_column("updated_at")

    with op.batch_alter_table("clinical_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_sessions_org_patient")
        batch_op.drop_index("ix_sessions_org_location")
        batch_op.drop_index("ix_sessions_org_id")
        batch_op.drop_index("ix_sessions_org_creator")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("recording")

    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index("ix_refunds_org_id")

    op.drop_table("refunds")
    op.drop_table("session_transcripts")
    op.drop_table("session_notes")
    with op.batch_alter_table("session_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_session_documents_session")
        batch_op.drop_index("ix_session_documents_org")

    op.drop_table("session_documents")
    with op.batch_alter_table("session_context", schema=None) as batch_op:
        batch_op.drop_index("ix_session_context_session")
        batch_op.drop_index("ix_session_context_org")

    op.drop_table("session_context")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_org_id")

    op.drop_table("payments")
    with op.batch_alter_table("charges", schema=None) as batch_op:
        batch_op.drop_index("ix_charges_org_id")

    op.drop_table("charges")
    with op.batch_alter_table("template_teams", schema=None) as batch_op:
        batch_op.drop_index("ix_template_teams_team")

    op.drop_table("template_teams")
    with op.batch_alter_table("stock_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_orders_org_id")

    op.drop_table("stock_orders")
    with op.batch_alter_table("room_members", schema=None) as batch_op:
        batch_op.drop_index("ix_room_members_member")

    op.drop_table("room_members")
    with op.batch_alter_table("patient_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_patient_messages_org_patient")

    op.drop_table("patient_messages")
    with op.batch_alter_table("patient_access", schema=None) as batch_op:
        batch_op.drop_index("ix_patient_access_patient")
        batch_op.drop_index("ix_patient_access_member")

    op.drop_table("patient_access")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_invoices_org_patient")
        batch_op.drop_index("ix_invoices_org_id")

    op.drop_table("invoices")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_org_id")

    op.drop_table("calls")
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_index("ix_appointments_org_starts")
        batch_op.drop_index("ix_appointments_org_provider")
        batch_op.drop_index("ix_appointments_org_patient")
        batch_op.drop_index("ix_appointments_org_id")

    op.drop_table("appointments")
    with op.batch_alter_table("templates", schema=None) as batch_op:
        batch_op.drop_index("ix_templates_org_visibility")
        batch_op.drop_index("ix_templates_org_owner")

    op.drop_table("templates")
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.drop_index("ix_rooms_org_id")

    op.drop_table("rooms")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index("ix_products_org_id")

    op.drop_table("products")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_member")

    op.drop_table("notifications")
    # ### end Alembic commands ###
