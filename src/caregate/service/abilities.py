"""What the actor may do, asked of the engine in advance, so a page offers only what would be allowed.

Nothing here grants or refuses anything: the use cases still authorize every change when it is made
(a hidden button is a courtesy, the server's refusal is the rule). These are plain `check`s, so they
are not written to the audit trail as refusals.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

from caregate.engine import Action, Feature, PlanFeature, Resource, Role
from caregate.engine.catalog import OWNER, TEMPLATE_MANAGER, role_label
from caregate.engine.filters import And, HasGrant, Never, Or, Predicate, predicate_for
from caregate.service import resources, seats
from caregate.service.actors import Actor, org_roles
from caregate.service.authz import check
from caregate.service.context import UnitOfWork
from caregate.service.errors import NotFound
from caregate.service.members import target_resource
from caregate.service.orgs import settings_of
from caregate.service.views import View
from caregate.store import repo
from caregate.store.tables import Membership, Organisation


class NavAbilities(View):
    """Which parts of the console to show the actor."""

    members: bool
    invite: bool
    teams: bool
    locations: bool
    roles: bool
    create_role: bool
    edit_role: bool
    delete_role: bool
    settings: bool
    edit_settings: bool
    subscription: bool
    edit_subscription: bool
    seats: bool
    audit: bool
    audit_export: bool = False
    api_keys: bool = False
    create_api_keys: bool = False
    edit_api_keys: bool = False
    revoke_api_keys: bool = False
    sessions: bool = False  # some clinical session could be theirs to read (by a role, or shared with them)
    access_reviews: bool = False  # members:review: start access reviews, certify or revoke members' access


class MemberAbilities(View):
    change_roles: bool = False
    disable: bool = False
    enable: bool = False
    archive: bool = False
    restore: bool = False
    delete: bool = False
    resend: bool = False
    revoke: bool = False
    unlock: bool = False  # the account is locked after failed logins, and the actor may unlock it
    send_reset: bool = False  # the actor may email them a password reset link

    @property
    def any(self) -> bool:
        return any(self.model_dump().values())


class AssignableRole(View):
    key: str
    label: str
    rank: int
    seat_type: str
    builtin: bool
    description: str


class GateView(View):
    """Whether a plan-gated setting may be switched on now, and if not, the engine's reason."""

    allowed: bool
    reason: str = ""


def _org(uow: UnitOfWork, actor: Actor) -> Organisation:
    org = repo.get_org(uow.session, org_id=actor.org_id)
    if org is None:
        raise NotFound("organisation not found")
    return org


def _may(uow: UnitOfWork, actor: Actor, action: Action, resource: Resource) -> bool:
    return check(uow, actor, action, resource).allowed


def nav(uow: UnitOfWork, actor: Actor) -> NavAbilities:
    org_id = actor.org_id

    def may(feature: Feature, action: Action) -> bool:
        return _may(uow, actor, action, resources.org_object(feature, org_id))

    return NavAbilities(
        members=may(Feature.MEMBERS, Action.READ),
        invite=_may(uow, actor, Action.INVITE, resources.new_member(org_id, teams=(), locations=(), new_rank=0)),
        teams=may(Feature.TEAMS, Action.READ), locations=may(Feature.LOCATIONS, Action.READ),
        roles=may(Feature.ROLES, Action.READ), create_role=may(Feature.ROLES, Action.CREATE),
        edit_role=may(Feature.ROLES, Action.EDIT), delete_role=may(Feature.ROLES, Action.DELETE),
        settings=may(Feature.SETTINGS, Action.READ), edit_settings=may(Feature.SETTINGS, Action.EDIT),
        subscription=may(Feature.SUBSCRIPTION, Action.READ), edit_subscription=may(Feature.SUBSCRIPTION, Action.EDIT),
        seats=may(Feature.SEATS, Action.READ), audit=may(Feature.AUDIT, Action.READ),
        audit_export=may(Feature.AUDIT, Action.EXPORT),
        api_keys=may(Feature.API_KEYS, Action.READ), create_api_keys=may(Feature.API_KEYS, Action.CREATE),
        edit_api_keys=may(Feature.API_KEYS, Action.EDIT), revoke_api_keys=may(Feature.API_KEYS, Action.DELETE),
        sessions=_may_list(uow, actor, Feature.SESSIONS, Action.READ),
        access_reviews=may(Feature.MEMBERS, Action.REVIEW))


def _may_list(uow: UnitOfWork, actor: Actor, feature: Feature, action: Action) -> bool:
    """Whether the engine's list filter for (feature, action) could select anything for the actor."""
    return _could_match(predicate_for(actor.subject, feature, action, uow.context()))


def _could_match(pred: Predicate) -> bool:
    if isinstance(pred, Never):
        return False
    if isinstance(pred, HasGrant):  # a grant that can never reach this member selects nothing
        return pred.shares_allowed or pred.patient_access_allowed
    if isinstance(pred, And):
        return all(_could_match(p) for p in pred.parts)
    if isinstance(pred, Or):
        return any(_could_match(p) for p in pred.parts)
    return True


