"""Inventory, calls with their AI transcription, and video rooms."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from caregate.api.deps import CallerDep, Svc, run
from caregate.api.schemas_clinical import (
    After,
    AssignIn,
    CallIn,
    CallPatch,
    ExportLimit,
    Format,
    Limit,
    OrderIn,
    ProductIn,
    ProductPatch,
    QId,
    QStatus,
    RoomIn,
    export_response,
)
from caregate.service.clinical import operations, reading, rooms
from caregate.service.clinical import views as v
from caregate.service.views import Page

router = APIRouter(tags=["inventory, calls and rooms"])
INV = "/orgs/{org_id}/inventory"
CALLS = "/orgs/{org_id}/calls"
ROOMS = "/orgs/{org_id}/rooms"


@router.get(INV + "/products", response_model=Page[v.ProductView])
def list_products(org_id: str, svc: Svc, caller: CallerDep, limit: Limit = 50, after: After = None,
                  location_id: QId = None) -> v.ListPage:
    return run(svc, caller, org_id, reading.page, kind_name="products", after=after, limit=limit,
               filters={"location_id": location_id})


@router.get(INV + "/products/export")
def export_products(org_id: str, svc: Svc, caller: CallerDep, format: Format = "csv",
                    after: After = None, limit: ExportLimit = 5000) -> Response:
    result = run(svc, caller, org_id, reading.export, kind_name="products", fmt=format, after=after, limit=limit)
    return export_response(result, "products")


@router.post(INV + "/products", response_model=v.ProductView, status_code=status.HTTP_201_CREATED)
def create_product(org_id: str, body: ProductIn, svc: Svc, caller: CallerDep) -> v.ProductView:
    return run(svc, caller, org_id, operations.create_product, **body.model_dump())


@router.get(INV + "/products/{product_id}", response_model=v.ProductView)
def get_product(org_id: str, product_id: str, svc: Svc, caller: CallerDep) -> v.Protected:
    return run(svc, caller, org_id, reading.read, kind_name="products", object_id=product_id)


@router.patch(INV + "/products/{product_id}", response_model=v.ProductView,
              summary="Rename a product or adjust its stock (stock_change)")
def edit_product(org_id: str, product_id: str, body: ProductPatch, svc: Svc, caller: CallerDep) -> v.ProductView:
    return run(svc, caller, org_id, operations.edit_product, product_id=product_id, **body.model_dump())


@router.delete(INV + "/products/{product_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_product(org_id: str, product_id: str, svc: Svc, caller: CallerDep) -> None:
    run(svc, caller, org_id, reading.remove, kind_name="products", object_id=product_id)


@router.post(INV + "/products/{product_id}/orders", response_model=v.OrderView, status_code=status.HTTP_201_CREATED)
def order(org_id: str, product_id: str, body: OrderIn, svc: Svc, caller: CallerDep) -> v.OrderView:
    return run(svc, caller, org_id, operations.order, product_id=product_id, quantity=body.quantity)


@router.get(INV + "/orders", response_model=Page[v.OrderView])
def list_orders(org_id: str, svc: Svc, caller: CallerDep, limit: Limit = 50, after: After = None,
                product_id: QId = None, status_: QStatus = None) -> v.ListPage:
    return run(svc, caller, org_id, reading.page, kind_name="orders", after=after, limit=limit,
               filters={"product_id": product_id, "status": status_})


@router.post(INV + "/orders/{order_id}/receive", response_model=v.OrderView, summary="Receive an order into stock")
def receive(org_id: str, order_id: str, svc: Svc, caller: CallerDep) -> v.OrderView:
    return run(svc, caller, org_id, operations.receive, order_id=order_id)


@router.get(CALLS, response_model=Page[v.CallView])
def list_calls(org_id: str, svc: Svc, caller: CallerDep, limit: Limit = 50, after: After = None,
               status_: QStatus = None, assigned_to: QId = None) -> v.ListPage:
    return run(svc, caller, org_id, reading.page, kind_name="calls", after=after, limit=limit,
               filters={"status": status_, "assigned_to": assigned_to})


@router.post(CALLS, response_model=v.CallView, status_code=status.HTTP_201_CREATED)
def create_call(org_id: str, body: CallIn, svc: Svc, caller: CallerDep) -> v.CallView:
    return run(svc, caller, org_id, operations.create_call, **body.model_dump())


@router.get(CALLS + "/{call_id}", response_model=v.CallView)
def get_call(org_id: str, call_id: str, svc: Svc, caller: CallerDep) -> v.Protected:
    return run(svc, caller, org_id, reading.read, kind_name="calls", object_id=call_id)


@router.patch(CALLS + "/{call_id}", response_model=v.CallView,
              summary="Update a call (status, summary, the AI transcription)")
def edit_call(org_id: str, call_id: str, body: CallPatch, svc: Svc, caller: CallerDep) -> v.CallView:
    return run(svc, caller, org_id, operations.edit_call, call_id=call_id, **body.model_dump())


@router.put(CALLS + "/{call_id}/assignee", response_model=v.CallView)
def assign_call(org_id: str, call_id: str, body: AssignIn, svc: Svc, caller: CallerDep) -> v.CallView:
    return run(svc, caller, org_id, operations.assign_call, call_id=call_id, member_id=body.member_id)


@router.get(CALLS + "/{call_id}/transcript", response_model=v.CallTranscriptView, summary="The AI transcription")
def call_transcript(org_id: str, call_id: str, svc: Svc, caller: CallerDep) -> v.CallTranscriptView:
    return run(svc, caller, org_id, operations.transcript, call_id=call_id)


@router.get(ROOMS, response_model=Page[v.RoomView])
def list_rooms(org_id: str, svc: Svc, caller: CallerDep, limit: Limit = 50, after: After = None,
               kind: QId = None) -> v.ListPage:
    return run(svc, caller, org_id, reading.page, kind_name="rooms", after=after, limit=limit, filters={"kind": kind})


@router.post(ROOMS, response_model=v.RoomView, status_code=status.HTTP_201_CREATED,
             summary="Create a personal room for a member, or a shared room (plans with shared rooms)")
def create_room(org_id: str, body: RoomIn, svc: Svc, caller: CallerDep) -> v.RoomView:
    return run(svc, caller, org_id, rooms.create, **body.model_dump())


@router.get(ROOMS + "/{room_id}", response_model=v.RoomView)
def get_room(org_id: str, room_id: str, svc: Svc, caller: CallerDep) -> v.Protected:
    return run(svc, caller, org_id, reading.read, kind_name="rooms", object_id=room_id)


@router.delete(ROOMS + "/{room_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_room(org_id: str, room_id: str, svc: Svc, caller: CallerDep) -> None:
    run(svc, caller, org_id, reading.remove, kind_name="rooms", object_id=room_id)


@router.put(ROOMS + "/{room_id}/members/{member_id}", response_model=v.RoomView)
def assign_room(org_id: str, room_id: str, member_id: str, svc: Svc, caller: CallerDep) -> v.RoomView:
    return run(svc, caller, org_id, rooms.assign, room_id=room_id, member_id=member_id, on=True)


@router.delete(ROOMS + "/{room_id}/members/{member_id}", response_model=v.RoomView)
def unassign_room(org_id: str, room_id: str, member_id: str, svc: Svc, caller: CallerDep) -> v.RoomView:
    return run(svc, caller, org_id, rooms.assign, room_id=room_id, member_id=member_id, on=False)


@router.post(ROOMS + "/{room_id}/join", response_model=v.JoinView, summary="Join a room's video call")
def join_room(org_id: str, room_id: str, svc: Svc, caller: CallerDep) -> v.JoinView:
    return run(svc, caller, org_id, rooms.join, room_id=room_id)
