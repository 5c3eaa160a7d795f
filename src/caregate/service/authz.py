"""The one choke point: every use case asks here, the engine decides, refusals are recorded."""

from __future__ import annotations

from caregate.engine import Action, Decision, Resource, decide
from caregate.service.actors import Actor
from caregate.service.context import UnitOfWork
from caregate.service.errors import Forbidden


def check(uow: UnitOfWork, actor: Actor, action: Action, resource: Resource) -> Decision:
    """The engine's decision for the actor, without acting on it."""
    return decide(actor.subject, action, resource, uow.context(mfa_at=actor.mfa_at))


def authorize(uow: UnitOfWork, actor: Actor, action: Action, resource: Resource, *,
              patient_id: str | None = None) -> Decision:
    """Return the allowing decision, or record the refusal and raise `Forbidden` with its reasons."""
    decision = check(uow, actor, action, resource)
    if not decision.allowed:
        uow.record_denial(f"{resource.kind}.{action}", org_id=actor.org_id, actor=actor, decision=decision,
                          object_type=str(resource.kind), object_id=resource.id, patient_id=patient_id)
        raise Forbidden(decision)
    uow.allowed(decision)  # its reasons go into the events this unit records
    return decision
