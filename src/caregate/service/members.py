"""Members: invite, accept, change roles, teams and locations, disable / enable, archive / restore,
transfer records, delete; list and read. Every change asks the engine and writes its audit event.

Changes that must see each other (the last active Owner, seat counts) lock the organisation row first,
so two of them at the same moment run one after the other (on SQLite the write lock does the same).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email

from caregate.engine import Action, Feature, Resource, Role, SeatType
from caregate.engine.catalog import OWNER, TEMPLATE_MANAGER, role_label
from caregate.engine.filters import predicate_for
from caregate.service import lapse, resources, seats, sessions
from caregate.service.actors import Actor, max_rank, org_roles, security_of
from caregate.service.authz import authorize
from caregate.service.clinical import common
from caregate.service.context import UnitOfWork
from caregate.service.errors import Conflict, Invalid, NotFound
from caregate.service.orgs import settings_of
from caregate.service.security import require_fresh
from caregate.service.views import MemberView, Page, RoleGrantView
from caregate.store import mappings, repo
from caregate.store.filters import compile_predicate
from caregate.store.ids import new_id
from caregate.store.tables import Membership, Organisation, RoleAssignmentRow, User

MAX_ROLES = 10


@dataclass(frozen=True, slots=True)
class RoleGrant:
    """A role to hold, organisation-wide or limited to one team or one location, perhaps until a date."""

    role: str
    team_id: str | None = None
    location_id: str | None = None
    expires_at: datetime | None = None


# --- reading -------------------------------------------------------------------------------------

def member_views(uow: UnitOfWork, org: Organisation, pairs: Sequence[tuple[Membership, User]],
           roles: Mapping[str, Role]) -> list[MemberView]:
    s = uow.session
    ids = [m.id for m, _ in pairs]
    held, teams, locs = repo.roles_of(s, member_ids=ids), repo.teams_of(s, member_ids=ids), \
        repo.locations_of(s, member_ids=ids)
    seen = repo.last_active(s, member_ids=ids)
    out = []
    for m, u in pairs:
        grants = held[m.id]
        out.append(MemberView(
            id=m.id, user_id=u.id, email=u.email, name=u.name, title=m.title, kind=u.kind, status=m.status,
            seat_type=str(seats.seat_type([g.role_key for g in grants], roles)),
            roles=[RoleGrantView(role=g.role_key, label=_label(g.role_key, roles, org), team_id=g.team_id,
                                 location_id=g.location_id, expires_at=g.expires_at, id=g.id,
                                 delegated_by=g.delegated_by) for g in grants],
            team_ids=sorted(teams[m.id]), location_ids=sorted(locs[m.id]), profile=m.profile or {},
            created_at=m.created_at, activated_at=m.activated_at, access_until=m.access_until,
            last_active_at=seen.get(m.id)))
    return out


def _label(key: str, roles: Mapping[str, Role], org: Organisation) -> str:
    role = roles.get(key)
    if role is not None and not role.builtin:
        return role.name
    return role_label(key, org.preset)


def load_target(uow: UnitOfWork, actor: Actor, member_id: str, *, lock_org: bool = False
                ) -> tuple[Organisation, Membership, User, dict[str, Role]]:
    org = repo.get_org(uow.session, org_id=actor.org_id, lock=lock_org)
    member = repo.get_member(uow.session, org_id=actor.org_id, member_id=member_id)
    user = repo.get_user(uow.session, user_id=member.user_id) if member else None
    if org is None or member is None or user is None:
        raise NotFound(f"member {member_id} not found in this organisation")
    return org, member, user, org_roles(uow, org.id)


def target_resource(uow: UnitOfWork, member: Membership, roles: Mapping[str, Role], **extra: object) -> Resource:
    s = uow.session
    keys = [r.role_key for r in repo.roles_of(s, member_ids=[member.id])[member.id]]
    return resources.member(member, teams=repo.teams_of(s, member_ids=[member.id])[member.id],
                            locations=repo.locations_of(s, member_ids=[member.id])[member.id],
                            role_keys=keys, roles=roles, extra=extra)


def get(uow: UnitOfWork, actor: Actor, *, member_id: str) -> MemberView:
    org, member, user, roles = load_target(uow, actor, member_id)
    authorize(uow, actor, Action.READ, target_resource(uow, member, roles))
    uow.record("members.read", org_id=org.id, actor=actor, object_type="members", object_id=member.id)
    return member_views(uow, org, [(member, user)], roles)[0]


def page(uow: UnitOfWork, actor: Actor, *, after: str | None = None, limit: int = 50, search: str | None = None,
         statuses: Sequence[str] | None = None) -> Page[MemberView]:
    """The members the actor may read, filtered in the database by the engine's rules."""
    org = repo.get_org(uow.session, org_id=actor.org_id)
    if org is None:
        raise NotFound("organisation not found")
    predicate = predicate_for(actor.subject, Feature.MEMBERS, Action.READ, uow.context())
    visible = compile_predicate(predicate, mappings.MEMBERS)
    rows, total = repo.page_of_members(uow.session, org_id=org.id, visible=visible, after=after, limit=limit + 1,
                                       search=search, statuses=statuses)
    more = len(rows) > limit
    rows = rows[:limit]
    roles = org_roles(uow, org.id)
    uow.record("members.list", org_id=org.id, actor=actor, object_type="members",
               detail={"returned": [m.id for m, _ in rows], "total": total, "search": search})
    return Page[MemberView](items=member_views(uow, org, rows, roles), total=total,
                            next_cursor=rows[-1][0].id if more and rows else None)