def _owner_attrs(member: Membership, owners: Sequence[str]) -> dict[str, object]:
    return {"last_active_owner": list(owners) == [member.id]}


def members(uow: UnitOfWork, actor: Actor, *, member_ids: Sequence[str],
            locked: Collection[str] = ()) -> dict[str, MemberAbilities]:
    """For each member, the buttons the actor's roles allow (the same checks the use cases make).

    `locked`: the members known to be locked out (`security.lock_states`), who get an Unlock button.
    """
    roles = org_roles(uow, actor.org_id)
    owners = repo.members_with_role(uow.session, org_id=actor.org_id, role_key=OWNER, statuses=["active"])
    out: dict[str, MemberAbilities] = {}
    for member_id in member_ids:
        member = repo.get_member(uow.session, org_id=actor.org_id, member_id=member_id)
        if member is None:
            continue
        target = target_resource(uow, member, roles)
        removal = replace(target, attrs={**target.attrs, **_owner_attrs(member, owners)})
        status = member.status
        user = repo.get_user(uow.session, user_id=member.user_id)
        may_unlock = _may(uow, actor, Action.UNLOCK, target)
        out[member_id] = MemberAbilities(
            unlock=member_id in locked and may_unlock,
            send_reset=status == "active" and user is not None and user.kind == "person" and may_unlock,
            change_roles=status != "archived" and _may(uow, actor, Action.CHANGE_ROLE, target),
            disable=status == "active" and _may(uow, actor, Action.DISABLE, removal),
            enable=status == "disabled" and _may(uow, actor, Action.DISABLE, target),
            archive=status in ("active", "disabled") and _may(uow, actor, Action.ARCHIVE, removal),
            restore=status == "archived" and _may(uow, actor, Action.RESTORE, target),
            delete=_may(uow, actor, Action.DELETE, removal),
            resend=status == "invited" and _may(uow, actor, Action.INVITE, replace(
                target, attrs={**target.attrs, "new_rank": 0})),
            revoke=status == "invited" and _may(uow, actor, Action.INVITE, replace(
                target, attrs={**target.attrs, "new_rank": 0})))
    return out


def _assignable(role: Role, tm_enabled: bool) -> bool:
    return tm_enabled or TEMPLATE_MANAGER not in (role.key, *role.lineage)


def assignable_roles(uow: UnitOfWork, actor: Actor, *, member_id: str | None = None) -> list[AssignableRole]:
    """The roles the actor may give: to a new member, or to `member_id` (at or below their own rank)."""
    org = _org(uow, actor)
    roles = org_roles(uow, org.id)
    tm_enabled = settings_of(org).template_manager_enabled
    target: Resource | None = None
    if member_id is not None:
        member = repo.get_member(uow.session, org_id=org.id, member_id=member_id)
        if member is None:
            raise NotFound(f"member {member_id} not found in this organisation")
        target = target_resource(uow, member, roles)
    out = []
    for role in sorted(roles.values(), key=lambda r: (-r.rank, r.name)):
        if not _assignable(role, tm_enabled):
            continue
        if target is None:
            resource = resources.new_member(org.id, teams=(), locations=(), new_rank=role.rank)
            allowed = _may(uow, actor, Action.INVITE, resource)
        else:
            resource = replace(target, attrs={**target.attrs, "new_rank": role.rank})
            allowed = _may(uow, actor, Action.CHANGE_ROLE, resource)
        if allowed:
            out.append(AssignableRole(key=role.key, label=_label(role, org), rank=role.rank,
                                      seat_type=str(seats.seat_type([role.key], roles)), builtin=role.builtin,
                                      description=role.description))
    return out


def _label(role: Role, org: Organisation) -> str:
    return role_label(role.key, org.preset) if role.builtin else role.name


def role_labels(uow: UnitOfWork, actor: Actor) -> Mapping[str, str]:
    """Every role's name as this organisation shows it (a preset may rename built-in roles)."""
    org = _org(uow, actor)
    return {key: _label(role, org) for key, role in org_roles(uow, org.id).items()}


def visibility_gate(uow: UnitOfWork, actor: Actor) -> GateView:
    """Whether the actor may switch team session visibility on now (plan or trial, and their roles)."""
    resource = replace(resources.org_object(Feature.SETTINGS, actor.org_id),
                       attrs={"plan_feature": str(PlanFeature.SESSION_VISIBILITY)})
    decision = check(uow, actor, Action.EDIT, resource)
    return GateView(allowed=decision.allowed, reason="" if decision.allowed else decision.message)


def role_lineages(uow: UnitOfWork, actor: Actor) -> Mapping[str, tuple[str, ...]]:
    """Each role's ancestors, nearest first (a custom role built on Template Manager is one too)."""
    return {key: role.lineage for key, role in org_roles(uow, actor.org_id).items()}
