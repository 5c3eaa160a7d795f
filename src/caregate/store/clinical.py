"""Clinical records the foundation needs: patients with their care team, sessions and their shares.

Deleting a member is refused while they own any of these; the check API reads them to decide.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from caregate.store.tables import ID, Base


class Patient(Base):
    __tablename__ = "patients"
    __table_args__ = (Index("ix_patients_org", "org_id", "id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    location_id: Mapped[str | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]


class CareTeamMember(Base):
    """A member assigned to a patient (the patient is on the member's care list)."""

    __tablename__ = "care_team"
    __table_args__ = (Index("ix_care_team_member", "membership_id"),)

    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True)
    membership_id: Mapped[str] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))


class ClinicalSession(Base):
    __tablename__ = "clinical_sessions"
    __table_args__ = (
        Index("ix_sessions_org_owner", "org_id", "owner_id", "id"),
        Index("ix_sessions_org_team", "org_id", "team_id", "id"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    # NO ACTION, checked at the end of the statement: deleting a member who owns sessions is refused
    # (by the service, with a message), while deleting a whole organisation cascades through both.
    owner_id: Mapped[str] = mapped_column(ForeignKey("memberships.id"))
    created_by: Mapped[str | None] = mapped_column(ID)
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    location_id: Mapped[str | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))
    patient_id: Mapped[str | None] = mapped_column(ForeignKey("patients.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_at: Mapped[datetime]


class SessionShare(Base):
    __tablename__ = "session_shares"
    __table_args__ = (Index("ix_session_shares_member", "membership_id", "session_id"),)

    session_id: Mapped[str] = mapped_column(ForeignKey("clinical_sessions.id", ondelete="CASCADE"), primary_key=True)
    membership_id: Mapped[str] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    level: Mapped[str] = mapped_column(String(10))
    created_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]
