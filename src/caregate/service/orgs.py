"""Organisations: create (with a preset), read, rename, settings, plan and trial, delete."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from caregate.engine import PRESETS, Action, BillingPolicy, Feature, Plan, PlanFeature
from caregate.engine.plans import minimum_plan, plan_allows, trial_running
from caregate.identity.policy import SecurityPolicy
from caregate.service import resources
from caregate.service.actors import Actor, org_policy, org_roles
from caregate.service.authz import authorize
from caregate.service.context import UnitOfWork
from caregate.service.errors import Conflict, Invalid, NotFound
from caregate.service.seats import PLAN_SEAT_PRICE_CENTS
from caregate.service.views import OrgView
from caregate.store import repo
from caregate.store.ids import new_id
from caregate.store.tables import Location, Membership, Organisation, RoleAssignmentRow, Team, User

TRIAL_DAYS = 30
TERM_DAYS = 365


class EmergencyAccess(BaseModel):
    """Break-glass: whether members whose roles allow it may take emergency access, and for how long at most."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    max_hours: int = Field(default=4, ge=1, le=72)


class AccessRequests(BaseModel):
    """Just-in-time access to a patient: how many different people approve a request, and its longest grant."""

    model_config = ConfigDict(extra="forbid")

    approvals: int = Field(default=1, ge=1, le=3)
    max_hours: int = Field(default=72, ge=1, le=720)


class OrgSettings(BaseModel):
    """An organisation's settings; each feature keeps its own part."""

    model_config = ConfigDict(extra="forbid")

    session_visibility: bool = False
    visibility_roles: list[str] = Field(default_factory=lambda: ["administrator"], max_length=20)
    billing_policy: BillingPolicy = BillingPolicy.OWNERS_AND_ADMINISTRATORS
    template_manager_enabled: bool = True
    security: SecurityPolicy = Field(default_factory=SecurityPolicy)
    emergency_access: EmergencyAccess = Field(default_factory=EmergencyAccess)
    access_requests: AccessRequests = Field(default_factory=AccessRequests)


def view(org: Organisation, now: datetime, member: Membership | None = None,
         role_keys: list[str] | None = None) -> OrgView:
    return OrgView(
        id=org.id, name=org.name, plan=org.plan, trial_ends_at=org.trial_ends_at,
        trial_running=trial_running(org_policy(org), now), preset=org.preset, created_at=org.created_at,
        my_member_id=member.id if member else None, my_roles=role_keys or [])


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not 1 <= len(cleaned) <= 120:
        raise Invalid("an organisation name must be 1 to 120 characters")
    return cleaned


