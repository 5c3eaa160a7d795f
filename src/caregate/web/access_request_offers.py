"""What the access-request pages offer the actor, asked of the engine in advance.

A courtesy, like `service.abilities`: a control left out is one the engine would refuse; the use cases
in `service.clinical.requests` still decide every request, approval, denial and cancellation when it is made.
"""

from __future__ import annotations

from dataclasses import dataclass

from caregate.engine import Action, Feature
from caregate.service import resources
from caregate.service.actors import Actor
from caregate.service.authz import check
from caregate.service.clinical import requests
from caregate.service.context import UnitOfWork
from caregate.service.orgs import AccessRequests


@dataclass(frozen=True, slots=True)
class AccessRequestOffers:
    ask: bool = False  # patients:request somewhere in the organisation
    approve: bool = False  # patients:approve organisation-wide: sees everyone's requests (never answers their own)

    @property
    def any(self) -> bool:
        return self.ask or self.approve


def access_request_offers(uow: UnitOfWork, actor: Actor) -> AccessRequestOffers:
    def may(action: Action) -> bool:
        return check(uow, actor, action, resources.org_object(Feature.PATIENTS, actor.org_id)).allowed

    return AccessRequestOffers(ask=may(Action.REQUEST), approve=may(Action.APPROVE))


def request_limits(uow: UnitOfWork, actor: Actor, offers: AccessRequestOffers) -> AccessRequests | None:
    """The organisation's limits (approvals needed, longest access), to build the form to ask with."""
    return requests.policy(uow, actor) if offers.ask else None
