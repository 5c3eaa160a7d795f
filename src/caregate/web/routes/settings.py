"""Settings (team session visibility, billing policy, Template Manager switch, emergency access, access
requests, plan and trial) and seats."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Request
from starlette.responses import Response

from caregate.engine import BillingPolicy, Plan, PlanFeature
from caregate.engine.plans import PLAN_FEATURES, minimum_plan
from caregate.service import abilities, billing, orgs
from caregate.service.errors import Invalid
from caregate.web.edge import Page, WebRoute, done, page
from caregate.web.policy_form import readable

router = APIRouter(route_class=WebRoute, include_in_schema=False)
OrgId = Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_]+$")]
Checkbox = Annotated[str, Form(max_length=10)]
PLAN_NAMES = {"free": "Free", "practice": "Practice", "enterprise": "Enterprise"}
MAX_HOURS = 72  # the longest emergency access an organisation may allow (`orgs.EmergencyAccess`)
EMERGENCY_LABELS = {"emergency_access.enabled": "Allow emergency access",
                    "emergency_access.max_hours": "Longest emergency access (hours)"}
REQUEST_LABELS = {"access_requests.approvals": "Approvals needed",
                  "access_requests.max_hours": "Longest access (hours)"}


def _visibility_roles(labels: Mapping[str, str], lineages: Mapping[str, tuple[str, ...]]) -> list[dict[str, str]]:
    """Roles that can be given team visibility: every role but Template Managers (no access to sessions)."""
    return [{"key": k, "label": v} for k, v in labels.items() if "template_manager" not in (k, *lineages[k])]


def _render(p: Page, status: int = 200, *, problems: list[str] | None = None,
            emergency: dict[str, Any] | None = None, requests: dict[str, str] | None = None,
            request_problems: list[str] | None = None) -> Response:
    """The settings page; `emergency` and `requests` are those forms as typed, when they were not saved."""
    current = orgs.get_settings(p.uow, p.actor)
    org = orgs.get(p.uow, p.actor)
    gate = abilities.visibility_gate(p.uow, p.actor)
    labels = dict(abilities.role_labels(p.uow, p.actor))
    lineages = abilities.role_lineages(p.uow, p.actor)
    needs = str(minimum_plan(PlanFeature.SESSION_VISIBILITY))
    values: dict[str, Any] = {
        "settings": current, "org_view": org, "gate": gate, "labels": labels,
        "visibility_choices": _visibility_roles(labels, lineages), "needs_plan": PLAN_NAMES[needs],
        "plan_names": PLAN_NAMES, "plan_features": {str(k): sorted(str(f) for f in v)
                                                    for k, v in PLAN_FEATURES.items()},
        "in_plan": PlanFeature.SESSION_VISIBILITY in PLAN_FEATURES[Plan(org.plan)],
        "emergency": emergency or {"enabled": current.emergency_access.enabled,
                                   "max_hours": str(current.emergency_access.max_hours)},
        "emergency_problems": problems or [], "max_hours_limit": MAX_HOURS,
        "requests": requests or {"approvals": str(current.access_requests.approvals),
                                 "max_hours": str(current.access_requests.max_hours)},
        "request_problems": request_problems or []}
    return p.render("settings.html", status, **values)


@router.get("/o/{org_id}/settings")
def settings_page(request: Request, org_id: OrgId) -> Response:
    with page(request, org_id, "settings") as p:
        return _render(p)


@router.post("/o/{org_id}/settings/visibility")
def visibility(request: Request, org_id: OrgId, enabled: Checkbox = "",
               role: Annotated[list[str] | None, Form(max_length=20)] = None) -> Response:
    chosen = [r[:40] for r in (role or [])][:20]
    with page(request, org_id, "settings") as p:
        after = orgs.update_settings(p.uow, p.actor, changes={"session_visibility": enabled == "on",
                                                              "visibility_roles": chosen})
    state = "on" if after.session_visibility else "off"
    return done(request, f"/o/{org_id}/settings#visibility", f"Team session visibility is {state}.")


@router.post("/o/{org_id}/settings/billing-policy")
def billing_policy(request: Request, org_id: OrgId,
                   policy: Annotated[BillingPolicy, Form()]) -> Response:
    with page(request, org_id, "settings") as p:
        orgs.update_settings(p.uow, p.actor, changes={"billing_policy": str(policy)})
    who = "Owners only" if policy is BillingPolicy.OWNERS_ONLY else "Owners and Administrators"
    return done(request, f"/o/{org_id}/settings#billing", f"Subscription and billing: {who}.")


@router.post("/o/{org_id}/settings/template-manager")
def template_manager(request: Request, org_id: OrgId, enabled: Checkbox = "") -> Response:
    with page(request, org_id, "settings") as p:
        orgs.update_settings(p.uow, p.actor, changes={"template_manager_enabled": enabled == "on"})
    state = "available" if enabled == "on" else "switched off"
    return done(request, f"/o/{org_id}/settings#template-manager", f"The Template Manager role is {state}.")


@router.post("/o/{org_id}/settings/plan")
def plan(request: Request, org_id: OrgId, plan: Annotated[Plan, Form()]) -> Response:
    with page(request, org_id, "settings") as p:
        view = orgs.change_plan(p.uow, p.actor, plan=plan)
    return done(request, f"/o/{org_id}/settings#plan", f"The organisation is now on the {PLAN_NAMES[view.plan]} plan.")


@router.post("/o/{org_id}/settings/trial")
def trial(request: Request, org_id: OrgId,
          start: Annotated[Literal["yes"], Form()]) -> Response:
    with page(request, org_id, "settings") as p:
        view = orgs.change_plan(p.uow, p.actor, start_trial=start == "yes")
    until = view.trial_ends_at.strftime("%d %b %Y") if view.trial_ends_at else ""
    return done(request, f"/o/{org_id}/settings#plan", f"Your trial runs until {until}.")


@router.post("/o/{org_id}/settings/emergency-access")
def emergency_access(request: Request, org_id: OrgId, enabled: Checkbox = "",
                     max_hours: Annotated[str, Form(max_length=20)] = "") -> Response:
    """Break-glass on or off, and its longest duration; a refusal is shown on the page with the form's labels."""
    on, text = enabled == "on", max_hours.strip()
    hours: int | str = int(text) if text.isdigit() else text  # not a number: the settings say what is wrong
    try:
        with page(request, org_id, "settings") as p:
            after = orgs.update_settings(p.uow, p.actor, changes={"emergency_access": {
                "enabled": on, "max_hours": hours}}).emergency_access
    except Invalid as exc:
        with page(request, org_id, "settings") as p:
            found = [readable(x, {}, known=EMERGENCY_LABELS) for x in exc.problems]
            return _render(p, 422, problems=["Emergency access was not saved. Please check:", *found],
                           emergency={"enabled": on, "max_hours": text})
    state = f"allowed, for at most {after.max_hours} hour{'' if after.max_hours == 1 else 's'}" if after.enabled \
        else "switched off"
    return done(request, f"/o/{org_id}/settings#emergency", f"Emergency access is {state}.")


