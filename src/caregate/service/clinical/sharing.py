"""Direct sharing of a session: `view`, `edit`, `full`; add, change, remove; the person shared with is told.

The session's owner and `full` holders share (`sessions:share`). A share reaches anyone in the
organisation, on any team, whose roles give some access to clinical sessions — never a Template
Manager (nor Front Desk, Billing, Inventory or Call Center: they have no clinical records), never
anyone outside the organisation. Shares are grants: they add access and never remove it.
"""

from __future__ import annotations

from caregate.engine import Action, Feature, ShareLevel
from caregate.service.actors import Actor
from caregate.service.authz import authorize
from caregate.service.clinical import common
from caregate.service.clinical import views as v
from caregate.service.clinical.kinds import session_resource
from caregate.service.clinical.reading import kind as kind_of
from caregate.service.clinical.reading import load
from caregate.service.context import UnitOfWork
from caregate.service.errors import Invalid, NotFound
from caregate.store import records, repo
from caregate.store.clinical import Notification, SessionShare

LEVEL_TEXT = {"view": "view (read only)", "edit": "edit (notes, status, documents, context, patient profile)",
              "full": "full access (edit and share onwards)"}


def _view(share: SessionShare) -> v.ShareView:
    return v.ShareView(session_id=share.session_id, member_id=share.membership_id, level=share.level,
                       created_by=share.created_by, created_at=share.created_at)


def list_shares(uow: UnitOfWork, actor: Actor, *, session_id: str) -> list[v.ShareView]:
    """Who the session is shared with (anyone who may read the session may see it)."""
    row, facts = load(uow, actor, kind_of("sessions"), session_id)
    authorize(uow, actor, Action.READ, session_resource(row, facts), patient_id=row.patient_id)
    return [_view(s) for s in facts.shares.get(row.id, [])]


def _level(level: str) -> ShareLevel:
    try:
        return ShareLevel(level)
    except ValueError:
        raise Invalid("share level must be view, edit or full") from None


def share(uow: UnitOfWork, actor: Actor, *, session_id: str, member_id: str, level: str) -> v.ShareView:
    """Share with a member, or change their level; they are notified in the app and by email."""
    chosen = _level(level)
    row, facts = load(uow, actor, kind_of("sessions"), session_id, lock=True)
    decision = authorize(uow, actor, Action.SHARE, session_resource(row, facts), patient_id=row.patient_id)
    target = common.member(uow, actor, member_id, what="the member to share with")
    if target.id == row.owner_id:
        raise Invalid("the session's owner already has full access to it")
    if target.id == actor.member_id:
        raise Invalid("you cannot change your own access to a session")
    if Feature.SESSIONS not in common.subject_of(uow, actor, target).index.features:
        raise Invalid(f"member {target.id} cannot receive a share: their roles give no access to clinical sessions "
                      "(Template Managers and roles without clinical records are never share targets)")
    existing = records.get_share(uow.session, session_id=row.id, member_id=target.id)
    before = existing.level if existing else None
    if existing is None:
        existing = SessionShare(session_id=row.id, membership_id=target.id, org_id=row.org_id, level=str(chosen),
                                created_by=actor.member_id, created_at=uow.now)
        uow.session.add(existing)
    else:
        existing.level = str(chosen)
    uow.session.flush()
    if before != str(chosen):
        sharer = repo.get_user(uow.session, user_id=actor.user_id)
        who = (sharer.name or sharer.email) if sharer else "A colleague"
        verb = "shared a clinical session with you" if before is None else "changed your access to a clinical session"
        common.notify(uow, actor, target, kind="session_shared", title=f"{who} {verb}",
                      body=f"{who} {verb}: {LEVEL_TEXT[str(chosen)]}.", object_type="sessions", object_id=row.id,
                      link=f"/sessions/{row.id}")
    uow.record("sessions.share", org_id=actor.org_id, actor=actor, object_type="sessions", object_id=row.id,
               patient_id=row.patient_id, decision=decision, before={"member_id": target.id, "level": before},
               after={"member_id": target.id, "level": str(chosen)})
    return _view(existing)


def unshare(uow: UnitOfWork, actor: Actor, *, session_id: str, member_id: str) -> None:
    """Remove a member's share (the owner or a `full` holder); it stops at their very next request."""
    row, facts = load(uow, actor, kind_of("sessions"), session_id, lock=True)
    decision = authorize(uow, actor, Action.SHARE, session_resource(row, facts), patient_id=row.patient_id)
    existing = records.get_share(uow.session, session_id=row.id, member_id=member_id)
    if existing is None:
        raise NotFound(f"session {row.id} is not shared with {member_id}")
    before = existing.level
    records.delete_object(uow.session, existing)
    uow.record("sessions.unshare", org_id=actor.org_id, actor=actor, object_type="sessions", object_id=row.id,
               patient_id=row.patient_id, decision=decision, before={"member_id": member_id, "level": before})


# --- notifications ---------------------------------------------------------------------------------

def _notification(n: object) -> v.NotificationView:
    return v.NotificationView.model_validate(n, from_attributes=True)


def notifications(uow: UnitOfWork, actor: Actor, *, unread_only: bool = False, after: str | None = None,
                  limit: int = 50) -> v.NotificationPage:
    """The caller's own notifications, newest first (nobody reads another member's)."""
    rows = records.notifications(uow.session, org_id=actor.org_id, member_id=actor.member_id,
                                 unread_only=unread_only, after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return v.NotificationPage(items=[_notification(n) for n in rows],
                              unread=records.unread_count(uow.session, org_id=actor.org_id, member_id=actor.member_id),
                              next_cursor=rows[-1].id if more and rows else None)


def mark_read(uow: UnitOfWork, actor: Actor, *, notification_id: str | None = None) -> int:
    """Mark one of the caller's notifications read (or all of them); return how many changed."""
    if notification_id is not None:
        found = records.get(uow.session, Notification, org_id=actor.org_id, object_id=notification_id)
        if found is None or found.membership_id != actor.member_id:
            raise NotFound(f"notification {notification_id} not found")
    return records.mark_read(uow.session, org_id=actor.org_id, member_id=actor.member_id,
                             notification_id=notification_id, now=uow.now)
