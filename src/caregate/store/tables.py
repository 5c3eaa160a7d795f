"""Tables of organisations, people and their access. Every row of a tenant carries its org_id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from caregate.store.types import JSONType, UTCDateTime

ID = String(40)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONType, list[Any]: JSONType}


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    plan: Mapped[str] = mapped_column(String(20), default="free")
    trial_ends_at: Mapped[datetime | None]
    preset: Mapped[str | None] = mapped_column(String(40))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    seats_purchased: Mapped[int] = mapped_column(Integer, default=0)
    seat_price_cents: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    term_start: Mapped[datetime]
    term_end: Mapped[datetime]
    created_at: Mapped[datetime]


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[str] = mapped_column(String(10), default="person")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_changed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("org_id", "user_id", name="uq_membership_org_user"),
        Index("ix_memberships_org_status", "org_id", "status"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="invited")
    title: Mapped[str] = mapped_column(String(120), default="")
    profile: Mapped[dict[str, Any]] = mapped_column(default=dict)
    invited_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]
    activated_at: Mapped[datetime | None]
    status_changed_at: Mapped[datetime | None]
    access_until: Mapped[datetime | None]  # a temporary member: disabled from then on


class MemberActivity(Base):
    """When a member last made a request in their organisation, to the hour (for access that lapses).

    A table of its own, not a column of `memberships`: writing it locks only this row, so a member's
    own request never holds a lock that a change of their membership (by someone else, under the
    organisation's lock) would wait for."""

    __tablename__ = "member_activity"

    membership_id: Mapped[str] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True)
    at: Mapped[datetime]


class RoleAssignmentRow(Base):
    __tablename__ = "role_assignments"
    __table_args__ = (Index("ix_role_assignments_member", "membership_id"),
                      Index("ix_role_assignments_org_role", "org_id", "role_key"))

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    membership_id: Mapped[str] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"))
    role_key: Mapped[str] = mapped_column(String(40))
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    location_id: Mapped[str | None] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(ID)
    # a delegation: the member who handed their role over for a period (`expires_at` is its end)
    delegated_by: Mapped[str | None] = mapped_column(ID)


class CustomRole(Base):
    __tablename__ = "custom_roles"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_custom_role_name"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    parent: Mapped[str | None] = mapped_column(String(40))
    rank: Mapped[int] = mapped_column(Integer)
    permissions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    description: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(ID)


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_team_name"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]


class TeamMember(Base):
    __tablename__ = "team_members"
    __table_args__ = (Index("ix_team_members_member", "membership_id"),)

    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    membership_id: Mapped[str] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))


class Location(Base):
    __tablename__ = "locations"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_location_name"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10), default="location")
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]


class MemberLocation(Base):
    __tablename__ = "member_locations"
    __table_args__ = (Index("ix_member_locations_member", "membership_id"),)

    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True)
    membership_id: Mapped[str] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))


class Invitation(Base):
    __tablename__ = "invitations"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    membership_id: Mapped[str] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(ID)
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class AuthToken(Base):
    """A login session: an opaque bearer token, kept only as its hash.

    `status` is "active", or a step still owed before the session may do anything else:
    "mfa_required", "mfa_enrolment_required", "password_change_required".
    """

    __tablename__ = "auth_tokens"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]  # the absolute lifetime
    last_seen_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(30), default="active", server_default="active")
    authenticated_at: Mapped[datetime | None]  # the last password (or recovery) proof
    mfa_at: Mapped[datetime | None]  # the last second-factor proof
    idle_minutes: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    binding: Mapped[str] = mapped_column(String(12), default="none", server_default="none")
    client_hash: Mapped[str | None] = mapped_column(String(64))
    revoked_reason: Mapped[str | None] = mapped_column(String(60))


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_unsent", "sent_at", "created_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class SeatCharge(Base):
    __tablename__ = "seat_charges"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    membership_id: Mapped[str | None] = mapped_column(ID)
    seats: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
