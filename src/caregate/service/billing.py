"""Seats as the organisation sees them, and the quote for adding a member."""

from __future__ import annotations

from collections.abc import Sequence

from caregate.engine import Action, Feature
from caregate.service import resources, seats
from caregate.service.actors import Actor, org_roles
from caregate.service.authz import authorize
from caregate.service.context import UnitOfWork
from caregate.service.errors import Invalid, NotFound
from caregate.service.invitations import quote_for, quote_view
from caregate.service.views import QuoteView, SeatsView
from caregate.store import repo


def summary(uow: UnitOfWork, actor: Actor) -> SeatsView:
    org = repo.get_org(uow.session, org_id=actor.org_id)
    if org is None:
        raise NotFound("organisation not found")
    authorize(uow, actor, Action.READ, resources.org_object(Feature.SEATS, org.id))
    counted = seats.count(uow.session, org_id=org.id, roles=org_roles(uow, org.id))
    return SeatsView(
        standard=counted.standard, support=counted.support,
        free_support=min(counted.support, counted.billed), billed_standard=counted.billed,
        purchased=org.seats_purchased, available=max(0, org.seats_purchased - counted.billed),
        seat_price_cents=org.seat_price_cents, currency=org.currency, term_start=org.term_start,
        term_end=org.term_end,
        formula=f"billed = max(standard, ceil((standard + support) / 2)) = max({counted.standard}, "
                f"ceil({counted.standard + counted.support} / 2)) = {counted.billed}")


def quote(uow: UnitOfWork, actor: Actor, *, role_keys: Sequence[str]) -> QuoteView:
    org = repo.get_org(uow.session, org_id=actor.org_id)
    if org is None:
        raise NotFound("organisation not found")
    authorize(uow, actor, Action.READ, resources.org_object(Feature.SEATS, org.id))
    roles = org_roles(uow, org.id)
    unknown = [k for k in role_keys if k not in roles]
    if not role_keys or unknown:
        raise Invalid("name the roles the new member would hold" + (f"; unknown: {', '.join(unknown)}"
                                                                     if unknown else ""))
    return quote_view(quote_for(uow, org, role_keys, roles))
