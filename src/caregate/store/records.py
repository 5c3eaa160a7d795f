"""Queries of the clinical workspace: single objects by id and the facts their access depends on, loaded
for a whole page at once (shares, care teams, explicit patient access, template teams, room members).

Every function takes the session first and keyword arguments after; every tenant query names its org.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from caregate.store.clinical import (
    AccessRequest,
    AccessRequestApproval,
    Appointment,
    CareTeamMember,
    ClinicalSession,
    Invoice,
    Notification,
    PatientAccess,
    Room,
    RoomMember,
    SessionNote,
    SessionShare,
    SessionTranscript,
    Template,
    TemplateTeam,
)

T = TypeVar("T")


def get(s: Session, model: type[T], *, org_id: str, object_id: str, lock: bool = False) -> T | None:
    """One object of a tenant table by id, only in the given organisation. With lock=True its row stays
    locked until the transaction ends (PostgreSQL), so two changes of what hangs from it run one at a time."""
    table: Any = model
    stmt = select(model).where(table.org_id == org_id, table.id == object_id)
    return s.scalars(stmt.with_for_update() if lock else stmt).one_or_none()


def by_ids(s: Session, model: type[T], *, org_id: str, ids: Iterable[str]) -> dict[str, T]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    table: Any = model
    return {r.id: r for r in s.scalars(select(model).where(table.org_id == org_id, table.id.in_(wanted)))}  # type: ignore[attr-defined]


def _grouped(rows: Iterable[Any], key: str) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        out[getattr(row, key)].append(row)
    return out


# --- facts access depends on -----------------------------------------------------------------------

def shares_of_sessions(s: Session, *, session_ids: Sequence[str]) -> dict[str, list[SessionShare]]:
    if not session_ids:
        return {}
    stmt = select(SessionShare).where(SessionShare.session_id.in_(sorted(set(session_ids))))
    return _grouped(s.scalars(stmt.order_by(SessionShare.created_at, SessionShare.membership_id)), "session_id")


def shares_of_patients(s: Session, *, patient_ids: Sequence[str]) -> dict[str, list[SessionShare]]:
    """The shares of every session of each patient (an edit or full share reaches the patient's profile)."""
    if not patient_ids:
        return {}
    stmt = (select(ClinicalSession.patient_id, SessionShare)
            .join(ClinicalSession, ClinicalSession.id == SessionShare.session_id)
            .where(ClinicalSession.patient_id.in_(sorted(set(patient_ids)))))
    out: dict[str, list[SessionShare]] = defaultdict(list)
    for patient_id, share in s.execute(stmt):
        if patient_id is not None:
            out[patient_id].append(share)
    return out


def care_teams(s: Session, *, patient_ids: Iterable[str]) -> dict[str, set[str]]:
    wanted = sorted({p for p in patient_ids if p})
    out: dict[str, set[str]] = defaultdict(set)
    if wanted:
        stmt = select(CareTeamMember.patient_id, CareTeamMember.membership_id).where(
            CareTeamMember.patient_id.in_(wanted))
        for patient_id, member_id in s.execute(stmt):
            out[patient_id].add(member_id)
    return out


def patient_access(s: Session, *, patient_ids: Iterable[str]) -> dict[str, list[PatientAccess]]:
    wanted = sorted({p for p in patient_ids if p})
    if not wanted:
        return {}
    stmt = select(PatientAccess).where(PatientAccess.patient_id.in_(wanted)).order_by(PatientAccess.id)
    return _grouped(s.scalars(stmt), "patient_id")


def emergency_access(s: Session, *, org_id: str, member_id: str | None, status: str | None, now: datetime,
                     before_id: str | None, limit: int) -> tuple[list[PatientAccess], int]:
    """Break-glass access of an organisation (or of one member), newest first, and how many match.

    `status`: `active` (until still ahead), `awaiting_review` (over, not reviewed) or `reviewed`."""
    where = [PatientAccess.org_id == org_id, PatientAccess.kind == "break_glass"]
    if member_id is not None:
        where.append(PatientAccess.membership_id == member_id)
    if status == "active":
        where.append(PatientAccess.until > now)
    elif status == "awaiting_review":
        where += [PatientAccess.until <= now, PatientAccess.review_outcome.is_(None)]
    elif status == "reviewed":
        where.append(PatientAccess.review_outcome.is_not(None))
    total = s.scalar(select(func.count()).select_from(PatientAccess).where(*where)) or 0
    if before_id is not None:
        where.append(PatientAccess.id < before_id)
    rows = s.scalars(select(PatientAccess).where(*where).order_by(PatientAccess.id.desc()).limit(limit))
    return list(rows), total


def access_request_answers(s: Session, *, request_ids: Sequence[str]) -> dict[str, list[AccessRequestApproval]]:
    if not request_ids:
        return {}
    stmt = select(AccessRequestApproval).where(AccessRequestApproval.request_id.in_(sorted(set(request_ids)))) \
        .order_by(AccessRequestApproval.at, AccessRequestApproval.approver_id)
    return _grouped(s.scalars(stmt), "request_id")


def pending_access_request(s: Session, *, org_id: str, patient_id: str, member_id: str) -> AccessRequest | None:
    stmt = select(AccessRequest).where(AccessRequest.org_id == org_id, AccessRequest.patient_id == patient_id,
                                       AccessRequest.membership_id == member_id, AccessRequest.status == "pending")
    return s.scalars(stmt.limit(1)).first()


def access_requests(s: Session, *, org_id: str, member_id: str | None, status: str | None, before_id: str | None,
                    limit: int) -> tuple[list[AccessRequest], int]:
    """Access requests of an organisation (or of one member), newest first, and how many match."""
    where = [AccessRequest.org_id == org_id]
    if member_id is not None:
        where.append(AccessRequest.membership_id == member_id)
    if status is not None:
        where.append(AccessRequest.status == status)
    total = s.scalar(select(func.count()).select_from(AccessRequest).where(*where)) or 0
    if before_id is not None:
        where.append(AccessRequest.id < before_id)
    rows = s.scalars(select(AccessRequest).where(*where).order_by(AccessRequest.id.desc()).limit(limit))
    return list(rows), total


def template_teams(s: Session, *, template_ids: Sequence[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    if template_ids:
        stmt = select(TemplateTeam.template_id, TemplateTeam.team_id).where(
            TemplateTeam.template_id.in_(sorted(set(template_ids))))
        for template_id, team_id in s.execute(stmt):
            out[template_id].add(team_id)
    return out


def room_members(s: Session, *, room_ids: Sequence[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    if room_ids:
        stmt = select(RoomMember.room_id, RoomMember.membership_id).where(RoomMember.room_id.in_(sorted(set(room_ids))))
        for room_id, member_id in s.execute(stmt):
            out[room_id].add(member_id)
    return out


# --- changes ---------------------------------------------------------------------------------------

def get_share(s: Session, *, session_id: str, member_id: str) -> SessionShare | None:
    return s.get(SessionShare, (session_id, member_id))


def note(s: Session, *, session_id: str) -> SessionNote | None:
    return s.get(SessionNote, session_id)


def transcript(s: Session, *, session_id: str) -> SessionTranscript | None:
    return s.get(SessionTranscript, session_id)


def set_care_team(s: Session, *, org_id: str, patient_id: str, member_id: str, on: bool) -> bool:
    """Add or remove one member of a patient's care team; return whether anything changed."""
    place = s.get(CareTeamMember, (patient_id, member_id))
    if on and place is None:
        s.add(CareTeamMember(patient_id=patient_id, membership_id=member_id, org_id=org_id))
        return True
    if not on and place is not None:
        s.delete(place)
        return True
    return False


def replace_template_teams(s: Session, *, org_id: str, template_id: str, team_ids: Iterable[str]) -> None:
    s.execute(delete(TemplateTeam).where(TemplateTeam.template_id == template_id))
    s.add_all(TemplateTeam(template_id=template_id, team_id=t, org_id=org_id) for t in sorted(set(team_ids)))


def set_room_member(s: Session, *, org_id: str, room_id: str, member_id: str, on: bool) -> bool:
    place = s.get(RoomMember, (room_id, member_id))
    if on and place is None:
        s.add(RoomMember(room_id=room_id, membership_id=member_id, org_id=org_id))
        return True
    if not on and place is not None:
        s.delete(place)
        return True
    return False


def personal_room(s: Session, *, org_id: str, member_id: str) -> Room | None:
    return s.scalars(select(Room).where(Room.org_id == org_id, Room.personal_owner == member_id)).one_or_none()


def records_of_patient(s: Session, *, org_id: str, patient_id: str) -> dict[str, int]:
    """Clinical and billing records that keep a patient from being deleted."""
    counts = {}
    for name, model in (("sessions", ClinicalSession), ("appointments", Appointment), ("invoices", Invoice)):
        table: Any = model
        counts[name] = s.scalar(select(func.count()).select_from(model).where(
            table.org_id == org_id, table.patient_id == patient_id)) or 0
    return counts


def delete_object(s: Session, row: object) -> None:
    """Delete a row; the database removes what hangs from it (shares, grants, parts) in the same statement."""
    s.delete(row)
    s.flush()


# --- notifications ---------------------------------------------------------------------------------

def notifications(s: Session, *, org_id: str, member_id: str, unread_only: bool, after: str | None,
                  limit: int) -> list[Notification]:
    """Newest first; `after` continues below the given id."""
    stmt = select(Notification).where(Notification.org_id == org_id, Notification.membership_id == member_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    if after:
        stmt = stmt.where(Notification.id < after)
    return list(s.scalars(stmt.order_by(Notification.id.desc()).limit(limit)))


def unread_count(s: Session, *, org_id: str, member_id: str) -> int:
    return s.scalar(select(func.count()).select_from(Notification).where(
        Notification.org_id == org_id, Notification.membership_id == member_id, Notification.read_at.is_(None))) or 0


def mark_read(s: Session, *, org_id: str, member_id: str, notification_id: str | None, now: datetime) -> int:
    stmt = update(Notification).where(Notification.org_id == org_id, Notification.membership_id == member_id,
                                      Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    return int(s.execute(stmt.values(read_at=now)).rowcount or 0)  # type: ignore[attr-defined]


# --- what a member owns ----------------------------------------------------------------------------

def owned_appointments(s: Session, *, org_id: str, member_id: str) -> int:
    return s.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.org_id == org_id, Appointment.provider_id == member_id)) or 0


def overlapping_appointments(s: Session, *, org_id: str, provider_id: str, starts_at: datetime, ends_at: datetime,
                             except_id: str | None, statuses: Sequence[str]) -> int:
    stmt = select(func.count()).select_from(Appointment).where(
        Appointment.org_id == org_id, Appointment.provider_id == provider_id, Appointment.status.in_(statuses),
        Appointment.starts_at < ends_at, Appointment.ends_at > starts_at)
    if except_id is not None:
        stmt = stmt.where(Appointment.id != except_id)
    return s.scalar(stmt) or 0


def transfer_appointments(s: Session, *, org_id: str, from_member: str, to_member: str) -> int:
    result = s.execute(update(Appointment).where(Appointment.org_id == org_id, Appointment.provider_id == from_member)
                       .values(provider_id=to_member))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def delete_personal_templates(s: Session, *, org_id: str, member_id: str) -> int:
    """A member's personal templates go with their account; shared and published ones stay (owner cleared)."""
    result = s.execute(delete(Template).where(Template.org_id == org_id, Template.owner_id == member_id,
                                              Template.visibility == "personal"))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
