from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from caregate.api.deps import CallerDep, Svc, run
from caregate.api.schemas import BatchIn, QuestionIn
from caregate.engine import FEATURE_ACTIONS, PRESETS, Plan
from caregate.engine.catalog import BUILTIN_ROLES, SHARE_LEVELS
from caregate.engine.plans import PLAN_FEATURES
from caregate.service import checks
from caregate.service.views import DecisionView

router = APIRouter(tags=["decisions"])


def question(q: QuestionIn) -> checks.Question:
    r = q.resource
    described = None
    if r.is_described():
        described = checks.Described(
            owner_id=r.owner_id, created_by=r.created_by, team_ids=tuple(r.team_ids),
            location_ids=tuple(r.location_ids), assigned_ids=tuple(r.assigned_ids), patient_id=r.patient_id,
            shares=dict(r.shares), attrs=dict(r.attrs))
    return checks.Question(action=q.action, resource_type=r.type, resource_id=r.id, member_id=q.member_id,
                           member_email=q.member_email, described=described)


@router.post("/orgs/{org_id}/check", response_model=DecisionView | dict[str, list[DecisionView]],
             summary="May this member do this? One question, or a batch under 'requests'")
def check(org_id: str, body: QuestionIn | BatchIn, svc: Svc, caller: CallerDep
          ) -> DecisionView | dict[str, list[DecisionView]]:
    if isinstance(body, BatchIn):
        results = run(svc, caller, org_id, checks.check_many, questions=[question(q) for q in body.requests])
        return {"results": results}
    return run(svc, caller, org_id, checks.check_many, questions=[question(body)])[0]


@router.get("/catalog", summary="Features, actions, built-in roles, share levels, presets and plans")
def catalog() -> dict[str, Any]:
    return {
        "features": {str(f): sorted(str(a) for a in actions) for f, actions in FEATURE_ACTIONS.items()},
        "builtin_roles": [{"key": r.key, "name": r.name, "rank": r.rank, "seat_type": str(r.seat),
                           "description": r.description} for r in BUILTIN_ROLES.values()],
        "share_levels": {str(level): sorted(f"{f}:{a}" for f, a in permits) for level, permits in SHARE_LEVELS.items()},
        "presets": {p.key: {"name": p.name, "description": p.description, "roles": list(p.roles),
                            "labels": dict(p.labels)} for p in PRESETS.values()},
        "plans": {str(plan): sorted(str(f) for f in PLAN_FEATURES[plan]) for plan in Plan},
    }