# --- validation ----------------------------------------------------------------------------------

def normal_email(email: str) -> str:
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise Invalid(f"{email!r} is not a valid email address: {exc}") from None


def check_grants(uow: UnitOfWork, org: Organisation, grants: Sequence[RoleGrant], roles: Mapping[str, Role]
                  ) -> list[str]:
    if not grants:
        raise Invalid("give the member at least one role")
    if len(grants) > MAX_ROLES:
        raise Invalid(f"a member can hold at most {MAX_ROLES} roles")
    problems = []
    team_ids = {t.id for t in repo.teams(uow.session, org_id=org.id)}
    location_ids = {loc.id for loc in repo.locations(uow.session, org_id=org.id)}
    seen = set()
    tm_enabled = settings_of(org).template_manager_enabled
    for g in grants:
        if g.role not in roles:
            problems.append(f"unknown role {g.role!r}")
        if g.role == TEMPLATE_MANAGER and not tm_enabled:
            problems.append("the Template Manager role is switched off in this organisation")
        if g.role == OWNER and (g.team_id or g.location_id or g.expires_at):
            problems.append("the Owner role is organisation-wide and permanent")
        if g.team_id and g.location_id:
            problems.append(f"{g.role}: limit a role to a team or to a location, not both")
        if g.team_id and g.team_id not in team_ids:
            problems.append(f"unknown team {g.team_id!r}")
        if g.location_id and g.location_id not in location_ids:
            problems.append(f"unknown location {g.location_id!r}")
        if g.expires_at is not None and g.expires_at <= uow.now:
            problems.append(f"{g.role}: the expiry date is in the past")
        key = (g.role, g.team_id, g.location_id)
        if key in seen:
            problems.append(f"role {g.role!r} is given twice")
        seen.add(key)
    if problems:
        raise Invalid("the roles are not valid", problems)
    return sorted({g.role for g in grants})


def check_structure(uow: UnitOfWork, org_id: str, team_ids: Sequence[str], location_ids: Sequence[str]) -> None:
    problems = []
    known_teams = {t.id for t in repo.teams(uow.session, org_id=org_id)}
    known_locations = {loc.id for loc in repo.locations(uow.session, org_id=org_id)}
    problems += [f"unknown team {t!r}" for t in team_ids if t not in known_teams]
    problems += [f"unknown location {loc!r}" for loc in location_ids if loc not in known_locations]
    if len(team_ids) > 50 or len(location_ids) > 50:
        problems.append("at most 50 teams and 50 locations per member")
    if problems:
        raise Invalid("teams or locations are not valid", problems)


