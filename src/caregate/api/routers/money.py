"""Invoices, charges, payments and refunds."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from caregate.api.deps import CallerDep, Svc, run
from caregate.api.schemas_clinical import (
    After,
    ChargeIn,
    ExportLimit,
    Format,
    InvoiceIn,
    InvoicePatch,
    Limit,
    PaymentIn,
    QId,
    QStatus,
    RefundIn,
    export_response,
)
from caregate.service.clinical import money, reading
from caregate.service.clinical import views as v
from caregate.service.views import Page

router = APIRouter(tags=["billing"])
ORG = "/orgs/{org_id}"
VIEWS = {"invoices": v.InvoiceView, "charges": v.ChargeView, "payments": v.PaymentView, "refunds": v.RefundView}


@router.get(ORG + "/invoices", response_model=Page[v.InvoiceView])
def list_invoices(org_id: str, svc: Svc, caller: CallerDep, limit: Limit = 50, after: After = None,
                  patient_id: QId = None, status_: QStatus = None) -> v.ListPage:
    return run(svc, caller, org_id, reading.page, kind_name="invoices", after=after, limit=limit,
               filters={"patient_id": patient_id, "status": status_})


@router.get(ORG + "/charges", response_model=Page[v.ChargeView])
def list_charges(org_id: str, svc: Svc, caller: CallerDep, limit: Limit = 50, after: After = None,
                 invoice_id: QId = None, status_: QStatus = None) -> v.ListPage:
    return run(svc, caller, org_id, reading.page, kind_name="charges", after=after, limit=limit,
               filters={"invoice_id": invoice_id, "status": status_})


@router.get(ORG + "/payments", response_model=Page[v.PaymentView])
def list_payments(org_id: str, svc: Svc, caller: CallerDep, limit: Limit = 50, after: After = None,
                  invoice_id: QId = None, status_: QStatus = None) -> v.ListPage:
    return run(svc, caller, org_id, reading.page, kind_name="payments", after=after, limit=limit,
               filters={"invoice_id": invoice_id, "status": status_})


@router.get(ORG + "/refunds", response_model=Page[v.RefundView])
def list_refunds(org_id: str, svc: Svc, caller: CallerDep, limit: Limit = 50, after: After = None,
                 status_: QStatus = None) -> v.ListPage:
    return run(svc, caller, org_id, reading.page, kind_name="refunds", after=after, limit=limit,
               filters={"status": status_})


def _export_route(kind: str) -> None:
    def handler(org_id: str, svc: Svc, caller: CallerDep, format: Format = "csv",
                after: After = None, limit: ExportLimit = 5000) -> Response:
        result = run(svc, caller, org_id, reading.export, kind_name=kind, fmt=format, after=after, limit=limit)
        return export_response(result, kind)

    handler.__name__ = f"export_{kind}"
    router.get(f"{ORG}/{kind}/export", summary=f"Export the {kind} you may read and export")(handler)


def _read_route(kind: str) -> None:
    def handler(org_id: str, object_id: str, svc: Svc, caller: CallerDep) -> v.Protected:
        return run(svc, caller, org_id, reading.read, kind_name=kind, object_id=object_id)

    handler.__name__ = f"get_{kind}"
    router.get(f"{ORG}/{kind}/{{object_id}}", response_model=VIEWS[kind])(handler)


for _kind in ("invoices", "charges", "payments"):
    _export_route(_kind)
for _kind in VIEWS:
    _read_route(_kind)


@router.post(ORG + "/invoices", response_model=v.InvoiceView, status_code=status.HTTP_201_CREATED)
def create_invoice(org_id: str, body: InvoiceIn, svc: Svc, caller: CallerDep) -> v.InvoiceView:
    return run(svc, caller, org_id, money.create_invoice, **body.model_dump())


@router.patch(ORG + "/invoices/{invoice_id}", response_model=v.InvoiceView)
def edit_invoice(org_id: str, invoice_id: str, body: InvoicePatch, svc: Svc, caller: CallerDep) -> v.InvoiceView:
    return run(svc, caller, org_id, money.edit_invoice, invoice_id=invoice_id, **body.model_dump())


@router.delete(ORG + "/invoices/{invoice_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_invoice(org_id: str, invoice_id: str, svc: Svc, caller: CallerDep) -> None:
    run(svc, caller, org_id, reading.remove, kind_name="invoices", object_id=invoice_id)


@router.post(ORG + "/charges", response_model=v.ChargeView, status_code=status.HTTP_201_CREATED,
             summary="Ask for a charge (someone else approves it)")
def create_charge(org_id: str, body: ChargeIn, svc: Svc, caller: CallerDep) -> v.ChargeView:
    return run(svc, caller, org_id, money.create_charge, **body.model_dump())


@router.post(ORG + "/charges/{charge_id}/approve", response_model=v.ChargeView)
def approve_charge(org_id: str, charge_id: str, svc: Svc, caller: CallerDep) -> v.ChargeView:
    return run(svc, caller, org_id, money.approve_charge, charge_id=charge_id)


@router.post(ORG + "/payments", response_model=v.PaymentView, status_code=status.HTTP_201_CREATED)
def create_payment(org_id: str, body: PaymentIn, svc: Svc, caller: CallerDep) -> v.PaymentView:
    return run(svc, caller, org_id, money.create_payment, **body.model_dump())


@router.post(ORG + "/payments/{payment_id}/process", response_model=v.PaymentView)
def process_payment(org_id: str, payment_id: str, svc: Svc, caller: CallerDep) -> v.PaymentView:
    return run(svc, caller, org_id, money.process_payment, payment_id=payment_id)


@router.post(ORG + "/refunds", response_model=v.RefundView, status_code=status.HTTP_201_CREATED,
             summary="Request a refund (someone else approves it, a third person processes it)")
def request_refund(org_id: str, body: RefundIn, svc: Svc, caller: CallerDep) -> v.RefundView:
    return run(svc, caller, org_id, money.request_refund, **body.model_dump())


@router.post(ORG + "/refunds/{refund_id}/approve", response_model=v.RefundView)
def approve_refund(org_id: str, refund_id: str, svc: Svc, caller: CallerDep) -> v.RefundView:
    return run(svc, caller, org_id, money.approve_refund, refund_id=refund_id)


@router.post(ORG + "/refunds/{refund_id}/process", response_model=v.RefundView)
def process_refund(org_id: str, refund_id: str, svc: Svc, caller: CallerDep) -> v.RefundView:
    return run(svc, caller, org_id, money.process_refund, refund_id=refund_id)
