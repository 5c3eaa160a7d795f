"""Where each table keeps what the engine's `Resource` carries, for compiling list filters."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, select

from caregate.engine.catalog import SHARE_LEVELS
from caregate.engine.filters import HasGrant
from caregate.store.clinical import CareTeamMember, ClinicalSession, SessionShare
from caregate.store.filters import Link, Mapping
from caregate.store.tables import MemberLocation, Membership, TeamMember


def _session_share(pred: HasGrant) -> ColumnElement[bool]:
    if not pred.shares_allowed:
        return false()
    levels = sorted(str(level) for level, permits in SHARE_LEVELS.items() if pred.key in permits)
    if not levels:
        return false()
    return exists(select(1).where(and_(SessionShare.session_id == ClinicalSession.id,
                                       SessionShare.membership_id == pred.member_id,
                                       SessionShare.level.in_(levels))))


MEMBERS = Mapping(
    id=Membership.id,
    owner=Membership.id,
    team=Link(TeamMember.membership_id, TeamMember.team_id),
    location=Link(MemberLocation.membership_id, MemberLocation.location_id),
)

SESSIONS = Mapping(
    id=ClinicalSession.id,
    owner=ClinicalSession.owner_id,
    created_by=ClinicalSession.created_by,
    team=ClinicalSession.team_id,
    location=ClinicalSession.location_id,
    assigned=Link(CareTeamMember.patient_id, CareTeamMember.membership_id, key=ClinicalSession.patient_id),
    grants=_session_share,
)
