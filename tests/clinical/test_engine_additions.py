"""What this area added to the engine: explicit patient access, who it reaches and what it shows; the
Administrator's care-team and access management; the creator of a patient joining its care team; and the
filters' grant predicate honouring the same rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from caregate.engine import (
    BUILTIN_ROLES,
    Action,
    Context,
    Feature,
    Grant,
    GrantKind,
    MemberStatus,
    OrgPolicy,
    Resource,
    RoleAssignment,
    Subject,
    compile_index,
    decide,
)
from caregate.engine.catalog import PATIENT_ACCESS_PERMITS
from caregate.engine.filters import HasGrant, evaluate, predicate_for

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
ORG = "org-a"
F, A = Feature, Action


def member(*roles: str) -> Subject:
    org = OrgPolicy(ORG)
    index = compile_index([RoleAssignment(BUILTIN_ROLES[r]) for r in roles], org)
    return Subject("me", ORG, MemberStatus.ACTIVE, index, org, team_ids=frozenset({"t1"}))


def with_access(feature: Feature, until: datetime | None = None) -> Resource:
    grant = Grant(GrantKind.PATIENT_ACCESS, "pac-1", PATIENT_ACCESS_PERMITS, until=until)
    return Resource(feature, ORG, id="x", owner_id="someone", team_ids=frozenset({"t2"}),
                    assigned_ids=frozenset({"someone"}), grants={"me": (grant,)})


@pytest.mark.parametrize(("roles", "feature", "allowed", "hidden"), [
    (("clinician",), F.PATIENTS, True, set()),
    (("clinician",), F.NOTES, True, set()),
    (("clinician",), F.TRANSCRIPTS, True, set()),
    (("clinician",), F.DOCUMENTS, True, set()),
    # Front Desk: the patient, never SSN / insurance / summary, and never the medical record
    (("front_desk",), F.PATIENTS, True, {"ssn", "insurance", "clinical_summary"}),
    (("front_desk",), F.NOTES, False, set()),
    (("front_desk",), F.SESSIONS, False, set()),
    # Billing: the patient without the clinical summary; no clinical records
    (("billing",), F.PATIENTS, True, {"clinical_summary"}),
    (("billing",), F.NOTES, False, set()),
    # roles without patients are never reached
    (("template_manager",), F.PATIENTS, False, set()),
    (("call_center",), F.PATIENTS, False, set()),
    (("inventory",), F.PATIENTS, False, set()),
    # a member holding a role that shows the fields sees them
    (("front_desk", "clinician"), F.PATIENTS, True, set()),
])
def test_explicit_patient_access(roles: tuple[str, ...], feature: Feature, allowed: bool, hidden: set[str]) -> None:
    subject = member(*roles)
    decision = decide(subject, A.READ, with_access(feature), Context(NOW))
    assert decision.allowed is allowed, decision.message
    if allowed:
        assert decision.hidden_fields == hidden
        assert decision.reasons[0].code == "grant:patient_access:pac-1" or decision.reasons[0].code.startswith("role:")
    # the filter says the same
    pred = predicate_for(subject, feature, A.READ, Context(NOW))
    assert evaluate(pred, with_access(feature), Context(NOW)) is allowed


def test_explicit_access_only_reads_and_lapses() -> None:
    clinician = member("clinician")
    assert not decide(clinician, A.EDIT, with_access(F.PATIENTS), Context(NOW)).allowed
    assert not decide(clinician, A.COPY, with_access(F.NOTES), Context(NOW)).allowed
    lapsing = with_access(F.PATIENTS, until=NOW + timedelta(hours=1))
    assert decide(clinician, A.READ, lapsing, Context(NOW)).allowed
    assert not decide(clinician, A.READ, lapsing, Context(NOW + timedelta(hours=1))).allowed


def _grants(pred: object) -> list[HasGrant]:
    if isinstance(pred, HasGrant):
        return [pred]
    parts = getattr(pred, "parts", None) or ([pred.part] if hasattr(pred, "part") else [])
    return [g for p in parts for g in _grants(p)]


def test_grant_predicate_carries_the_moment_and_the_reach() -> None:
    pred = predicate_for(member("front_desk"), F.NOTES, A.READ, Context(NOW))
    assert _grants(pred) == [HasGrant("me", (F.NOTES, A.READ), False, False, NOW)]
    pred = predicate_for(member("call_center"), F.PATIENTS, A.READ, Context(NOW))
    assert _grants(pred) == [HasGrant("me", (F.PATIENTS, A.READ), False, False, NOW)]
    pred = predicate_for(member("clinician"), F.PATIENTS, A.READ, Context(NOW))
    assert _grants(pred) == [HasGrant("me", (F.PATIENTS, A.READ), True, True, NOW)]


@pytest.mark.parametrize(("action", "seat", "allowed", "code"), [
    (A.ASSIGN, "standard", True, "role:administrator"),
    (A.ASSIGN, "support", False, "forbid:support-seat"),
    (A.SHARE, None, True, "role:administrator"),
])
def test_administrators_manage_who_reaches_a_patient(action: Action, seat: str | None, allowed: bool,
                                                     code: str) -> None:
    attrs = {"owner_seat": seat} if seat else {}
    patient = Resource(F.PATIENTS, ORG, id="p", team_ids=frozenset({"t2"}), attrs=attrs)
    decision = decide(member("administrator"), action, patient, Context(NOW))
    assert decision.allowed is allowed
    assert decision.reasons[0].code == code
    # an Administrator still does not read a patient who is not theirs
    assert not decide(member("administrator"), A.READ, patient, Context(NOW)).allowed
    assert not decide(member("clinician"), A.SHARE, patient, Context(NOW)).allowed


def test_a_support_seat_creator_does_not_join_the_care_team() -> None:
    new_patient = Resource(F.PATIENTS, ORG, team_ids=frozenset({"t1"}), assigned_ids=frozenset({"me"}),
                           attrs={"owner_seat": "support"})
    decision = decide(member("assistant"), A.CREATE, new_patient, Context(NOW))
    assert decision.reasons[0].code == "forbid:support-seat"
    without = Resource(F.PATIENTS, ORG, team_ids=frozenset({"t1"}))
    assert decide(member("assistant"), A.CREATE, without, Context(NOW)).allowed
    standard = Resource(F.PATIENTS, ORG, assigned_ids=frozenset({"me"}), attrs={"owner_seat": "standard"})
    assert decide(member("clinician"), A.CREATE, standard, Context(NOW)).allowed
