"""Stored rows as the engine's `Resource`s. The list filters in `store.mappings` must say the same."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from caregate.engine import SHARE_LEVELS, Feature, Grant, GrantKind, Resource, Role, ShareLevel
from caregate.engine.catalog import OWNER, PATIENT_ACCESS_PERMITS
from caregate.store.clinical import (
    Appointment,
    Call,
    Charge,
    ClinicalSession,
    ContextEntry,
    Invoice,
    Patient,
    PatientAccess,
    PatientMessage,
    Payment,
    Product,
    Refund,
    Room,
    SessionDocument,
    SessionShare,
    StockOrder,
    Template,
)
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


def _ids(*values: str | None) -> frozenset[str]:
    return frozenset(v for v in values if v)


def _attrs(**values: object) -> dict[str, object]:
    """Attributes as the engine reads them: an unknown (NULL) value is absent, never None."""
    return {k: v for k, v in values.items() if v is not None}


def amount(cents: int) -> float:
    """Money attributes are in currency units, so that a condition reads 'amount < 500'."""
    return cents / 100


def share_grants(shares: Iterable[SessionShare]) -> dict[str, tuple[Grant, ...]]:
    out: dict[str, tuple[Grant, ...]] = {}
    for share in shares:
        level = ShareLevel(share.level)
        grant = Grant(GrantKind.SHARE, f"{share.session_id}/{share.membership_id}", SHARE_LEVELS[level],
                      level=str(level), granted_by=share.created_by)
        out[share.membership_id] = (*out.get(share.membership_id, ()), grant)
    return out


def access_grants(rows: Iterable[PatientAccess]) -> dict[str, tuple[Grant, ...]]:
    out: dict[str, tuple[Grant, ...]] = {}
    for row in rows:
        kind = GrantKind.BREAK_GLASS if row.kind == "break_glass" else GrantKind.PATIENT_ACCESS
        grant = Grant(kind, row.id, PATIENT_ACCESS_PERMITS, until=row.until, granted_by=row.granted_by)
        out[row.membership_id] = (*out.get(row.membership_id, ()), grant)
    return out


def _merge(*grants: Mapping[str, tuple[Grant, ...]]) -> dict[str, tuple[Grant, ...]]:
    out: dict[str, tuple[Grant, ...]] = {}
    for each in grants:
        for member_id, held in each.items():
            out[member_id] = (*out.get(member_id, ()), *held)
    return out


def session(row: ClinicalSession, *, shares: Iterable[SessionShare], care_team: Iterable[str] = (),
            feature: Feature = Feature.SESSIONS, access: Iterable[PatientAccess] = (),
            part: ContextEntry | SessionDocument | None = None) -> Resource:
    """A session, or one of its parts (note, transcript, context, documents) which share its access.

    A context entry or a document is the part's own id and author; everything else is the session's:
    owner, team, location, the patient's care team, the shares, and explicit access to the patient.
    """
    return Resource(
        feature, row.org_id, id=part.id if part else row.id, owner_id=row.owner_id,
        created_by=part.created_by if part else row.created_by,
        team_ids=_ids(row.team_id), location_ids=_ids(row.location_id),
        assigned_ids=frozenset(care_team), patient_id=row.patient_id,
        grants=_merge(share_grants(shares), access_grants(access)),
        attrs=_attrs(status=row.status),
    )


def patient(row: Patient, *, care_team: Iterable[str], shares: Iterable[SessionShare] = (),
            access: Iterable[PatientAccess] = (), extra: Mapping[str, object] | None = None) -> Resource:
    """A patient: the care team, explicit access, and the edit / full shares of the patient's sessions."""
    return Resource(
        Feature.PATIENTS, row.org_id, id=row.id, created_by=row.created_by,
        team_ids=_ids(row.team_id), location_ids=_ids(row.location_id),
        assigned_ids=frozenset(care_team), patient_id=row.id,
        grants=_merge(share_grants(shares), access_grants(access)), attrs=dict(extra or {}),
    )


