"""Note templates: personal (their owner's), shared with chosen teams, or published organisation-wide.

A Clinician creates, edits and deletes only personal templates and reads the team templates of their
teams and the published ones. Template Managers and Administrators create, share and publish team and
organisation templates (and share or publish their own personal ones). Templates hold no patient data.
"""

from __future__ import annotations

from collections.abc import Sequence

from caregate.engine import Action
from caregate.service import resources
from caregate.service.actors import Actor
from caregate.service.authz import authorize
from caregate.service.clinical import common
from caregate.service.clinical import views as v
from caregate.service.clinical.kinds import Facts, template_view
from caregate.service.clinical.reading import kind as kind_of
from caregate.service.clinical.reading import load
from caregate.service.context import UnitOfWork
from caregate.service.errors import Invalid
from caregate.store import records
from caregate.store.clinical import Template
from caregate.store.ids import new_id

VISIBILITIES = ("personal", "team", "org")
MAX_TEAMS = 50


def _teams(uow: UnitOfWork, actor: Actor, team_ids: Sequence[str]) -> list[str]:
    if len(team_ids) > MAX_TEAMS:
        raise Invalid(f"share a template with at most {MAX_TEAMS} teams")
    for team_id in team_ids:
        common.team(uow, actor, team_id)
    return sorted(set(team_ids))


def _visibility(visibility: str, team_ids: Sequence[str]) -> str:
    if visibility not in VISIBILITIES:
        raise Invalid(f"visibility must be one of {', '.join(VISIBILITIES)}")
    if visibility == "team" and not team_ids:
        raise Invalid("a team template names the teams it is shared with (team_ids)")
    return visibility


def create(uow: UnitOfWork, actor: Actor, *, name: str, body: str = "", visibility: str = "personal",
           team_ids: Sequence[str] = ()) -> v.TemplateView:
    teams = _teams(uow, actor, team_ids)
    row = Template(id=new_id("tpl"), org_id=actor.org_id, owner_id=actor.member_id,
                   name=common.text(name, limit=120, what="name", required=True),
                   body=common.text(body, limit=100_000, what="body"), visibility=_visibility(visibility, teams),
                   created_at=uow.now)
    decision = authorize(uow, actor, Action.CREATE, resources.template(row, teams=teams))
    uow.session.add(row)
    uow.session.flush()
    records.replace_template_teams(uow.session, org_id=actor.org_id, template_id=row.id, team_ids=teams)
    uow.record("templates.create", org_id=actor.org_id, actor=actor, object_type="templates", object_id=row.id,
               decision=decision, after={"name": row.name, "visibility": row.visibility, "team_ids": teams})
    return template_view(row, Facts(teams={row.id: set(teams)}))


def _load(uow: UnitOfWork, actor: Actor, template_id: str) -> tuple[Template, Facts]:
    row, facts = load(uow, actor, kind_of("templates"), template_id)
    assert isinstance(row, Template)
    return row, facts


def edit(uow: UnitOfWork, actor: Actor, *, template_id: str, name: str | None = None,
         body: str | None = None) -> v.TemplateView:
    row, facts = _load(uow, actor, template_id)
    decision = authorize(uow, actor, Action.EDIT, resources.template(row, teams=facts.teams.get(row.id, ())))
    before = {"name": row.name}
    if name is not None:
        row.name = common.text(name, limit=120, what="name", required=True)
    if body is not None:
        row.body = common.text(body, limit=100_000, what="body")
    row.updated_at = uow.now
    uow.record("templates.edit", org_id=actor.org_id, actor=actor, object_type="templates", object_id=row.id,
               decision=decision, before=before, after={"name": row.name})
    return template_view(row, facts)


def distribute(uow: UnitOfWork, actor: Actor, *, template_id: str, visibility: str,
               team_ids: Sequence[str] = ()) -> v.TemplateView:
    """Share with chosen teams (`share`), publish organisation-wide (`publish`), or take it back to personal."""
    row, facts = _load(uow, actor, template_id)
    teams = _teams(uow, actor, team_ids)
    _visibility(visibility, teams)
    action = Action.PUBLISH if visibility == "org" else Action.SHARE
    decision = authorize(uow, actor, action, resources.template(row, teams=facts.teams.get(row.id, ())))
    before = {"visibility": row.visibility, "team_ids": sorted(facts.teams.get(row.id, ()))}
    row.visibility = visibility
    row.updated_at = uow.now
    kept = teams if visibility != "personal" else []
    records.replace_template_teams(uow.session, org_id=actor.org_id, template_id=row.id, team_ids=kept)
    facts.teams[row.id] = set(kept)
    uow.record(f"templates.{action}", org_id=actor.org_id, actor=actor, object_type="templates", object_id=row.id,
               decision=decision, before=before, after={"visibility": visibility, "team_ids": kept})
    return template_view(row, facts)
