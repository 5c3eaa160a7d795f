"""The clinic's billing records: invoices, charges, payments and refunds.

Separation of duties is the engine's: whoever asked for a charge or a refund cannot approve it, and
whoever approved a refund cannot process it. A custom role may limit approvals by amount ("may approve
charges under $500": a condition on `amount`, in currency units).
"""

from __future__ import annotations

from typing import Any

from caregate.engine import Action, Decision, Resource
from caregate.service import resources
from caregate.service.actors import Actor
from caregate.service.authz import authorize
from caregate.service.clinical import common
from caregate.service.clinical import views as v
from caregate.service.clinical.kinds import Facts, charge_view, invoice_view, payment_view, refund_view
from caregate.service.clinical.reading import kind as kind_of
from caregate.service.clinical.reading import load
from caregate.service.context import UnitOfWork
from caregate.service.errors import Conflict, Invalid
from caregate.store import records
from caregate.store.clinical import Charge, Invoice, Payment, Refund
from caregate.store.ids import new_id

INVOICE_STATUSES = ("draft", "issued", "paid", "void")
PAYMENT_METHODS = ("card", "cash", "transfer", "insurance", "other")
MAX_CENTS = 100_000_000


def _cents(value: int) -> int:
    if not 1 <= value <= MAX_CENTS:
        raise Invalid(f"amounts are whole cents from 1 to {MAX_CENTS}")
    return value


def _create(uow: UnitOfWork, actor: Actor, row: Any, resource: Resource, *, after: dict[str, Any]) -> Decision:
    decision = authorize(uow, actor, Action.CREATE, resource, patient_id=row.patient_id)
    uow.session.add(row)
    uow.session.flush()
    uow.record(f"{resource.kind}.create", org_id=actor.org_id, actor=actor, object_type=str(resource.kind),
               object_id=row.id, patient_id=row.patient_id, decision=decision, after=after)
    return decision


def _acted(uow: UnitOfWork, actor: Actor, kind_name: str, object_id: str, action: Action) -> tuple[Any, Decision]:
    k = kind_of(kind_name)
    row, facts = load(uow, actor, k, object_id)
    return row, authorize(uow, actor, action, k.resource(row, facts), patient_id=row.patient_id)


def _audit(uow: UnitOfWork, actor: Actor, kind_name: str, action: str, row: Any, decision: Decision,
           **fields: Any) -> None:
    uow.record(f"{kind_name}.{action}", org_id=actor.org_id, actor=actor, object_type=kind_name, object_id=row.id,
               patient_id=row.patient_id, decision=decision, **fields)


def _advance(uow: UnitOfWork, actor: Actor, kind_name: str, object_id: str, action: Action, *, needs: str,
             becomes: str, by: str, at: str, refusal: str) -> Any:
    """Move a charge, payment or refund one step on (approve, process), if the engine lets this member and
    the object is at the step before (`refusal` names its status otherwise); who and when are kept."""
    row, decision = _acted(uow, actor, kind_name, object_id, action)
    if row.status != needs:
        raise Conflict(refusal.format(status=row.status))
    row.status = becomes
    setattr(row, by, actor.member_id)
    setattr(row, at, uow.now)
    _audit(uow, actor, kind_name, str(action), row, decision, after={"status": becomes})
    return row


def create_invoice(uow: UnitOfWork, actor: Actor, *, amount_cents: int, patient_id: str | None = None,
                   location_id: str | None = None, currency: str = "USD") -> v.InvoiceView:
    common.patient(uow, actor, patient_id)
    row = Invoice(id=new_id("inv"), org_id=actor.org_id, patient_id=patient_id,
                  location_id=common.location(uow, actor, location_id), number="", amount_cents=_cents(amount_cents),
                  currency=currency.upper()[:3], status="draft", created_by=actor.member_id, created_at=uow.now)
    row.number = "INV-" + row.id.split("_", 1)[1][:10].upper()
    _create(uow, actor, row, resources.invoice(row), after={"amount_cents": row.amount_cents})
    return invoice_view(row, Facts())


def edit_invoice(uow: UnitOfWork, actor: Actor, *, invoice_id: str, status: str | None = None,
                 amount_cents: int | None = None) -> v.InvoiceView:
    row, decision = _acted(uow, actor, "invoices", invoice_id, Action.EDIT)
    before = {"status": row.status, "amount_cents": row.amount_cents}
    if status is not None:
        if status not in INVOICE_STATUSES:
            raise Invalid(f"invoice status must be one of {', '.join(INVOICE_STATUSES)}")
        row.status = status
    if amount_cents is not None:
        if row.status != "draft":
            raise Conflict("only a draft invoice's amount can change")
        row.amount_cents = _cents(amount_cents)
    row.updated_at = uow.now
    _audit(uow, actor, "invoices", "edit", row, decision, before=before,
           after={"status": row.status, "amount_cents": row.amount_cents})
    return invoice_view(row, Facts())


