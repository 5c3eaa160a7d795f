"""Access that ends on its own: temporary members, and access that lapses after days without use.

- A **temporary member** has `access_until`: from then on they are disabled. It is set when inviting
  or later (`PUT /members/{id}/access-until`), by whoever may disable the member (`members:disable`,
  with its rank and Owner rules); an Owner is never temporary.
- **Inactivity**: with the security policy's `inactivity_days` (0, the default, turns it off), a
  person who has made no request as a member of the organisation for that many days is disabled.
  Activity is the member's own requests (`member_activity`, written at most hourly, in a table of
  its own so that it never locks the membership); a member who never made one counts from their
  activation.

Either way caregate disables the member exactly as an administrator would (data stays, login
sessions end, an administrator re-enables them), records `members.lapsed` with the reason and no
actor, and refuses the request with that reason. It happens at the member's next request, or when
`caregate members lapse` runs (for cron; `members.lapse_all`), whichever comes first. The last active
Owner never lapses: an organisation always keeps a way in. Enabling the member again counts as
activity and clears an end date that has passed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from caregate.engine import Decision, Reason, ReasonKind
from caregate.engine.catalog import OWNER
from caregate.identity.policy import SecurityPolicy
from caregate.service import sessions
from caregate.service.context import UnitOfWork
from caregate.service.errors import Forbidden, KeepChanges
from caregate.store import repo
from caregate.store.tables import Membership, Organisation, User

ACTIVITY_RESOLUTION = timedelta(hours=1)  # last_active_at is written at most this often per member


def why(policy: SecurityPolicy, member: Membership, now: datetime, *, last_active: datetime | None,
        person: bool = True) -> str | None:
    """Why the member's access has ended on its own by `now`, or None while it has not. Inactivity is
    a person's: a service account's keys have expiry dates of their own."""
    if member.status != "active":
        return None
    if member.access_until is not None and now >= member.access_until:
        return f"this member's temporary access ended at {member.access_until:%Y-%m-%d %H:%M} UTC"
    days = policy.inactivity_days
    if days and person:
        since = last_active or member.activated_at or member.created_at
        if now - since >= timedelta(days=days):
            return f"this member's access lapsed after {days} days without use"
    return None


def _last_active_owner(uow: UnitOfWork, org_id: str, member: Membership) -> bool:
    return repo.members_with_role(uow.session, org_id=org_id, role_key=OWNER, statuses=["active"]) == [member.id]


def disable(uow: UnitOfWork, org: Organisation, member: Membership, user: User, reason: str) -> bool:
    """Disable the member as their access has ended; False (nothing done) for the last active Owner."""
    if _last_active_owner(uow, org.id, member):
        return False
    member.status, member.status_changed_at = "disabled", uow.now
    sessions.end_all(uow, user.id, reason="member-lapsed")
    uow.record("members.lapsed", org_id=org.id, actor=None, object_type="members", object_id=member.id,
               actor_member_id=None, actor_user_id=None, before={"status": "active"},
               after={"status": "disabled"}, detail={"why": reason})
    return True


def on_request(uow: UnitOfWork, org: Organisation, member: Membership, user: User, policy: SecurityPolicy) -> None:
    """At each request as a member: end access that has ended (refusing the request), or note the activity."""
    if member.status != "active":
        return
    last = repo.last_active(uow.session, member_ids=[member.id]).get(member.id)
    reason = why(policy, member, uow.now, last_active=last, person=user.kind == "person")
    if reason is not None and disable(uow, org, member, user, reason):
        decision = Decision(False, (Reason(ReasonKind.STATUS, "status:lapsed",
                                           f"{reason}; an Owner or Administrator can enable it again"),))
        raise KeepChanges(Forbidden(decision))
    if last is None or uow.now - last >= ACTIVITY_RESOLUTION:
        repo.note_activity(uow.session, member_id=member.id, at=uow.now)
