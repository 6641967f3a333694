"""``/orders``: place, read, and move along the status flow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from storewire.commerce.orders.service import NewOrder, OrderOut, OrderService, StatusChange
from storewire.commerce.web import CurrentPrincipal, service

__all__ = ["router"]

router = APIRouter(tags=["orders"])

Orders = Annotated[OrderService, service(OrderService)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255)]


@router.post("/orders", status_code=status.HTTP_201_CREATED)
async def place_order(
    body: NewOrder,
    principal: CurrentPrincipal,
    orders: Orders,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> OrderOut:
    """Place an order; its units are taken from stock atomically (409 insufficient_stock)."""
    order, replayed = await orders.place(principal, body, idempotency_key=idempotency_key)
    if replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return order


@router.get("/orders")
async def list_orders(principal: CurrentPrincipal, orders: Orders) -> list[OrderOut]:
    return await orders.list(principal)


@router.get("/orders/{order_id}")
async def get_order(order_id: str, principal: CurrentPrincipal, orders: Orders) -> OrderOut:
    return await orders.get(principal, order_id)


@router.post("/orders/{order_id}/status")
async def change_status(
    order_id: str, body: StatusChange, principal: CurrentPrincipal, orders: Orders
) -> OrderOut:
    return await orders.change_status(principal, order_id, body)
