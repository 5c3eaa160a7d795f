"""Queries of the foundation. Every function takes the session first and keyword arguments after;
every tenant query names its organisation."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from caregate.store import records
from caregate.store.clinical import CareTeamMember, ClinicalSession, Patient, SessionShare
from caregate.store.tables import (
    AuthToken,
    CustomRole,
    Invitation,
    Location,
    MemberActivity,
    MemberLocation,
    Membership,
    Organisation,
    OutboxMessage,
    RoleAssignmentRow,
    SeatCharge,
    Team,
    TeamMember,
    User,
)

__all__ = ["Session"]


# --- organisations -------------------------------------------------------------------------------

def get_org(s: Session, *, org_id: str, lock: bool = False) -> Organisation | None:
    """The organisation; with lock=True its row stays locked until the transaction ends (PostgreSQL),
    which serialises the changes that must see each other (owners, seats)."""
    stmt = select(Organisation).where(Organisation.id == org_id)
    if lock:
        stmt = stmt.with_for_update()
    return s.scalars(stmt).one_or_none()


def org_ids(s: Session) -> list[str]:
    return list(s.scalars(select(Organisation.id).order_by(Organisation.id)))


def orgs_of_user(s: Session, *, user_id: str) -> list[tuple[Organisation, Membership]]:
    stmt = (select(Organisation, Membership).join(Membership, Membership.org_id == Organisation.id)
            .where(Membership.user_id == user_id).order_by(Organisation.name))
    return [(o, m) for o, m in s.execute(stmt).all()]


# --- users and memberships -----------------------------------------------------------------------

def get_user(s: Session, *, user_id: str) -> User | None:
    return s.get(User, user_id)


def user_by_email(s: Session, *, email: str) -> User | None:
    return s.scalars(select(User).where(User.email == email.lower())).one_or_none()


def get_member(s: Session, *, org_id: str, member_id: str) -> Membership | None:
    return s.scalars(select(Membership).where(Membership.org_id == org_id, Membership.id == member_id)).one_or_none()


def member_of_user(s: Session, *, org_id: str, user_id: str) -> Membership | None:
    stmt = select(Membership).where(Membership.org_id == org_id, Membership.user_id == user_id)
    return s.scalars(stmt).one_or_none()


def member_by_email(s: Session, *, org_id: str, email: str) -> Membership | None:
    stmt = (select(Membership).join(User, User.id == Membership.user_id)
            .where(Membership.org_id == org_id, User.email == email.lower()))
    return s.scalars(stmt).one_or_none()


def active_members(s: Session, *, org_id: str) -> list[tuple[Membership, User]]:
    stmt = (select(Membership, User).join(User, User.id == Membership.user_id)
            .where(Membership.org_id == org_id, Membership.status == "active").order_by(Membership.id))
    return [(row[0], row[1]) for row in s.execute(stmt).all()]


def users_by_id(s: Session, *, user_ids: Iterable[str]) -> dict[str, User]:
    ids = list(set(user_ids))
    if not ids:
        return {}
    return {u.id: u for u in s.scalars(select(User).where(User.id.in_(ids)))}


def last_active(s: Session, *, member_ids: Sequence[str]) -> dict[str, datetime]:
    if not member_ids:
        return {}
    stmt = select(MemberActivity.membership_id, MemberActivity.at).where(
        MemberActivity.membership_id.in_(sorted(set(member_ids))))
    return {str(m): at for m, at in s.execute(stmt).all()}


def note_activity(s: Session, *, member_id: str, at: datetime) -> None:
    """Record a member's activity (an upsert, safe under concurrent requests; it locks only this row)."""
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(MemberActivity).values(membership_id=member_id, at=at)
    s.execute(stmt.on_conflict_do_update(index_elements=["membership_id"], set_={"at": at}))


