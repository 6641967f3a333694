"""``/orders``: place, read, and move along the status flow (status, fulfillment, cancel, refund)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from storewire.commerce.orders.service import (
    Cancellation,
    FulfillmentUpdate,
    NewOrder,
    OrderOut,
    OrderService,
    StatusChange,
)
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
    """The orders the caller bought, or sold (a seller and its staff); every order for admins."""
    return await orders.list(principal)


@router.get("/orders/{order_id}")
async def get_order(order_id: str, principal: CurrentPrincipal, orders: Orders) -> OrderOut:
    """One order, for its buyer, its seller and staff, and admins (404 for anyone else)."""
    return await orders.get(principal, order_id)


@router.post("/orders/{order_id}/status")
async def change_status(
    order_id: str, body: StatusChange, principal: CurrentPrincipal, orders: Orders
) -> OrderOut:
    """Move the order forward: ``pending -> confirmed -> preparing -> ready -> shipped -> delivered``.

    The seller or its staff (403 for others); steps may be skipped, never reversed, and a cancelled or
    refunded order does not move (409 ``invalid_transition``). A ``tracking_number`` is accepted when
    moving to ``shipped`` or ``delivered`` (422 otherwise); setting or changing it also emits
    ``order:fulfillment_updated``, besides ``order:status_changed``.
    """
    return await orders.change_status(principal, order_id, body)


@router.post("/orders/{order_id}/fulfillment")
async def update_fulfillment(
    order_id: str, body: FulfillmentUpdate, principal: CurrentPrincipal, orders: Orders
) -> OrderOut:
    """Set or correct the tracking number (and carrier) of a shipped or delivered order.

    The seller or its staff; 409 ``not_shipped`` before shipping. ``order:fulfillment_updated`` when
    something changed; repeating the same values changes nothing and emits nothing.
    """
    return await orders.update_fulfillment(principal, order_id, body)


@router.post("/orders/{order_id}/cancel")
async def cancel_order(
    order_id: str, principal: CurrentPrincipal, orders: Orders, body: Cancellation | None = None
) -> OrderOut:
    """Cancel the order: the buyer while ``pending``; the seller, its staff or an admin before ``shipped``.

    Its units go back to stock (with the stock events), the status becomes ``cancelled`` and
    ``order:cancelled`` carries the optional ``reason``. From ``shipped`` on, or when already cancelled
    or refunded: 409 ``invalid_transition`` (also for a buyer once the seller confirmed).

    A **paid** order is not cancelled: 409 ``refund_required``, for everyone. Cancelling it while
    keeping ``payment_status: paid`` would leave the buyer's money with a dead order, and marking it
    ``refunded`` here would claim a refund nobody made. The seller or an admin refunds it instead
    (``POST /orders/{id}/refund``), which ends the order as ``refunded`` and gives its stock back.
    """
    return await orders.cancel(principal, order_id, body or Cancellation())


@router.post("/orders/{order_id}/refund")
async def refund_order(order_id: str, principal: CurrentPrincipal, orders: Orders) -> OrderOut:
    """Refund a paid order: the seller itself or an admin (403 for staff and buyers).

    Only when ``payment_status`` is ``paid`` (409 ``not_paid``). The order becomes ``refunded`` with
    ``payment_status: refunded`` and ``order:refunded``; its units go back to stock if it had not
    shipped yet (``stock_returned`` in the event says which).
    """
    return await orders.refund(principal, order_id)
