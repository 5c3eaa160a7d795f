"""The engine's public surface, pinned: changing it is a decision, not an accident."""

from __future__ import annotations

from datetime import UTC, datetime

from caregate import engine


def test_public_names_are_pinned():
    assert sorted(engine.__all__) == sorted([
        "BUILTIN_ROLES", "FEATURE_ACTIONS", "PRESETS", "SHARE_LEVELS", "Action", "BillingPolicy", "Context", "Decision",
        "EngineError", "Feature", "Grant", "GrantKind", "IndexCache", "MemberStatus", "Obligations", "OrgPolicy",
        "Permission", "PermissionIndex", "Plan", "PlanFeature", "PolicyError", "Preset", "Reason", "ReasonKind",
        "Resource", "Role", "RoleAssignment", "RoleSpec", "RoleValidationError", "Scope", "SeatType", "ShareLevel",
        "Subject", "SubjectKind", "compile_index", "condition_from_data", "decide", "plan_allows", "resolve_roles",
        "role_label", "validate_role"])
    for name in engine.__all__:
        assert hasattr(engine, name), name


def test_a_decision_carries_its_obligations():
    org = engine.OrgPolicy("o")
    index = engine.compile_index([engine.RoleAssignment(engine.BUILTIN_ROLES["front_desk"])], org)
    me = engine.Subject("m", "o", engine.MemberStatus.ACTIVE, index, org)
    decision = engine.decide(me, engine.Action.READ, engine.Resource(engine.Feature.PATIENTS, "o", "p"),
                             engine.Context(datetime.now(UTC)))
    assert decision.allowed
    assert decision.obligations.hide_fields == frozenset({"ssn", "insurance", "clinical_summary"})
