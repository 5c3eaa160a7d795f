"""What the emergency-access pages offer the actor, asked of the engine in advance.

A courtesy, like `service.abilities`: a control left out is one the engine would refuse; the use cases
in `service.clinical.emergency` still decide every declaration, ending and review when it is made.
"""

from __future__ import annotations

from dataclasses import dataclass

from caregate.engine import Action, Feature
from caregate.service import resources
from caregate.service.actors import Actor
from caregate.service.authz import check
from caregate.service.context import UnitOfWork


@dataclass(frozen=True, slots=True)
class EmergencyOffers:
    declare: bool = False  # patients:break_glass somewhere in the organisation
    review: bool = False  # audit:review: sees everyone's, ends and reviews them (never their own review)

    @property
    def any(self) -> bool:
        return self.declare or self.review


def emergency_offers(uow: UnitOfWork, actor: Actor) -> EmergencyOffers:
    return EmergencyOffers(
        declare=check(uow, actor, Action.BREAK_GLASS, resources.org_object(Feature.PATIENTS, actor.org_id)).allowed,
        review=check(uow, actor, Action.REVIEW, resources.org_object(Feature.AUDIT, actor.org_id)).allowed)
