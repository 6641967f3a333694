"""``/orders``: place, read, and move along the status flow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from storewire.api.deps import CurrentPrincipal, NodeDep, SocketId
from storewire.commerce.orders.service import NewOrder, OrderOut, StatusChange

__all__ = ["router"]

router = APIRouter(tags=["orders"])

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255)]


@router.post("/orders", status_code=status.HTTP_201_CREATED)
async def place_order(
    body: NewOrder,
    principal: CurrentPrincipal,
    node: NodeDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
    socket_id: SocketId = None,
) -> OrderOut:
    """Place an order; its units are taken from stock atomically (409 insufficient_stock)."""
    order, replayed = await node.orders.place(
        principal, body, idempotency_key=idempotency_key, exclude_sid=socket_id
    )
    if replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return order


@router.get("/orders")
async def list_orders(principal: CurrentPrincipal, node: NodeDep) -> list[OrderOut]:
    return await node.orders.list(principal)


@router.get("/orders/{order_id}")
async def get_order(order_id: str, principal: CurrentPrincipal, node: NodeDep) -> OrderOut:
    return await node.orders.get(principal, order_id)


@router.post("/orders/{order_id}/status")
async def change_status(
    order_id: str, body: StatusChange, principal: CurrentPrincipal, node: NodeDep, socket_id: SocketId = None
) -> OrderOut:
    return await node.orders.change_status(principal, order_id, body, exclude_sid=socket_id)