def template(row: Template, *, teams: Iterable[str]) -> Resource:
    return Resource(Feature.TEMPLATES, row.org_id, id=row.id, owner_id=row.owner_id, team_ids=frozenset(teams),
                    attrs=_attrs(visibility=row.visibility))


def appointment(row: Appointment, *, care_team: Iterable[str] = (), owner_seat: str | None = None) -> Resource:
    return Resource(Feature.APPOINTMENTS, row.org_id, id=row.id, owner_id=row.provider_id, created_by=row.created_by,
                    team_ids=_ids(row.team_id), location_ids=_ids(row.location_id),
                    assigned_ids=frozenset(care_team), patient_id=row.patient_id,
                    attrs=_attrs(status=row.status, owner_seat=owner_seat))


def message(row: PatientMessage, *, patient_row: Patient, care_team: Iterable[str]) -> Resource:
    """A patient message belongs where its patient does: the patient's team, location and care team."""
    return Resource(Feature.MESSAGES, row.org_id, id=row.id, created_by=row.created_by,
                    team_ids=_ids(patient_row.team_id), location_ids=_ids(patient_row.location_id),
                    assigned_ids=frozenset(care_team), patient_id=row.patient_id,
                    attrs=_attrs(direction=row.direction))


def invoice(row: Invoice) -> Resource:
    return Resource(Feature.INVOICES, row.org_id, id=row.id, created_by=row.created_by,
                    location_ids=_ids(row.location_id), patient_id=row.patient_id,
                    attrs=_attrs(status=row.status, amount=amount(row.amount_cents)))


def charge(row: Charge) -> Resource:
    return Resource(Feature.CHARGES, row.org_id, id=row.id, created_by=row.requested_by,
                    location_ids=_ids(row.location_id), patient_id=row.patient_id,
                    attrs=_attrs(status=row.status, amount=amount(row.amount_cents), requested_by=row.requested_by,
                                 approved_by=row.approved_by))


def payment(row: Payment) -> Resource:
    return Resource(Feature.PAYMENTS, row.org_id, id=row.id, created_by=row.created_by,
                    location_ids=_ids(row.location_id), patient_id=row.patient_id,
                    attrs=_attrs(status=row.status, amount=amount(row.amount_cents), method=row.method))


def refund(row: Refund) -> Resource:
    return Resource(Feature.REFUNDS, row.org_id, id=row.id, created_by=row.requested_by,
                    location_ids=_ids(row.location_id), patient_id=row.patient_id,
                    attrs=_attrs(status=row.status, amount=amount(row.amount_cents), requested_by=row.requested_by,
                                 approved_by=row.approved_by))


def product(row: Product) -> Resource:
    return Resource(Feature.INVENTORY, row.org_id, id=row.id, location_ids=_ids(row.location_id))


def order(row: StockOrder, *, product_row: Product) -> Resource:
    return Resource(Feature.INVENTORY, row.org_id, id=row.id, created_by=row.created_by,
                    location_ids=_ids(product_row.location_id), attrs=_attrs(status=row.status))


def call(row: Call, *, feature: Feature = Feature.CALLS) -> Resource:
    """A call, or its AI transcription (feature call_transcripts), which is read with the call's facts."""
    return Resource(feature, row.org_id, id=row.id, created_by=row.created_by,
                    assigned_ids=_ids(row.assigned_to), patient_id=row.patient_id, attrs=_attrs(status=row.status))


def room(row: Room, *, members: Iterable[str], owner_seat: str | None = None) -> Resource:
    """A video room; a shared room needs the plan's shared rooms (the engine's plan gate reads plan_feature)."""
    shared = row.kind == "shared"
    return Resource(Feature.ROOMS, row.org_id, id=row.id, owner_id=row.owner_id, created_by=row.created_by,
                    assigned_ids=frozenset(members),
                    attrs=_attrs(kind=row.kind, plan_feature="shared_rooms" if shared else None,
                                 owner_seat=owner_seat))
