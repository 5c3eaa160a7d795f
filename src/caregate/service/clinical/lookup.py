"""The lookup API for other software: "which objects of this type may this member <action>?", answered by
the database (the engine's rules compiled to SQL), a keyset page of ids at a time.

Actions whose rules read facts that exist only for a single change (the seat of a new session's owner,
the rank of a member's new roles) cannot be a filter: those are refused with a 422 saying to ask
`POST /check` per object instead.
"""

from __future__ import annotations

from caregate.engine import FEATURE_ACTIONS, Action
from caregate.engine.filters import NotFilterable, predicate_for
from caregate.service.actors import Actor
from caregate.service.checks import subject_actor
from caregate.service.clinical import views as v
from caregate.service.clinical.kinds import KINDS
from caregate.service.context import UnitOfWork
from caregate.service.errors import Invalid
from caregate.store import lookups

MAX_LIMIT = 1000


def _action(kind_name: str, text: str) -> Action:
    k = KINDS[kind_name]
    feature_text, _, action_text = text.rpartition(":")
    if feature_text and feature_text != str(k.feature):
        raise Invalid(f"action {text!r} is about {feature_text}, but {kind_name} are {k.feature}")
    allowed = FEATURE_ACTIONS[k.feature]
    try:
        action = Action(action_text)
    except ValueError:
        action = None
    if action is None or action not in allowed:
        raise Invalid(f"unknown action {action_text!r} for {kind_name}; use one of {', '.join(sorted(allowed))}")
    return action


def lookup(uow: UnitOfWork, actor: Actor, *, type: str, action: str = "read", member_id: str | None = None,
           member_email: str | None = None, limit: int = 100, after: str | None = None) -> v.LookupView:
    """The ids (ascending, keyset-paged) of the objects of `type` the member may do `action` to."""
    if type not in KINDS:
        raise Invalid(f"unknown type {type!r}; use one of {', '.join(sorted(KINDS))}")
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"limit must be between 1 and {MAX_LIMIT}")
    chosen = _action(type, action)
    who = subject_actor(uow, actor, member_id=member_id, member_email=member_email)
    k = KINDS[type]
    try:
        predicate = predicate_for(who.subject, k.feature, chosen, uow.context())
    except NotFilterable:
        raise Invalid(f"{k.feature}:{chosen} depends on facts of a single change (such as the seat of a new "
                      "owner or the rank of new roles), so it cannot be answered as a list; ask POST /check "
                      "about each object instead") from None
    ids = lookups.page_ids(uow.session, spec=lookups.LISTS[type], org_id=actor.org_id, predicate=predicate,
                           after=after, limit=limit + 1)
    more = len(ids) > limit
    ids = ids[:limit]
    uow.record("decisions.lookup", org_id=actor.org_id, actor=actor, object_type=type,
               detail={"member": who.member_id, "action": str(chosen), "returned": len(ids), "after": after})
    return v.LookupView(type=type, action=str(chosen), member_id=who.member_id, ids=ids,
                        next_cursor=ids[-1] if more and ids else None)