def grant_rows(org_id: str, member_id: str, grants: Sequence[RoleGrant], actor: Actor | None, now: datetime
          ) -> list[RoleAssignmentRow]:
    return [RoleAssignmentRow(id=new_id("ra"), org_id=org_id, membership_id=member_id, role_key=g.role,
                              team_id=g.team_id, location_id=g.location_id, expires_at=g.expires_at,
                              created_at=now, created_by=actor.member_id if actor else None) for g in grants]


def grants_data(grants: Sequence[RoleGrant] | Sequence[RoleAssignmentRow]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for g in grants:
        role = g.role if isinstance(g, RoleGrant) else g.role_key
        out.append({"role": role, "team_id": g.team_id, "location_id": g.location_id,
                    "expires_at": g.expires_at.isoformat() if g.expires_at else None})
    return out


# --- changes -------------------------------------------------------------------------------------

def _owner_attrs(uow: UnitOfWork, org_id: str, member: Membership) -> dict[str, object]:
    owners = repo.members_with_role(uow.session, org_id=org_id, role_key=OWNER, statuses=["active"])
    return {"last_active_owner": owners == [member.id]}


def change_roles(uow: UnitOfWork, actor: Actor, *, member_id: str, grants: Sequence[RoleGrant]) -> MemberView:
    org, member, user, roles = load_target(uow, actor, member_id, lock_org=True)
    keys = check_grants(uow, org, grants, roles)
    current = repo.roles_of(uow.session, member_ids=[member.id])[member.id]
    current_keys = {r.role_key for r in current}
    removes_owner = OWNER in current_keys and OWNER not in keys
    authorize(uow, actor, Action.CHANGE_ROLE, target_resource(
        uow, member, roles, new_rank=max_rank(keys, roles), removes_owner=removes_owner,
        **_owner_attrs(uow, org.id, member)))
    require_fresh(uow, actor)
    before = grants_data(current)
    repo.replace_roles(uow.session, member_id=member.id, rows=grant_rows(org.id, member.id, grants, actor, uow.now))
    uow.session.flush()
    charge = seats.charge_if_needed(uow.session, org=org, roles=roles, now=uow.now, member_id=member.id,
                                    reason=f"seat change for {user.email}")
    uow.record("members.change_role", org_id=org.id, actor=actor, object_type="members", object_id=member.id,
               before={"roles": before}, after={"roles": grants_data(grants)},
               detail={"charge_cents": charge.amount_cents if charge else 0})
    return member_views(uow, org, [(member, user)], roles)[0]


def change_structure(uow: UnitOfWork, actor: Actor, *, member_id: str, team_ids: Sequence[str] | None,
                     location_ids: Sequence[str] | None) -> MemberView:
    """Move a member between teams and locations: scoping a member's roles is a role change."""
    org, member, user, roles = load_target(uow, actor, member_id, lock_org=True)
    check_structure(uow, org.id, team_ids or [], location_ids or [])
    authorize(uow, actor, Action.CHANGE_ROLE, target_resource(uow, member, roles))
    require_fresh(uow, actor)
    s = uow.session
    before = {"teams": sorted(repo.teams_of(s, member_ids=[member.id])[member.id]),
              "locations": sorted(repo.locations_of(s, member_ids=[member.id])[member.id])}
    if team_ids is not None:
        repo.replace_teams(s, org_id=org.id, member_id=member.id, team_ids=team_ids)
    if location_ids is not None:
        repo.replace_locations(s, org_id=org.id, member_id=member.id, location_ids=location_ids)
    s.flush()
    after = {"teams": sorted(repo.teams_of(s, member_ids=[member.id])[member.id]),
             "locations": sorted(repo.locations_of(s, member_ids=[member.id])[member.id])}
    uow.record("members.change_structure", org_id=org.id, actor=actor, object_type="members", object_id=member.id,
               before=before, after=after)
    return member_views(uow, org, [(member, user)], roles)[0]


def update_profile(uow: UnitOfWork, actor: Actor, *, member_id: str, name: str | None = None,
                   title: str | None = None, profile: dict[str, object] | None = None) -> MemberView:
    org, member, user, roles = load_target(uow, actor, member_id)
    authorize(uow, actor, Action.EDIT, target_resource(uow, member, roles))
    before = {"name": user.name, "title": member.title, "profile": member.profile}
    if name is not None:
        user.name = " ".join(name.split())[:120]
    if title is not None:
        member.title = " ".join(title.split())[:120]
    if profile is not None:
        member.profile = profile
    uow.record("members.edit", org_id=org.id, actor=actor, object_type="members", object_id=member.id,
               before=before, after={"name": user.name, "title": member.title, "profile": member.profile})
    return member_views(uow, org, [(member, user)], roles)[0]


_TRANSITIONS: Mapping[str, tuple[Action, tuple[str, ...], str]] = {
    "disable": (Action.DISABLE, ("active",), "disabled"),
    "enable": (Action.DISABLE, ("disabled",), "active"),
    "archive": (Action.ARCHIVE, ("active", "disabled", "invited"), "archived"),
    "restore": (Action.RESTORE, ("archived",), "active"),
}


def set_status(uow: UnitOfWork, actor: Actor, *, member_id: str, change: str) -> MemberView:
    """Disable, enable, archive or restore. Data stays; only access changes, at the next request."""
    action, sources, target = _TRANSITIONS[change]
    org, member, user, roles = load_target(uow, actor, member_id, lock_org=True)
    if member.status not in sources:
        raise Conflict(f"cannot {change} a member who is {member.status}")
    extra = _owner_attrs(uow, org.id, member) if target != "active" else {}
    authorize(uow, actor, action, target_resource(uow, member, roles, **extra))
    was, ended = member.status, member.access_until
    member.status = "invited" if change == "restore" and member.activated_at is None else target
    member.status_changed_at = uow.now
    if member.status == "active":  # access given back counts as activity; an end date that passed is cleared
        repo.note_activity(uow.session, member_id=member.id, at=uow.now)
        if member.access_until is not None and member.access_until <= uow.now:
            member.access_until = None
    if member.status in ("disabled", "archived"):
        sessions.end_all(uow, user.id, reason=f"member-{member.status}")
    if change == "restore" and member.status == "active":
        uow.session.flush()
        seats.charge_if_needed(uow.session, org=org, roles=roles, now=uow.now, member_id=member.id,
                               reason=f"seat for {user.email} restored")
    uow.record(f"members.{change}", org_id=org.id, actor=actor, object_type="members", object_id=member.id,
               before={"status": was, **({"access_until": ended.isoformat()} if ended != member.access_until
                                          and ended is not None else {})},
               after={"status": member.status})
    return member_views(uow, org, [(member, user)], roles)[0]


def set_access_until(uow: UnitOfWork, actor: Actor, *, member_id: str, until: datetime | None) -> MemberView:
    """Make a member temporary (disabled from `until` on), move the date, or make them permanent (None).

    It is a disable on a schedule, so it is `members:disable`, with its rank and Owner rules; an Owner is
    never temporary."""
    org, member, user, roles = load_target(uow, actor, member_id, lock_org=True)
    authorize(uow, actor, Action.DISABLE, target_resource(uow, member, roles, **_owner_attrs(uow, org.id, member)))
    if until is not None:
        if until <= uow.now:
            raise Invalid("the access end date must be in the future; to end access now, disable the member")
        if OWNER in {r.role_key for r in repo.roles_of(uow.session, member_ids=[member.id])[member.id]}:
            raise Invalid("an Owner is never temporary; remove the Owner role first")
    if member.status not in ("active", "invited"):
        raise Conflict(f"the member is {member.status}; enable or restore them first")
    before = member.access_until
    member.access_until = until
    uow.record("members.access_until", org_id=org.id, actor=actor, object_type="members", object_id=member.id,
               before={"access_until": before.isoformat() if before else None},
               after={"access_until": until.isoformat() if until else None})
    return member_views(uow, org, [(member, user)], roles)[0]


MAX_DELEGATION_DAYS = 90


def delegate(uow: UnitOfWork, actor: Actor, *, member_id: str, role: str, until: datetime,
             team_id: str | None = None, location_id: str | None = None) -> MemberView:
    """Hand one of one's own roles to a colleague until a date ("acting manager" while away).

    `members:delegate` (Managers, Administrators, Owners), never to oneself. Only a role the giver holds,
    with the same team or location limit (or organisation-wide); never the Owner role; at most
    MAX_DELEGATION_DAYS; never one that would change the colleague's seat (that is a change of roles,
    and of the bill, for an administrator). The colleague's own roles are untouched, and a change of
    them by an administrator keeps the delegation until it ends."""
    org, member, user, roles = load_target(uow, actor, member_id, lock_org=True)
    decision = authorize(uow, actor, Action.DELEGATE, target_resource(uow, member, roles))
    if role == OWNER:
        raise Invalid("the Owner role is never delegated; make a second Owner instead")
    mine = repo.roles_of(uow.session, member_ids=[actor.member_id])[actor.member_id]
    if not any(r.role_key == role and (r.team_id, r.location_id) in ((team_id, location_id), (None, None))
               and (r.expires_at is None or r.expires_at > until) for r in mine):
        raise Invalid(f"you can only hand over a role you hold, for as long as you hold it: {role!r} "
                      "(with that team or location) is not yours until then")
    if until <= uow.now or until > uow.now + timedelta(days=MAX_DELEGATION_DAYS):
        raise Invalid(f"a delegation ends in the future, within {MAX_DELEGATION_DAYS} days")
    if member.status != "active":
        raise Conflict(f"the member is {member.status}; only an active member can act for you")
    theirs = repo.roles_of(uow.session, member_ids=[member.id])[member.id]
    if any((r.role_key, r.team_id, r.location_id) == (role, team_id, location_id) for r in theirs):
        raise Conflict(f"the member already holds {role!r} there")
    keys = [r.role_key for r in theirs]
    if seats.seat_type([*keys, role], roles) is not seats.seat_type(keys, roles):
        raise Invalid(f"{role!r} would give the member a standard seat; an administrator changes their roles instead")
    row = RoleAssignmentRow(id=new_id("ra"), org_id=org.id, membership_id=member.id, role_key=role, team_id=team_id,
                            location_id=location_id, expires_at=until, created_at=uow.now,
                            created_by=actor.member_id, delegated_by=actor.member_id)
    uow.session.add(row)
    uow.session.flush()
    uow.record("members.delegate", org_id=org.id, actor=actor, object_type="members", object_id=member.id,
               decision=decision, after={"assignment_id": row.id, "role": role, "team_id": team_id,
                                         "location_id": location_id, "until": until.isoformat()})
    common.notify(uow, actor, member, kind="delegation", title=f"You are acting as {_label(role, roles, org)}",
                  body=f"{actor.email} handed you their role {_label(role, roles, org)} until "
                       f"{until:%Y-%m-%d %H:%M} UTC.", object_type="members", object_id=member.id,
                  link=f"/o/{org.id}/team/{member.id}")
    return member_views(uow, org, [(member, user)], roles)[0]


def end_delegation(uow: UnitOfWork, actor: Actor, *, member_id: str, assignment_id: str) -> MemberView:
    """End a delegation now: the member who handed the role over may, and so may whoever changes roles."""
    org, member, user, roles = load_target(uow, actor, member_id, lock_org=True)
    row = next((r for r in repo.roles_of(uow.session, member_ids=[member.id])[member.id]
                if r.id == assignment_id and r.delegated_by is not None), None)
    if row is None:
        raise NotFound(f"delegation {assignment_id} not found on this member")
    decision = None
    if row.delegated_by != actor.member_id:
        decision = authorize(uow, actor, Action.CHANGE_ROLE, target_resource(uow, member, roles))
    uow.session.delete(row)
    uow.record("members.end_delegation", org_id=org.id, actor=actor, object_type="members", object_id=member.id,
               decision=decision, before={"assignment_id": row.id, "role": row.role_key,
                                          "delegated_by": row.delegated_by})
    return member_views(uow, org, [(member, user)], roles)[0]


def transfer(uow: UnitOfWork, actor: Actor, *, member_id: str, to_member_id: str) -> dict[str, int]:
    """Hand a member's sessions, care-team places and appointments to a colleague (before deleting them)."""
    org, member, _, roles = load_target(uow, actor, member_id, lock_org=True)
    _, target, _, _ = load_target(uow, actor, to_member_id)
    authorize(uow, actor, Action.DELETE, target_resource(uow, member, roles))
    target_keys = [r.role_key for r in repo.roles_of(uow.session, member_ids=[target.id])[target.id]]
    if target.id == member.id or target.status != "active" or \
            seats.seat_type(target_keys, roles) is not SeatType.STANDARD:
        raise Invalid("records go to another active member with a standard seat (one who can own sessions)")
    moved_sessions, moved_patients, moved_appointments = repo.transfer_records(
        uow.session, org_id=org.id, from_member=member.id, to_member=target.id)
    moved = {"sessions": moved_sessions, "care_team_places": moved_patients, "appointments": moved_appointments}
    uow.record("members.transfer", org_id=org.id, actor=actor, object_type="members", object_id=member.id,
               detail={"to": target.id, **moved})
    return moved


def delete(uow: UnitOfWork, actor: Actor, *, member_id: str) -> None:
    """Remove the member's account data; refused while they own clinical records."""
    org, member, user, roles = load_target(uow, actor, member_id, lock_org=True)
    authorize(uow, actor, Action.DELETE, target_resource(uow, member, roles, **_owner_attrs(uow, org.id, member)))
    owned_sessions, sole_patients, appointments = repo.owned_records(uow.session, org_id=org.id, member_id=member.id)
    if owned_sessions or sole_patients or appointments:
        raise Conflict(
            f"{user.email} owns {owned_sessions} clinical session(s), is the provider of {appointments} "
            f"appointment(s) and is the only care-team member of {sole_patients} patient(s); transfer them first "
            f"(POST /v1/orgs/{org.id}/members/{member.id}/transfer with to_member_id), or disable the member instead",
            extra={"owned_sessions": owned_sessions, "sole_care_team_patients": sole_patients,
                   "provider_appointments": appointments})
    snapshot = {"email": user.email, "status": member.status,
                "roles": [r.role_key for r in repo.roles_of(uow.session, member_ids=[member.id])[member.id]]}
    sessions.end_all(uow, user.id, reason="member-deleted")
    repo.delete_member(uow.session, member=member)
    if repo.other_memberships(uow.session, user_id=user.id, except_member=member.id) == 0:
        uow.session.delete(user)  # the person's data goes; clinical records and the audit trail stay
    uow.record("members.delete", org_id=org.id, actor=actor, object_type="members", object_id=member.id,
               before=snapshot)


def lapse_all(uow: UnitOfWork, *, org_id: str | None = None) -> list[tuple[str, str, str]]:
    """Disable every member whose access has ended on its own (temporary, or unused too long), in one
    organisation or in all; (organisation, member, why) for each. See `service.lapse`."""
    done = []
    for oid in repo.org_ids(uow.session) if org_id is None else [org_id]:
        org = repo.get_org(uow.session, org_id=oid, lock=True)
        if org is None:
            raise NotFound(f"organisation {oid} not found")
        policy = security_of(org)
        active = repo.active_members(uow.session, org_id=org.id)
        last = repo.last_active(uow.session, member_ids=[m.id for m, _ in active])
        for member, user in active:
            reason = lapse.why(policy, member, uow.now, last_active=last.get(member.id), person=user.kind == "person")
            if reason is not None and lapse.disable(uow, org, member, user, reason):
                done.append((org.id, member.id, reason))
    return done
