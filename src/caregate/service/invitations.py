"""Invitations: invite by email (with the seat quote confirmed first), resend, revoke, accept.

An invitation is a single-use, expiring link whose token is stored only as its hash; it goes out through
the outbox. Accepting sets the password (or proves the existing one) and activates the membership; the
seat is charged from acceptance, pro-rated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from caregate.engine import Action, Role
from caregate.engine.catalog import OWNER
from caregate.identity import secrets as tokens
from caregate.identity.passwords import password_problems
from caregate.service import mail, resources, seats
from caregate.service.actors import Actor, max_rank, org_roles
from caregate.service.authz import authorize
from caregate.service.context import UnitOfWork
from caregate.service.errors import ConfirmationRequired, Conflict, Invalid, NotFound
from caregate.service.members import (
    RoleGrant,
    check_grants,
    check_structure,
    grant_rows,
    grants_data,
    load_target,
    member_views,
    normal_email,
    target_resource,
)
from caregate.service.views import InviteResult, QuoteView
from caregate.store import repo
from caregate.store.ids import new_id
from caregate.store.tables import Invitation, Membership, Organisation, User

INVITE_PREFIX = "cgi"


def quote_view(q: seats.Quote) -> QuoteView:
    return QuoteView(seat_type=str(q.seat), billed_before=q.billed_before, billed_after=q.billed_after,
                     purchased=q.purchased, seats_to_buy=q.seats_to_buy, amount_cents=q.amount_cents,
                     currency=q.currency, remaining_days=q.remaining_days, term_days=q.term_days,
                     term_end=q.term_end, explanation=q.explanation)


def quote_for(uow: UnitOfWork, org: Organisation, role_keys: Sequence[str], roles: Mapping[str, Role]) -> seats.Quote:
    before = seats.count(uow.session, org_id=org.id, roles=roles)
    seat = seats.seat_type(role_keys, roles)
    return seats.quote(org, before, before.plus(seat), seat, uow.now)


def _send_invitation(uow: UnitOfWork, org: Organisation, member: Membership, user: User, actor: Actor | None,
                     *, purpose: str = "invite") -> datetime:
    token = tokens.new_token(INVITE_PREFIX)
    expires = uow.now + timedelta(hours=uow.services.settings.invitation_ttl_hours)
    uow.session.add(Invitation(id=new_id("inv"), org_id=org.id, membership_id=member.id,
                               token_hash=tokens.token_hash(token), created_at=uow.now, expires_at=expires,
                               created_by=actor.member_id if actor else None))
    link = f"{uow.services.settings.public_url.rstrip('/')}/accept?token={token}"
    who = f"{actor.email} invited you" if actor else "You have been added"
    body = (f"{who} to {org.name} on caregate.\n\nSet your password and activate your account here "
            f"(the link works once, until {expires:%Y-%m-%d %H:%M} UTC):\n\n{link}\n\n"
            f"Or with the API: POST /v1/invitations/accept with {{\"token\": \"{token}\", \"password\": ...}}\n")
    mail.enqueue(uow, to=user.email, subject=f"Your invitation to {org.name}", body=body, kind=purpose,
                 org_id=org.id)
    return expires


def send_password_link(uow: UnitOfWork, org: Organisation, member: Membership, user: User) -> datetime:
    """Email a single-use link to set a first password (an owner created from the command line)."""
    return _send_invitation(uow, org, member, user, None, purpose="set_password")


def invite(uow: UnitOfWork, actor: Actor, *, email: str, name: str = "", grants: Sequence[RoleGrant],
           team_ids: Sequence[str] = (), location_ids: Sequence[str] = (), title: str = "",
           confirm_charge_cents: int | None = None, access_until: datetime | None = None) -> InviteResult:
    """Invite a person by email. A charge for a new seat must be confirmed with the quoted amount."""
    email = normal_email(email)
    org = repo.get_org(uow.session, org_id=actor.org_id, lock=True)
    if org is None:
        raise NotFound("organisation not found")
    roles = org_roles(uow, org.id)
    keys = check_grants(uow, org, grants, roles)
    check_structure(uow, org.id, team_ids, location_ids)
    authorize(uow, actor, Action.INVITE, resources.new_member(
        org.id, teams=team_ids, locations=location_ids, new_rank=max_rank(keys, roles)))
    if access_until is not None:
        if access_until <= uow.now:
            raise Invalid("the access end date must be in the future")
        if OWNER in keys:
            raise Invalid("an Owner is never temporary; invite them without an access end date")
    user = repo.user_by_email(uow.session, email=email)
    if user is not None and (existing := repo.member_of_user(uow.session, org_id=org.id, user_id=user.id)):
        hint = "restore them instead" if existing.status == "archived" else "change their roles instead"
        raise Conflict(f"{email} is already a member of this organisation ({existing.status}); {hint}")
    quote = quote_for(uow, org, keys, roles)
    if quote.amount_cents > 0 and confirm_charge_cents != quote.amount_cents:
        raise ConfirmationRequired(
            f"adding this member costs {quote.currency} {quote.amount_cents / 100:.2f}: {quote.explanation} "
            f"Send confirm_charge_cents={quote.amount_cents} to confirm.",
            extra={"quote": quote_view(quote).model_dump(mode="json")})
    if user is None:
        user = User(id=new_id("usr"), email=email, name=" ".join(name.split())[:120], kind="person",
                    created_at=uow.now)
        uow.session.add(user)
        uow.session.flush()
    member = Membership(id=new_id("mem"), org_id=org.id, user_id=user.id, status="invited", title=title[:120],
                        profile={}, invited_by=actor.member_id, created_at=uow.now, access_until=access_until)
    uow.session.add(member)
    uow.session.flush()
    repo.replace_roles(uow.session, member_id=member.id, rows=grant_rows(org.id, member.id, grants, actor, uow.now))
    repo.replace_teams(uow.session, org_id=org.id, member_id=member.id, team_ids=team_ids)
    repo.replace_locations(uow.session, org_id=org.id, member_id=member.id, location_ids=location_ids)
    expires = _send_invitation(uow, org, member, user, actor)
    uow.session.flush()
    uow.record("members.invite", org_id=org.id, actor=actor, object_type="members", object_id=member.id,
               after={"email": email, "roles": grants_data(grants), "teams": sorted(team_ids),
                      "locations": sorted(location_ids),
                      "access_until": access_until.isoformat() if access_until else None},
               detail={"quote_cents": quote.amount_cents})
    return InviteResult(member=member_views(uow, org, [(member, user)], roles)[0], quote=quote_view(quote),
                        invitation_expires_at=expires)


def resend_invitation(uow: UnitOfWork, actor: Actor, *, member_id: str) -> datetime:
    org, member, user, roles = load_target(uow, actor, member_id)
    authorize(uow, actor, Action.INVITE, target_resource(uow, member, roles, new_rank=0))
    if member.status != "invited":
        raise Conflict(f"{user.email} is {member.status}, not invited; there is no invitation to resend")
    for old in repo.open_invitations(uow.session, member_id=member.id):
        old.revoked_at = uow.now
    expires = _send_invitation(uow, org, member, user, actor)
    uow.record("members.invitation_resent", org_id=org.id, actor=actor, object_type="members", object_id=member.id)
    return expires


def revoke_invitation(uow: UnitOfWork, actor: Actor, *, member_id: str) -> None:
    """Withdraw an invitation that was not accepted: the link stops working and the member is archived."""
    org, member, user, roles = load_target(uow, actor, member_id)
    authorize(uow, actor, Action.INVITE, target_resource(uow, member, roles, new_rank=0))
    if member.status != "invited":
        raise Conflict(f"{user.email} is {member.status}, not invited; there is no invitation to revoke")
    for old in repo.open_invitations(uow.session, member_id=member.id):
        old.revoked_at = uow.now
    member.status, member.status_changed_at = "archived", uow.now
    uow.record("members.invitation_revoked", org_id=org.id, actor=actor, object_type="members",
               object_id=member.id, before={"status": "invited"}, after={"status": "archived"})


def accept(uow: UnitOfWork, *, token: str, password: str, name: str | None = None) -> tuple[Membership, User]:
    """Accept an invitation: set the password (or prove the existing one) and activate the membership."""
    invalid = Invalid("this invitation link is invalid, already used or expired; ask for a new invitation")
    if not tokens.well_formed(token, INVITE_PREFIX):
        raise invalid
    invitation = repo.invitation_by_hash(uow.session, token_hash=tokens.token_hash(token))
    if invitation is None or not tokens.matches(token, invitation.token_hash) or invitation.accepted_at \
            or invitation.revoked_at or invitation.expires_at <= uow.now:
        raise invalid
    org = repo.get_org(uow.session, org_id=invitation.org_id, lock=True)
    member = repo.get_member(uow.session, org_id=invitation.org_id, member_id=invitation.membership_id)
    user = repo.get_user(uow.session, user_id=member.user_id) if member else None
    if org is None or member is None or user is None or member.status not in ("invited", "active"):
        raise invalid
    if user.password_hash is None:
        problems = password_problems(password)
        if problems:
            raise Invalid("choose another password", problems)
        user.password_hash = uow.services.passwords.hash(password)
        user.password_changed_at = uow.now
    elif not uow.services.passwords.verify(password, user.password_hash).ok:
        raise Invalid("you already have a caregate account: enter its password to accept")
    if name:
        user.name = " ".join(name.split())[:120]
    invitation.accepted_at = uow.now
    was = member.status
    if member.status == "invited":
        member.status, member.activated_at, member.status_changed_at = "active", uow.now, uow.now
        uow.session.flush()
        seats.charge_if_needed(uow.session, org=org, roles=org_roles(uow, org.id), now=uow.now,
                               member_id=member.id, reason=f"seat for {user.email} from acceptance")
    uow.record("members.accept", org_id=org.id, actor_user_id=user.id, actor_member_id=member.id,
               object_type="members", object_id=member.id, before={"status": was}, after={"status": member.status})
    return member, user