@router.post("/o/{org_id}/settings/access-requests")
def access_requests(request: Request, org_id: OrgId, approvals: Annotated[str, Form(max_length=20)] = "",
                    max_hours: Annotated[str, Form(max_length=20)] = "") -> Response:
    """Approvals a request needs and its longest access; a refusal is shown on the page with the form's labels."""
    typed = {"approvals": approvals.strip(), "max_hours": max_hours.strip()}
    # not a number: the settings say what is wrong
    changes: dict[str, int | str] = {k: int(v) if v.isdigit() else v for k, v in typed.items()}
    try:
        with page(request, org_id, "settings") as p:
            after = orgs.update_settings(p.uow, p.actor, changes={"access_requests": changes}).access_requests
    except Invalid as exc:
        with page(request, org_id, "settings") as p:
            found = [readable(x, {}, known=REQUEST_LABELS) for x in exc.problems]
            return _render(p, 422, requests=typed,
                           request_problems=["Access requests were not saved. Please check:", *found])
    return done(request, f"/o/{org_id}/settings#access-requests",
                f"Access requests need {after.approvals} approval{'' if after.approvals == 1 else 's'} and give "
                f"access for at most {after.max_hours} hour{'' if after.max_hours == 1 else 's'}.")


@router.get("/o/{org_id}/seats")
def seats_page(request: Request, org_id: OrgId) -> Response:
    with page(request, org_id, "seats") as p:
        summary = billing.summary(p.uow, p.actor)
        return p.render("seats.html", seats=summary, plan_name=PLAN_NAMES.get(p.org.plan, p.org.plan))
