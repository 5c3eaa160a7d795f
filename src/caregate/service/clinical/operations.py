"""The clinic's operations: inventory (products, orders, stock) and calls with their AI transcription.

Inventory staff see products and orders and nothing clinical or financial; the Call Center sees calls
and their transcriptions, not patient records (a call names a patient by id only).
"""

from __future__ import annotations

from typing import Any

from caregate.engine import Action, Decision
from caregate.service import resources
from caregate.service.actors import Actor
from caregate.service.authz import authorize
from caregate.service.clinical import common
from caregate.service.clinical import views as v
from caregate.service.clinical.kinds import Facts, call_view, order_view, product_view
from caregate.service.clinical.reading import audit_read, hide, load
from caregate.service.clinical.reading import kind as kind_of
from caregate.service.context import UnitOfWork
from caregate.service.errors import Conflict, Invalid, NotFound
from caregate.store.clinical import Call, Product, StockOrder
from caregate.store.ids import new_id

CALL_STATUSES = ("open", "answered", "missed", "closed")


def _acted(uow: UnitOfWork, actor: Actor, kind_name: str, object_id: str, action: Action
           ) -> tuple[Any, Facts, Decision]:
    k = kind_of(kind_name)
    row, facts = load(uow, actor, k, object_id)
    return row, facts, authorize(uow, actor, action, k.resource(row, facts),
                                 patient_id=getattr(row, "patient_id", None))


def _audit(uow: UnitOfWork, actor: Actor, action: str, object_type: str, object_id: str, decision: Decision,
           **fields: Any) -> None:
    uow.record(action, org_id=actor.org_id, actor=actor, object_type=object_type, object_id=object_id,
               decision=decision, **fields)


# --- inventory -------------------------------------------------------------------------------------

def create_product(uow: UnitOfWork, actor: Actor, *, name: str, sku: str = "", stock: int = 0,
                   location_id: str | None = None) -> v.ProductView:
    if not 0 <= stock <= 10_000_000:
        raise Invalid("stock is a whole number from 0 to 10,000,000")
    row = Product(id=new_id("prd"), org_id=actor.org_id, location_id=common.location(uow, actor, location_id),
                  name=common.text(name, limit=120, what="name", required=True),
                  sku=common.text(sku, limit=60, what="sku"), stock=stock, created_at=uow.now)
    decision = authorize(uow, actor, Action.CREATE, resources.product(row))
    uow.session.add(row)
    _audit(uow, actor, "inventory.create", "products", row.id, decision, after={"name": row.name, "stock": stock})
    return product_view(row, Facts())


def edit_product(uow: UnitOfWork, actor: Actor, *, product_id: str, name: str | None = None,
                 stock_change: int | None = None) -> v.ProductView:
    """Rename a product or adjust its stock (a count, a loss, a correction)."""
    row, _, decision = _acted(uow, actor, "products", product_id, Action.EDIT)
    before = {"name": row.name, "stock": row.stock}
    if name is not None:
        row.name = common.text(name, limit=120, what="name", required=True)
    if stock_change is not None:
        if row.stock + stock_change < 0:
            raise Conflict(f"only {row.stock} in stock; cannot take {-stock_change}")
        row.stock += stock_change
    row.updated_at = uow.now
    _audit(uow, actor, "inventory.edit", "products", row.id, decision, before=before,
           after={"name": row.name, "stock": row.stock})
    return product_view(row, Facts())


def order(uow: UnitOfWork, actor: Actor, *, product_id: str, quantity: int) -> v.OrderView:
    """Order more of a product (`order`); its stock grows when the order is received."""
    product, _, decision = _acted(uow, actor, "products", product_id, Action.ORDER)
    if not 1 <= quantity <= 1_000_000:
        raise Invalid("order from 1 to 1,000,000 units")
    row = StockOrder(id=new_id("ord"), org_id=actor.org_id, product_id=product.id, quantity=quantity,
                     status="ordered", created_by=actor.member_id, created_at=uow.now)
    uow.session.add(row)
    _audit(uow, actor, "inventory.order", "orders", row.id, decision,
           after={"product_id": product.id, "quantity": quantity})
    return order_view(row, Facts())


