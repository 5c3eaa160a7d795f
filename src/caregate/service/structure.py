"""Teams and locations (regions and the clinic sites under them)."""

from __future__ import annotations

from caregate.engine import Action, Feature, Resource
from caregate.service import resources
from caregate.service.actors import Actor
from caregate.service.authz import authorize
from caregate.service.context import UnitOfWork
from caregate.service.errors import Conflict, Invalid, NotFound
from caregate.service.views import LocationView, TeamView
from caregate.store import repo
from caregate.store.ids import new_id
from caregate.store.tables import Location, Team

LOCATION_KINDS = ("region", "location")


def _name(name: str, what: str) -> str:
    cleaned = " ".join(name.split())
    if not 1 <= len(cleaned) <= 120:
        raise Invalid(f"a {what} name must be 1 to 120 characters")
    return cleaned


def _any(feature: Feature, org_id: str) -> Resource:
    """A new object of the kind, before it belongs anywhere (creating one is an organisation-wide act)."""
    return resources.org_object(feature, org_id)


def list_teams(uow: UnitOfWork, actor: Actor) -> list[TeamView]:
    authorize(uow, actor, Action.READ, _any(Feature.TEAMS, actor.org_id))
    counts = repo.team_member_counts(uow.session, org_id=actor.org_id)
    return [TeamView(id=t.id, name=t.name, member_count=counts.get(t.id, 0))
            for t in repo.teams(uow.session, org_id=actor.org_id)]


def _team(uow: UnitOfWork, actor: Actor, team_id: str) -> Team:
    team = repo.get_team(uow.session, org_id=actor.org_id, team_id=team_id)
    if team is None:
        raise NotFound(f"team {team_id} not found")
    return team


def _unique_team(uow: UnitOfWork, org_id: str, name: str, except_id: str | None = None) -> None:
    if any(t.name.lower() == name.lower() and t.id != except_id for t in repo.teams(uow.session, org_id=org_id)):
        raise Conflict(f"a team called {name!r} already exists")


def create_team(uow: UnitOfWork, actor: Actor, *, name: str) -> TeamView:
    authorize(uow, actor, Action.CREATE, _any(Feature.TEAMS, actor.org_id))
    name = _name(name, "team")
    _unique_team(uow, actor.org_id, name)
    team = Team(id=new_id("team"), org_id=actor.org_id, name=name, created_at=uow.now)
    uow.session.add(team)
    uow.record("teams.create", org_id=actor.org_id, actor=actor, object_type="teams", object_id=team.id,
               after={"name": name})
    return TeamView(id=team.id, name=team.name)


def rename_team(uow: UnitOfWork, actor: Actor, *, team_id: str, name: str) -> TeamView:
    team = _team(uow, actor, team_id)
    authorize(uow, actor, Action.EDIT, resources.team(team))
    name = _name(name, "team")
    _unique_team(uow, actor.org_id, name, except_id=team.id)
    before, team.name = team.name, name
    uow.record("teams.edit", org_id=actor.org_id, actor=actor, object_type="teams", object_id=team.id,
               before={"name": before}, after={"name": name})
    return TeamView(id=team.id, name=team.name)


def delete_team(uow: UnitOfWork, actor: Actor, *, team_id: str) -> None:
    team = _team(uow, actor, team_id)
    authorize(uow, actor, Action.DELETE, resources.team(team))
    if repo.team_member_counts(uow.session, org_id=actor.org_id).get(team.id):
        raise Conflict(f"the team {team.name!r} still has members; move them to another team first")
    uow.record("teams.delete", org_id=actor.org_id, actor=actor, object_type="teams", object_id=team.id,
               before={"name": team.name})
    uow.session.delete(team)


def _location_view(loc: Location) -> LocationView:
    return LocationView(id=loc.id, name=loc.name, kind=loc.kind, parent_id=loc.parent_id)


def list_locations(uow: UnitOfWork, actor: Actor) -> list[LocationView]:
    authorize(uow, actor, Action.READ, _any(Feature.LOCATIONS, actor.org_id))
    return [_location_view(loc) for loc in repo.locations(uow.session, org_id=actor.org_id)]


def _location(uow: UnitOfWork, actor: Actor, location_id: str) -> Location:
    loc = repo.get_location(uow.session, org_id=actor.org_id, location_id=location_id)
    if loc is None:
        raise NotFound(f"location {location_id} not found")
    return loc


def create_location(uow: UnitOfWork, actor: Actor, *, name: str, kind: str = "location",
                    parent_id: str | None = None) -> LocationView:
    authorize(uow, actor, Action.CREATE, _any(Feature.LOCATIONS, actor.org_id))
    name = _name(name, "location")
    if kind not in LOCATION_KINDS:
        raise Invalid(f"kind must be one of {', '.join(LOCATION_KINDS)}")
    if parent_id is not None:
        parent = _location(uow, actor, parent_id)
        if parent.kind != "region":
            raise Invalid("a location's parent must be a region")
        if kind == "region":
            raise Invalid("regions are the top of the hierarchy and have no parent")
    if any(loc.name.lower() == name.lower() for loc in repo.locations(uow.session, org_id=actor.org_id)):
        raise Conflict(f"a location called {name!r} already exists")
    loc = Location(id=new_id("loc"), org_id=actor.org_id, name=name, kind=kind, parent_id=parent_id,
                   created_at=uow.now)
    uow.session.add(loc)
    uow.record("locations.create", org_id=actor.org_id, actor=actor, object_type="locations", object_id=loc.id,
               after={"name": name, "kind": kind, "parent_id": parent_id})
    return _location_view(loc)


def rename_location(uow: UnitOfWork, actor: Actor, *, location_id: str, name: str) -> LocationView:
    loc = _location(uow, actor, location_id)
    authorize(uow, actor, Action.EDIT, resources.location(loc))
    name = _name(name, "location")
    if any(o.name.lower() == name.lower() and o.id != loc.id
           for o in repo.locations(uow.session, org_id=actor.org_id)):
        raise Conflict(f"a location called {name!r} already exists")
    before, loc.name = loc.name, name
    uow.record("locations.edit", org_id=actor.org_id, actor=actor, object_type="locations", object_id=loc.id,
               before={"name": before}, after={"name": name})
    return _location_view(loc)


def delete_location(uow: UnitOfWork, actor: Actor, *, location_id: str) -> None:
    loc = _location(uow, actor, location_id)
    authorize(uow, actor, Action.DELETE, resources.location(loc))
    if repo.location_in_use(uow.session, location_id=loc.id):
        raise Conflict(f"{loc.name!r} has locations under it; delete or move them first")
    uow.record("locations.delete", org_id=actor.org_id, actor=actor, object_type="locations", object_id=loc.id,
               before={"name": loc.name, "kind": loc.kind, "parent_id": loc.parent_id})
    uow.session.delete(loc)
