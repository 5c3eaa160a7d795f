"""Direct sharing of a session: `view`, `edit`, `full`; add, change, remove; the person shared with is told.

The session's owner and `full` holders share (`sessions:share`). A share reaches anyone in the
organisation, on any team, whose roles give some access to clinical sessions — never a Template
Manager (nor Front Desk, Billing, Inventory or Call Center: they have no clinical records), never
anyone outside the organisation. Shares are grants: they add access and never remove it.
"""

from __future__ import annotations

from caregate.engine import Action, Feature, GrantKind, ShareLevel
from caregate.engine.decide import grant_reaches
from caregate.engine.filters import predicate_for
from caregate.service.actors import Actor
from caregate.service.authz import authorize
from caregate.service.clinical import common
from caregate.service.clinical import views as v
from caregate.service.clinical.kinds import session_resource
from caregate.service.clinical.reading import kind as kind_of
from caregate.service.clinical.reading import load
from caregate.service.context import UnitOfWork
from caregate.service.errors import Invalid, NotFound
from caregate.store import mappings, records, repo
from caregate.store.clinical import Notification, SessionShare
from caregate.store.filters import compile_predicate
from caregate.store.tables import Membership

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


def _may_receive(uow: UnitOfWork, actor: Actor, target: Membership) -> bool:
    """Whether a share can reach the member at all (the engine's rule: their roles give clinical sessions)."""
    return grant_reaches(GrantKind.SHARE, Feature.SESSIONS, common.subject_of(uow, actor, target).index.features)


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
    if not _may_receive(uow, actor, target):
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
                      link=f"/o/{actor.org_id}/sessions/{row.id}")  # the console's session page
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


TARGET_CANDIDATES = 50  # members matching a search that are asked about, for the first few that may receive


def share_targets(uow: UnitOfWork, actor: Actor, *, session_id: str, search: str = "",
                  limit: int = 10) -> list[v.TargetView]:
    """Colleagues matching `search` (name or email) the caller could share the session with now.

    The caller must be allowed to share it. Candidates are the active members the caller may read,
    found in the database; each is then asked of the engine (a share reaches them), and the owner, the
    caller and those already holding a share are left out."""
    row, facts = load(uow, actor, kind_of("sessions"), session_id)
    authorize(uow, actor, Action.SHARE, session_resource(row, facts), patient_id=row.patient_id)
    if not 1 <= limit <= TARGET_CANDIDATES:
        raise Invalid(f"limit must be between 1 and {TARGET_CANDIDATES}")
    visible = compile_predicate(predicate_for(actor.subject, Feature.MEMBERS, Action.READ, uow.context()),
                                mappings.MEMBERS)
    found, _ = repo.page_of_members(uow.session, org_id=actor.org_id, visible=visible, after=None,
                                    limit=TARGET_CANDIDATES, search=search.strip()[:100] or None,
                                    statuses=["active"])
    taken = {row.owner_id, actor.member_id, *(s.membership_id for s in facts.shares.get(row.id, []))}
    out: list[v.TargetView] = []
    for member, user in sorted(found, key=lambda pair: ((pair[1].name or pair[1].email).lower(), pair[1].email)):
        if member.id in taken or user.kind != "person" or not _may_receive(uow, actor, member):
            continue
        out.append(v.TargetView(member_id=member.id, name=user.name, email=user.email))
        if len(out) == limit:
            break
    return out


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


def unread(uow: UnitOfWork, actor: Actor) -> int:
    """How many of the caller's own notifications are unread (the console's bell)."""
    return records.unread_count(uow.session, org_id=actor.org_id, member_id=actor.member_id)


def _own(uow: UnitOfWork, actor: Actor, notification_id: str) -> Notification:
    found = records.get(uow.session, Notification, org_id=actor.org_id, object_id=notification_id)
    if found is None or found.membership_id != actor.member_id:
        raise NotFound(f"notification {notification_id} not found")
    return found


def open_notification(uow: UnitOfWork, actor: Actor, *, notification_id: str) -> v.NotificationView:
    """One of the caller's notifications, marked read now that they open it."""
    found = _own(uow, actor, notification_id)
    records.mark_read(uow.session, org_id=actor.org_id, member_id=actor.member_id, notification_id=found.id,
                      now=uow.now)
    uow.session.refresh(found)
    return _notification(found)


def mark_read(uow: UnitOfWork, actor: Actor, *, notification_id: str | None = None) -> int:
    """Mark one of the caller's notifications read (or all of them); return how many changed."""
    if notification_id is not None:
        _own(uow, actor, notification_id)
    return records.mark_read(uow.session, org_id=actor.org_id, member_id=actor.member_id,
                             notification_id=notification_id, now=uow.now)