def receive(uow: UnitOfWork, actor: Actor, *, order_id: str) -> v.OrderView:
    row, facts, decision = _acted(uow, actor, "orders", order_id, Action.EDIT)
    if row.status != "ordered":
        raise Conflict(f"the order is already {row.status}")
    product = facts.products[row.product_id]
    row.status, row.received_at = "received", uow.now
    product.stock += row.quantity
    product.updated_at = uow.now
    _audit(uow, actor, "inventory.receive", "orders", row.id, decision,
           after={"product_id": product.id, "stock": product.stock})
    return order_view(row, facts)


# --- calls -----------------------------------------------------------------------------------------

def create_call(uow: UnitOfWork, actor: Actor, *, caller_number: str = "", patient_id: str | None = None,
                summary: str = "") -> v.CallView:
    common.patient(uow, actor, patient_id)
    row = Call(id=new_id("call"), org_id=actor.org_id, caller_number=common.text(caller_number, limit=40,
                                                                                    what="caller number"),
               patient_id=patient_id, status="open", summary=common.text(summary, limit=5000, what="summary"),
               created_by=actor.member_id, created_at=uow.now)
    decision = authorize(uow, actor, Action.CREATE, resources.call(row), patient_id=patient_id)
    uow.session.add(row)
    _audit(uow, actor, "calls.create", "calls", row.id, decision, patient_id=patient_id)
    return call_view(row, Facts())


def edit_call(uow: UnitOfWork, actor: Actor, *, call_id: str, status: str | None = None,
              summary: str | None = None, transcript: str | None = None) -> v.CallView:
    """Update a call; the AI transcription is written here by the telephony integration (`calls:edit`)."""
    row, _, decision = _acted(uow, actor, "calls", call_id, Action.EDIT)
    if status is not None:
        if status not in CALL_STATUSES:
            raise Invalid(f"call status must be one of {', '.join(CALL_STATUSES)}")
        row.status = status
    if summary is not None:
        row.summary = common.text(summary, limit=5000, what="summary")
    if transcript is not None:
        row.transcript = common.text(transcript, limit=500_000, what="transcript")
        row.transcribed_at = uow.now
    row.updated_at = uow.now
    _audit(uow, actor, "calls.edit", "calls", row.id, decision, patient_id=row.patient_id,
           after={"status": row.status, "transcribed": transcript is not None})
    return call_view(row, Facts())


def assign_call(uow: UnitOfWork, actor: Actor, *, call_id: str, member_id: str | None) -> v.CallView:
    row, _, decision = _acted(uow, actor, "calls", call_id, Action.ASSIGN)
    target = common.member(uow, actor, member_id, what="assignee", statuses=("active",)) if member_id else None
    before = row.assigned_to
    row.assigned_to = target.id if target else None
    row.updated_at = uow.now
    _audit(uow, actor, "calls.assign", "calls", row.id, decision, before={"assigned_to": before},
           after={"assigned_to": row.assigned_to})
    return call_view(row, Facts())


def transcript(uow: UnitOfWork, actor: Actor, *, call_id: str) -> v.CallTranscriptView:
    """A call's AI transcription (`call_transcripts:read`)."""
    k = kind_of("call_transcripts")
    row, facts = load(uow, actor, k, call_id)
    decision = authorize(uow, actor, Action.READ, k.resource(row, facts), patient_id=row.patient_id)
    if row.transcript is None:
        raise NotFound(f"call {row.id} has no transcription yet")
    audit_read(uow, actor, k, row, facts, decision)
    return hide(v.CallTranscriptView(call_id=row.id, body=row.transcript, transcribed_at=row.transcribed_at),
                decision.hidden_fields)