def create(uow: UnitOfWork, *, name: str, owner: User, plan: Plan = Plan.FREE, preset: str | None = None,
           owner_status: str = "active") -> tuple[Organisation, Membership]:
    """A new organisation with `owner` as its first active Owner, structured by an optional preset."""
    if preset is not None and preset not in PRESETS:
        raise Invalid(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    chosen = PRESETS.get(preset or "")
    settings = OrgSettings()
    if chosen is not None:
        settings = OrgSettings(template_manager_enabled=chosen.template_manager_enabled,
                               billing_policy=chosen.billing_policy)
    org = Organisation(
        id=new_id("org"), name=_clean_name(name), plan=str(plan), preset=preset,
        settings=settings.model_dump(mode="json"), seats_purchased=1, seat_price_cents=PLAN_SEAT_PRICE_CENTS[plan],
        currency="USD", term_start=uow.now, term_end=uow.now + timedelta(days=TERM_DAYS), created_at=uow.now)
    s = uow.session
    s.add(org)
    s.flush()  # parents before children: the tables have foreign keys but no ORM relationships
    member = Membership(id=new_id("mem"), org_id=org.id, user_id=owner.id, status=owner_status, title="",
                        profile={}, created_at=uow.now,
                        activated_at=uow.now if owner_status == "active" else None)
    s.add(member)
    s.flush()
    s.add(RoleAssignmentRow(id=new_id("ra"), org_id=org.id, membership_id=member.id, role_key="owner",
                            created_at=uow.now))
    if chosen is not None:
        for team_name in chosen.teams:
            s.add(Team(id=new_id("team"), org_id=org.id, name=team_name, created_at=uow.now))
        for region, sites in chosen.locations.items():
            region_row = Location(id=new_id("loc"), org_id=org.id, name=region, kind="region", created_at=uow.now)
            s.add(region_row)
            s.flush()
            for site in sites:
                s.add(Location(id=new_id("loc"), org_id=org.id, name=site, kind="location",
                               parent_id=region_row.id, created_at=uow.now))
    s.flush()
    uow.record("organisation.created", org_id=org.id, object_type="organisation", object_id=org.id,
               actor_user_id=owner.id, actor_member_id=member.id,
               after={"name": org.name, "plan": org.plan, "preset": preset, "owner": owner.email})
    return org, member


def _org(uow: UnitOfWork, actor: Actor, *, lock: bool = False) -> Organisation:
    org = repo.get_org(uow.session, org_id=actor.org_id, lock=lock)
    if org is None:
        raise NotFound(f"organisation {actor.org_id} not found")
    return org


def get(uow: UnitOfWork, actor: Actor) -> OrgView:
    org = _org(uow, actor)
    authorize(uow, actor, Action.READ, resources.org_object(Feature.ORGANISATION, org.id))
    return view(org, uow.now, None, list(actor.roles))


def rename(uow: UnitOfWork, actor: Actor, *, name: str) -> OrgView:
    org = _org(uow, actor, lock=True)
    authorize(uow, actor, Action.EDIT, resources.org_object(Feature.ORGANISATION, org.id))
    before = org.name
    org.name = _clean_name(name)
    uow.record("organisation.renamed", org_id=org.id, actor=actor, object_type="organisation", object_id=org.id,
               before={"name": before}, after={"name": org.name})
    return view(org, uow.now, None, list(actor.roles))


def settings_of(org: Organisation) -> OrgSettings:
    known = {k: v for k, v in (org.settings or {}).items() if k in OrgSettings.model_fields}
    return OrgSettings.model_validate(known)


def settings_by_id(uow: UnitOfWork, org_id: str) -> OrgSettings:
    """An organisation's settings, for a use case that applies them (reading them as such is `get_settings`)."""
    org = repo.get_org(uow.session, org_id=org_id)
    if org is None:
        raise NotFound(f"organisation {org_id} not found")
    return settings_of(org)


def get_settings(uow: UnitOfWork, actor: Actor) -> OrgSettings:
    org = _org(uow, actor)
    authorize(uow, actor, Action.READ, resources.org_object(Feature.SETTINGS, org.id))
    return settings_of(org)


def update_settings(uow: UnitOfWork, actor: Actor, *, changes: dict[str, Any]) -> OrgSettings:
    """Apply a partial change of settings; turning on a plan-gated one needs the plan (or a trial)."""
    org = _org(uow, actor, lock=True)
    before = settings_of(org)
    try:
        current = before.model_dump(mode="json")
        merged = {k: {**current[k], **v} if isinstance(v, dict) and isinstance(current.get(k), dict) else v
                  for k, v in changes.items()}  # a part given in part keeps the rest of that part
        after = OrgSettings.model_validate({**current, **merged})
    except ValidationError as exc:
        raise Invalid("settings are not valid", [f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                                  for e in exc.errors()]) from None
    roles = org_roles(uow, org.id)
    unknown = [r for r in after.visibility_roles if r not in roles]
    if unknown:
        raise Invalid(f"visibility_roles names unknown roles: {', '.join(unknown)}")
    if any("template_manager" in (r, *roles[r].lineage) for r in after.visibility_roles):
        raise Invalid("Template Managers have no access to sessions; they cannot be given team session visibility")
    attrs: dict[str, object] = {}
    if after.session_visibility and not before.session_visibility:
        attrs["plan_feature"] = str(PlanFeature.SESSION_VISIBILITY)
    authorize(uow, actor, Action.EDIT, replace(resources.org_object(Feature.SETTINGS, org.id), attrs=attrs))
    org.settings = {**(org.settings or {}), **after.model_dump(mode="json")}
    uow.record("settings.updated", org_id=org.id, actor=actor, object_type="settings", object_id=org.id,
               before=before.model_dump(mode="json"), after=after.model_dump(mode="json"))
    return after


def change_plan(uow: UnitOfWork, actor: Actor, *, plan: Plan | None = None, start_trial: bool = False) -> OrgView:
    """Change the plan, or start the one trial an organisation gets."""
    org = _org(uow, actor, lock=True)
    authorize(uow, actor, Action.EDIT, resources.org_object(Feature.SUBSCRIPTION, org.id))
    before = {"plan": org.plan, "trial_ends_at": org.trial_ends_at.isoformat() if org.trial_ends_at else None}
    if start_trial:
        if org.trial_ends_at is not None:
            raise Conflict("this organisation has already had its trial")
        org.trial_ends_at = uow.now + timedelta(days=TRIAL_DAYS)
    if plan is not None:
        org.plan = str(plan)
        org.seat_price_cents = PLAN_SEAT_PRICE_CENTS[plan]
        settings = settings_of(org)
        if settings.session_visibility and not plan_allows(org_policy(org), PlanFeature.SESSION_VISIBILITY, uow.now):
            # the setting stays recorded, but the engine stops honouring it: say so in the audit trail
            uow.record("settings.suspended", org_id=org.id, actor=actor, object_type="settings", object_id=org.id,
                       detail={"setting": "session_visibility",
                               "needs": str(minimum_plan(PlanFeature.SESSION_VISIBILITY))})
    uow.record("subscription.changed", org_id=org.id, actor=actor, object_type="subscription", object_id=org.id,
               before=before, after={"plan": org.plan,
                                     "trial_ends_at": org.trial_ends_at.isoformat() if org.trial_ends_at else None})
    return view(org, uow.now, None, list(actor.roles))


def delete(uow: UnitOfWork, actor: Actor, *, confirm_name: str) -> None:
    org = _org(uow, actor, lock=True)
    authorize(uow, actor, Action.DELETE, resources.org_object(Feature.ORGANISATION, org.id))
    if confirm_name != org.name:
        raise Invalid("type the organisation's exact name to confirm deleting it and everything in it")
    uow.record("organisation.deleted", org_id=org.id, actor=actor, object_type="organisation", object_id=org.id,
               before={"name": org.name})
    uow.session.delete(org)