def create_charge(uow: UnitOfWork, actor: Actor, *, description: str, amount_cents: int,
                  invoice_id: str | None = None, patient_id: str | None = None,
                  location_id: str | None = None) -> v.ChargeView:
    """A charge, pending approval by someone other than whoever asked for it."""
    common.patient(uow, actor, patient_id)
    if invoice_id is not None and records.get(uow.session, Invoice, org_id=actor.org_id, object_id=invoice_id) is None:
        raise Invalid(f"unknown invoice {invoice_id!r}")
    row = Charge(id=new_id("chg"), org_id=actor.org_id, invoice_id=invoice_id, patient_id=patient_id,
                 location_id=common.location(uow, actor, location_id),
                 description=common.text(description, limit=200, what="description", required=True),
                 amount_cents=_cents(amount_cents), status="pending", requested_by=actor.member_id,
                 created_at=uow.now)
    _create(uow, actor, row, resources.charge(row), after={"amount_cents": row.amount_cents})
    return charge_view(row, Facts())


def approve_charge(uow: UnitOfWork, actor: Actor, *, charge_id: str) -> v.ChargeView:
    row = _advance(uow, actor, "charges", charge_id, Action.APPROVE, needs="pending", becomes="approved",
                   by="approved_by", at="approved_at", refusal="the charge is already {status}")
    return charge_view(row, Facts())


def create_payment(uow: UnitOfWork, actor: Actor, *, amount_cents: int, method: str = "card",
                   invoice_id: str | None = None, patient_id: str | None = None,
                   location_id: str | None = None) -> v.PaymentView:
    common.patient(uow, actor, patient_id)
    if method not in PAYMENT_METHODS:
        raise Invalid(f"payment method must be one of {', '.join(PAYMENT_METHODS)}")
    if invoice_id is not None and records.get(uow.session, Invoice, org_id=actor.org_id, object_id=invoice_id) is None:
        raise Invalid(f"unknown invoice {invoice_id!r}")
    row = Payment(id=new_id("pay"), org_id=actor.org_id, invoice_id=invoice_id, patient_id=patient_id,
                  location_id=common.location(uow, actor, location_id), amount_cents=_cents(amount_cents),
                  method=method, status="pending", created_by=actor.member_id, created_at=uow.now)
    _create(uow, actor, row, resources.payment(row), after={"amount_cents": row.amount_cents, "method": method})
    return payment_view(row, Facts())


def process_payment(uow: UnitOfWork, actor: Actor, *, payment_id: str) -> v.PaymentView:
    row = _advance(uow, actor, "payments", payment_id, Action.PROCESS, needs="pending", becomes="processed",
                   by="processed_by", at="processed_at", refusal="the payment is already {status}")
    return payment_view(row, Facts())


def request_refund(uow: UnitOfWork, actor: Actor, *, amount_cents: int, reason: str,
                   payment_id: str | None = None) -> v.RefundView:
    """Ask for a refund (of a payment): someone else approves it, a third person processes it."""
    payment = records.get(uow.session, Payment, org_id=actor.org_id, object_id=payment_id) if payment_id else None
    if payment_id is not None and payment is None:
        raise Invalid(f"unknown payment {payment_id!r}")
    if payment is not None and amount_cents > payment.amount_cents:
        raise Invalid("a refund cannot exceed the payment it refunds")
    row = Refund(id=new_id("rfd"), org_id=actor.org_id, payment_id=payment_id,
                 patient_id=payment.patient_id if payment else None,
                 location_id=payment.location_id if payment else None, amount_cents=_cents(amount_cents),
                 reason=common.text(reason, limit=500, what="reason", required=True), status="requested",
                 requested_by=actor.member_id, created_at=uow.now)
    _create(uow, actor, row, resources.refund(row), after={"amount_cents": row.amount_cents})
    return refund_view(row, Facts())


def approve_refund(uow: UnitOfWork, actor: Actor, *, refund_id: str) -> v.RefundView:
    row = _advance(uow, actor, "refunds", refund_id, Action.APPROVE, needs="requested", becomes="approved",
                   by="approved_by", at="updated_at", refusal="the refund is already {status}")
    return refund_view(row, Facts())


def process_refund(uow: UnitOfWork, actor: Actor, *, refund_id: str) -> v.RefundView:
    row = _advance(uow, actor, "refunds", refund_id, Action.PROCESS, needs="approved", becomes="processed",
                   by="processed_by", at="updated_at",
                   refusal="a refund is processed once approved; this one is {status}")
    return refund_view(row, Facts())
