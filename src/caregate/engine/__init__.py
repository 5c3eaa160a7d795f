"""The caregate decision engine: pure Python, standard library only.

    from caregate.engine import decide, Subject, Resource, Context, Action, Feature

`decide(subject, action, resource, context)` returns a `Decision(allowed, reasons, hidden_fields)`.
Default deny; a forbid beats any permit; the reasons name the role, grant, setting or forbid.
"""

from caregate.engine.catalog import (
    BUILTIN_ROLES,
    FEATURE_ACTIONS,
    PRESETS,
    SHARE_LEVELS,
    Preset,
    role_label,
)
from caregate.engine.conditions import condition_from_data
from caregate.engine.decide import decide
from caregate.engine.errors import EngineError, PolicyError, RoleValidationError
from caregate.engine.model import (
    Action,
    BillingPolicy,
    Context,
    Decision,
    Feature,
    Grant,
    GrantKind,
    MemberStatus,
    Obligations,
    OrgPolicy,
    Permission,
    Plan,
    PlanFeature,
    Reason,
    ReasonKind,
    Resource,
    Role,
    RoleAssignment,
    Scope,
    SeatType,
    ShareLevel,
    Subject,
    SubjectKind,
)
from caregate.engine.plans import plan_allows
from caregate.engine.roles import IndexCache, PermissionIndex, RoleSpec, compile_index, resolve_roles
from caregate.engine.validate import validate_role

__all__ = [
    "BUILTIN_ROLES",
    "FEATURE_ACTIONS",
    "PRESETS",
    "SHARE_LEVELS",
    "Action",
    "BillingPolicy",
    "Context",
    "Decision",
    "EngineError",
    "Feature",
    "Grant",
    "GrantKind",
    "IndexCache",
    "MemberStatus",
    "Obligations",
    "OrgPolicy",
    "Permission",
    "PermissionIndex",
    "Plan",
    "PlanFeature",
    "PolicyError",
    "Preset",
    "Reason",
    "ReasonKind",
    "Resource",
    "Role",
    "RoleAssignment",
    "RoleSpec",
    "RoleValidationError",
    "Scope",
    "SeatType",
    "ShareLevel",
    "Subject",
    "SubjectKind",
    "compile_index",
    "condition_from_data",
    "decide",
    "plan_allows",
    "resolve_roles",
    "role_label",
    "validate_role",
]