def roles_of(s: Session, *, member_ids: Sequence[str]) -> dict[str, list[RoleAssignmentRow]]:
    out: dict[str, list[RoleAssignmentRow]] = defaultdict(list)
    if member_ids:
        stmt = (select(RoleAssignmentRow).where(RoleAssignmentRow.membership_id.in_(member_ids))
                .order_by(RoleAssignmentRow.created_at, RoleAssignmentRow.id))
        for row in s.scalars(stmt):
            out[row.membership_id].append(row)
    return out


def teams_of(s: Session, *, member_ids: Sequence[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    if member_ids:
        for team_id, member_id in s.execute(
                select(TeamMember.team_id, TeamMember.membership_id).where(TeamMember.membership_id.in_(member_ids))):
            out[member_id].add(team_id)
    return out


def locations_of(s: Session, *, member_ids: Sequence[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    if member_ids:
        stmt = select(MemberLocation.location_id, MemberLocation.membership_id).where(
            MemberLocation.membership_id.in_(member_ids))
        for location_id, member_id in s.execute(stmt):
            out[member_id].add(location_id)
    return out


def replace_roles(s: Session, *, member_id: str, rows: Sequence[RoleAssignmentRow]) -> None:
    """The member's roles become `rows`; roles delegated to them stay until their end (or until ended)."""
    s.execute(delete(RoleAssignmentRow).where(RoleAssignmentRow.membership_id == member_id,
                                              RoleAssignmentRow.delegated_by.is_(None)))
    s.add_all(rows)


def replace_teams(s: Session, *, org_id: str, member_id: str, team_ids: Iterable[str]) -> None:
    s.execute(delete(TeamMember).where(TeamMember.membership_id == member_id))
    s.add_all(TeamMember(team_id=t, membership_id=member_id, org_id=org_id) for t in sorted(set(team_ids)))


def replace_locations(s: Session, *, org_id: str, member_id: str, location_ids: Iterable[str]) -> None:
    s.execute(delete(MemberLocation).where(MemberLocation.membership_id == member_id))
    s.add_all(MemberLocation(location_id=loc, membership_id=member_id, org_id=org_id)
              for loc in sorted(set(location_ids)))


def members_with_role(s: Session, *, org_id: str, role_key: str, statuses: Sequence[str]) -> list[str]:
    stmt = (select(Membership.id).join(RoleAssignmentRow, RoleAssignmentRow.membership_id == Membership.id)
            .where(Membership.org_id == org_id, RoleAssignmentRow.role_key == role_key,
                   RoleAssignmentRow.team_id.is_(None), RoleAssignmentRow.location_id.is_(None),
                   Membership.status.in_(statuses))
            .distinct())
    return list(s.scalars(stmt))


def member_statuses_and_roles(s: Session, *, org_id: str, statuses: Sequence[str]) -> dict[str, set[str]]:
    """Role keys of every person (not service account) in the given statuses, for seat counting."""
    stmt = (select(Membership.id, RoleAssignmentRow.role_key)
            .join(User, User.id == Membership.user_id)
            .outerjoin(RoleAssignmentRow, RoleAssignmentRow.membership_id == Membership.id)
            .where(Membership.org_id == org_id, Membership.status.in_(statuses), User.kind == "person"))
    out: dict[str, set[str]] = defaultdict(set)
    for member_id, role_key in s.execute(stmt):
        out[member_id]
        if role_key is not None:
            out[member_id].add(role_key)
    return out


def page_of_members(
    s: Session,
    *,
    org_id: str,
    visible: ColumnElement[bool],
    after: str | None,
    limit: int,
    search: str | None,
    statuses: Sequence[str] | None,
) -> tuple[list[tuple[Membership, User]], int]:
    """One page of the members `visible` selects (keyset by id), and how many it selects in all."""
    base: Select[Membership, User] = (
        select(Membership, User).join(User, User.id == Membership.user_id)
        .where(Membership.org_id == org_id, visible))
    if search:
        pattern = "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        base = base.where(or_(func.lower(User.email).like(pattern, escape="\\"),
                              func.lower(User.name).like(pattern, escape="\\")))
    if statuses:
        base = base.where(Membership.status.in_(statuses))
    total = s.scalar(select(func.count()).select_from(base.subquery())) or 0
    page = base.order_by(Membership.id).limit(limit)
    if after:
        page = page.where(Membership.id > after)
    return [(row[0], row[1]) for row in s.execute(page).all()], total


def visible_members(s: Session, *, org_id: str, visible: ColumnElement[bool], member_ids: Iterable[str]
                    ) -> list[tuple[Membership, User]]:
    """The members among `member_ids` that `visible` selects (to name people beside the ids a page shows)."""
    wanted = sorted(set(member_ids))
    if not wanted:
        return []
    stmt = (select(Membership, User).join(User, User.id == Membership.user_id)
            .where(Membership.org_id == org_id, Membership.id.in_(wanted), visible))
    return [(row[0], row[1]) for row in s.execute(stmt).all()]


def delete_member(s: Session, *, member: Membership) -> None:
    s.execute(delete(Invitation).where(Invitation.membership_id == member.id))
    records.delete_personal_templates(s, org_id=member.org_id, member_id=member.id)
    s.delete(member)


def other_memberships(s: Session, *, user_id: str, except_member: str) -> int:
    stmt = select(func.count()).select_from(Membership).where(
        Membership.user_id == user_id, Membership.id != except_member)
    return s.scalar(stmt) or 0


# --- teams, locations, custom roles --------------------------------------------------------------

def teams(s: Session, *, org_id: str) -> list[Team]:
    return list(s.scalars(select(Team).where(Team.org_id == org_id).order_by(Team.name)))


def get_team(s: Session, *, org_id: str, team_id: str) -> Team | None:
    return s.scalars(select(Team).where(Team.org_id == org_id, Team.id == team_id)).one_or_none()


def team_member_counts(s: Session, *, org_id: str) -> dict[str, int]:
    stmt = (select(TeamMember.team_id, func.count()).where(TeamMember.org_id == org_id)
            .group_by(TeamMember.team_id))
    return {team_id: int(n) for team_id, n in s.execute(stmt)}


def locations(s: Session, *, org_id: str) -> list[Location]:
    return list(s.scalars(select(Location).where(Location.org_id == org_id).order_by(Location.name)))


def get_location(s: Session, *, org_id: str, location_id: str) -> Location | None:
    stmt = select(Location).where(Location.org_id == org_id, Location.id == location_id)
    return s.scalars(stmt).one_or_none()


def location_in_use(s: Session, *, location_id: str) -> bool:
    child = s.scalar(select(func.count()).select_from(Location).where(Location.parent_id == location_id)) or 0
    return child > 0


def custom_roles(s: Session, *, org_id: str) -> list[CustomRole]:
    return list(s.scalars(select(CustomRole).where(CustomRole.org_id == org_id).order_by(CustomRole.name)))


def get_custom_role(s: Session, *, org_id: str, role_id: str) -> CustomRole | None:
    stmt = select(CustomRole).where(CustomRole.org_id == org_id, CustomRole.id == role_id)
    return s.scalars(stmt).one_or_none()


def role_holders(s: Session, *, org_id: str, role_key: str) -> int:
    stmt = select(func.count()).select_from(RoleAssignmentRow).where(
        RoleAssignmentRow.org_id == org_id, RoleAssignmentRow.role_key == role_key)
    return s.scalar(stmt) or 0


# --- invitations, tokens, outbox, seats ----------------------------------------------------------

def invitation_by_hash(s: Session, *, token_hash: str) -> Invitation | None:
    return s.scalars(select(Invitation).where(Invitation.token_hash == token_hash)).one_or_none()


def open_invitations(s: Session, *, member_id: str) -> list[Invitation]:
    stmt = select(Invitation).where(Invitation.membership_id == member_id, Invitation.accepted_at.is_(None),
                                    Invitation.revoked_at.is_(None))
    return list(s.scalars(stmt))


def token_by_hash(s: Session, *, token_hash: str) -> AuthToken | None:
    return s.scalars(select(AuthToken).where(AuthToken.token_hash == token_hash)).one_or_none()


def outbox(s: Session, *, to_address: str | None = None, unsent_only: bool = False,
           limit: int = 100) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(limit)
    if to_address:
        stmt = stmt.where(OutboxMessage.to_address == to_address.lower())
    if unsent_only:
        stmt = stmt.where(OutboxMessage.sent_at.is_(None))
    return list(s.scalars(stmt))


def seat_charges(s: Session, *, org_id: str) -> list[SeatCharge]:
    stmt = select(SeatCharge).where(SeatCharge.org_id == org_id).order_by(SeatCharge.created_at.desc())
    return list(s.scalars(stmt))


# --- clinical records a member owns ---------------------------------------------------------------

def owned_records(s: Session, *, org_id: str, member_id: str) -> tuple[int, int, int]:
    """(sessions the member owns, patients whose only care-team member is this member, appointments they provide)."""
    sessions = s.scalar(select(func.count()).select_from(ClinicalSession).where(
        ClinicalSession.org_id == org_id, ClinicalSession.owner_id == member_id)) or 0
    mine = select(CareTeamMember.patient_id).where(CareTeamMember.membership_id == member_id)
    others = select(CareTeamMember.patient_id).where(CareTeamMember.membership_id != member_id,
                                                     CareTeamMember.patient_id.in_(mine))
    sole = s.scalar(select(func.count()).select_from(Patient).where(
        Patient.org_id == org_id, Patient.id.in_(mine), Patient.id.not_in(others))) or 0
    return sessions, sole, records.owned_appointments(s, org_id=org_id, member_id=member_id)


def transfer_records(s: Session, *, org_id: str, from_member: str, to_member: str) -> tuple[int, int, int]:
    """Move the sessions, care-team places and appointments of one member to another; return how many of each."""
    sessions = list(s.scalars(select(ClinicalSession).where(
        ClinicalSession.org_id == org_id, ClinicalSession.owner_id == from_member)))
    for row in sessions:
        row.owner_id = to_member
    s.execute(delete(SessionShare).where(SessionShare.membership_id == to_member,
                                         SessionShare.session_id.in_([r.id for r in sessions])))
    places = list(s.scalars(select(CareTeamMember).where(CareTeamMember.membership_id == from_member)))
    already = set(s.scalars(select(CareTeamMember.patient_id).where(CareTeamMember.membership_id == to_member)))
    for place in places:
        s.delete(place)
        if place.patient_id not in already:
            s.add(CareTeamMember(patient_id=place.patient_id, membership_id=to_member, org_id=org_id))
    moved = records.transfer_appointments(s, org_id=org_id, from_member=from_member, to_member=to_member)
    return len(sessions), len(places), moved


def get_session(s: Session, *, org_id: str, session_id: str) -> ClinicalSession | None:
    stmt = select(ClinicalSession).where(ClinicalSession.org_id == org_id, ClinicalSession.id == session_id)
    return s.scalars(stmt).one_or_none()


def shares_of(s: Session, *, session_id: str) -> list[SessionShare]:
    return list(s.scalars(select(SessionShare).where(SessionShare.session_id == session_id)))


def get_patient(s: Session, *, org_id: str, patient_id: str) -> Patient | None:
    return s.scalars(select(Patient).where(Patient.org_id == org_id, Patient.id == patient_id)).one_or_none()


def care_team(s: Session, *, patient_id: str) -> set[str]:
    stmt = select(CareTeamMember.membership_id).where(CareTeamMember.patient_id == patient_id)
    return set(s.scalars(stmt))


def expire_tokens(s: Session, *, user_id: str, now: datetime) -> int:
    rows = list(s.scalars(select(AuthToken).where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None))))
    for row in rows:
        row.revoked_at = now
    return len(rows)

