"""The reverse question, asked of the engine: "who may do this?" (Django's users-with-permission).

Used where caregate must pick people rather than check one: who receives an alert about the audit log,
who may be offered as a share target. Members are loaded in a few batched queries and each is decided
by `engine.decide`, so the answer follows roles, limits, settings and status exactly like a request.
"""

from __future__ import annotations

from caregate.engine import Action, MemberStatus, Resource, Subject, SubjectKind, decide
from caregate.service.actors import labels, location_closure, org_policy, org_roles, role_assignments
from caregate.service.context import UnitOfWork
from caregate.store import repo
from caregate.store.tables import Membership, User


def members_allowed(uow: UnitOfWork, org_id: str, action: Action, resource: Resource, *,
                    people_only: bool = True) -> list[tuple[Membership, User]]:
    """The organisation's active members for whom the engine allows `action` on `resource`."""
    org = repo.get_org(uow.session, org_id=org_id)
    if org is None:
        return []
    active = repo.active_members(uow.session, org_id=org_id)
    if people_only:
        active = [(m, u) for m, u in active if u.kind == "person"]
    ids = [m.id for m, _ in active]
    held = repo.roles_of(uow.session, member_ids=ids)
    teams = repo.teams_of(uow.session, member_ids=ids)
    places = repo.locations_of(uow.session, member_ids=ids)
    roles, policy, names = org_roles(uow, org_id), org_policy(org), labels(org)
    closure = location_closure(repo.locations(uow.session, org_id=org_id))
    context = uow.context()
    chosen = []
    for member, user in active:
        assignments = role_assignments(held[member.id], roles, closure, org)
        index = uow.services.index_cache.get(assignments, policy, names)
        located = frozenset().union(*(closure.get(loc, frozenset({loc})) for loc in places[member.id]))
        subject = Subject(member.id, org_id, MemberStatus.ACTIVE, index, policy, team_ids=frozenset(teams[member.id]),
                          location_ids=located, kind=SubjectKind(user.kind))
        if decide(subject, action, resource, context).allowed:
            chosen.append((member, user))
    return chosen
