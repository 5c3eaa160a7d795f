"""Stored rows as the engine's `Resource`s. The list filters in `store.mappings` must say the same."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from caregate.engine import SHARE_LEVELS, Feature, Grant, GrantKind, Resource, Role, ShareLevel
from caregate.engine.catalog import OWNER
from caregate.store.clinical import ClinicalSession, Patient, SessionShare
from caregate.store.tables import Location, Membership, Team


def org_object(feature: Feature, org_id: str) -> Resource:
    """An organisation-level object (its settings, subscription, seats, audit log, roles ...)."""
    return Resource(feature, org_id, id=org_id)


def member(m: Membership, *, teams: Iterable[str], locations: Iterable[str], role_keys: Iterable[str],
           roles: Mapping[str, Role], extra: Mapping[str, object] | None = None) -> Resource:
    keys = set(role_keys)
    attrs: dict[str, object] = {
        "rank": max((roles[k].rank for k in keys if k in roles), default=0),
        "is_owner": OWNER in keys,
        "status": m.status,
    }
    attrs.update(extra or {})
    return Resource(Feature.MEMBERS, m.org_id, id=m.id, owner_id=m.id, team_ids=frozenset(teams),
                    location_ids=frozenset(locations), attrs=attrs)


def new_member(org_id: str, *, teams: Iterable[str], locations: Iterable[str], new_rank: int) -> Resource:
    return Resource(Feature.MEMBERS, org_id, team_ids=frozenset(teams), location_ids=frozenset(locations),
                    attrs={"new_rank": new_rank})


def team(t: Team) -> Resource:
    return Resource(Feature.TEAMS, t.org_id, id=t.id, team_ids=frozenset({t.id}))


def location(loc: Location) -> Resource:
    return Resource(Feature.LOCATIONS, loc.org_id, id=loc.id, location_ids=frozenset({loc.id}))


def share_grants(shares: Iterable[SessionShare]) -> dict[str, tuple[Grant, ...]]:
    out: dict[str, tuple[Grant, ...]] = {}
    for share in shares:
        level = ShareLevel(share.level)
        grant = Grant(GrantKind.SHARE, f"{share.session_id}/{share.membership_id}", SHARE_LEVELS[level],
                      level=str(level), granted_by=share.created_by)
        out[share.membership_id] = (*out.get(share.membership_id, ()), grant)
    return out


def session(row: ClinicalSession, *, shares: Iterable[SessionShare], care_team: Iterable[str] = (),
            feature: Feature = Feature.SESSIONS) -> Resource:
    """A session, or one of its parts (note, transcript, context, documents) which share its access."""
    return Resource(
        feature, row.org_id, id=row.id, owner_id=row.owner_id, created_by=row.created_by,
        team_ids=frozenset({row.team_id}) if row.team_id else frozenset(),
        location_ids=frozenset({row.location_id}) if row.location_id else frozenset(),
        assigned_ids=frozenset(care_team), patient_id=row.patient_id, grants=share_grants(shares),
        attrs={"status": row.status},
    )


def patient(row: Patient, *, care_team: Iterable[str]) -> Resource:
    return Resource(
        Feature.PATIENTS, row.org_id, id=row.id, created_by=row.created_by,
        team_ids=frozenset({row.team_id}) if row.team_id else frozenset(),
        location_ids=frozenset({row.location_id}) if row.location_id else frozenset(),
        assigned_ids=frozenset(care_team), patient_id=row.id,
    )
