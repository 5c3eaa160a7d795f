"""Plans and what they make available. Roles decide who may use a feature; the plan decides whether it exists."""

from __future__ import annotations

from datetime import datetime
from types import MappingProxyType

from caregate.engine.model import OrgPolicy, Plan, PlanFeature

PLAN_FEATURES = MappingProxyType(
    {
        Plan.FREE: frozenset(),
        Plan.PRACTICE: frozenset({PlanFeature.SESSION_VISIBILITY, PlanFeature.SHARED_ROOMS}),
        Plan.ENTERPRISE: frozenset(PlanFeature),
    }
)

# A trial opens what the practice plan has, for as long as it runs.
TRIAL_FEATURES = PLAN_FEATURES[Plan.PRACTICE]


def trial_running(org: OrgPolicy, now: datetime) -> bool:
    return org.trial_ends_at is not None and now < org.trial_ends_at


def plan_allows(org: OrgPolicy, feature: PlanFeature, now: datetime) -> bool:
    if feature in PLAN_FEATURES[org.plan]:
        return True
    return feature in TRIAL_FEATURES and trial_running(org, now)


def minimum_plan(feature: PlanFeature) -> Plan:
    for plan in (Plan.FREE, Plan.PRACTICE, Plan.ENTERPRISE):
        if feature in PLAN_FEATURES[plan]:
            return plan
    return Plan.ENTERPRISE
