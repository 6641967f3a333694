"""The order events of the catalog and who receives them (DESIGN §4).

Every order event carries the order's current summary (``OrderEvent``) and goes to the buyer, the
seller, the order's room and the seller's kitchen; ``order:created`` also to ``admin``. One change is
one event: a failed payment that cancels the order is ``order:payment_failed`` (its ``status`` says
``cancelled``), not also ``order:cancelled``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from storewire.realtime.catalog import EventSpec
from storewire.realtime.rooms import ADMIN_ROOM, Room

__all__ = [
    "ORDER_EVENTS",
    "OrderCancelled",
    "OrderEvent",
    "OrderFulfillment",
    "OrderPayment",
    "OrderRefunded",
    "OrderStatusChanged",
]


class OrderEvent(BaseModel):
    order_id: str
    buyer_id: str
    seller_id: str
    status: str
    payment_status: str
    total_cents: int
    currency: str
    tracking_number: str | None = None


class OrderStatusChanged(OrderEvent):
    previous_status: str


class OrderFulfillment(OrderEvent):
    """The tracking number was set or changed (``tracking_number`` is the new one)."""

    carrier: str | None = None


class OrderCancelled(OrderEvent):
    previous_status: str
    reason: str | None = None
    cancelled_by: str  # the canceller's role: buyer, seller, staff or admin


class OrderPayment(OrderEvent):
    """A payment outcome from the payment provider (``payment_reference``: its payment id)."""

    payment_reference: str | None = None


class OrderRefunded(OrderEvent):
    previous_status: str
    stock_returned: bool  # the units went back to stock (the order had not shipped)


def _order_rooms(event: OrderEvent) -> list[Room]:
    return [
        Room.user(event.buyer_id),
        Room.user(event.seller_id),
        Room.order(event.order_id),
        Room.kitchen(event.seller_id),
    ]


def _created_rooms(event: OrderEvent) -> Iterable[Room]:
    return [*_order_rooms(event), ADMIN_ROOM]


def _order_keys(event: OrderEvent) -> list[tuple[str, ...]]:
    return [("orders", event.order_id), ("orders",)]


def _spec(
    name: str, payload: type[OrderEvent], description: str, *, sensitive: bool = False
) -> EventSpec[Any]:
    return EventSpec(
        name, payload, _order_rooms, _order_keys, description=description, sensitive=sensitive, inbox=True
    )


ORDER_EVENTS: list[EventSpec[Any]] = [
    EventSpec(
        "order:created",
        OrderEvent,
        _created_rooms,
        _order_keys,
        description="A buyer placed an order; its stock is reserved.",
        inbox=True,
    ),
    _spec(
        "order:status_changed",
        OrderStatusChanged,
        "The seller or its staff moved an order along its status flow.",
    ),
    _spec(
        "order:fulfillment_updated",
        OrderFulfillment,
        "The order's tracking number (and carrier) was set or changed.",
    ),
    _spec(
        "order:payment_succeeded",
        OrderPayment,
        "The order's payment succeeded: payment_status is paid.",
        sensitive=True,
    ),
    _spec(
        "order:payment_failed",
        OrderPayment,
        "The order's payment failed: the order is cancelled and its stock given back.",
        sensitive=True,
    ),
    _spec(
        "order:payment_canceled",
        OrderPayment,
        "The order's payment was canceled: the order is cancelled and its stock given back.",
        sensitive=True,
    ),
    _spec(
        "order:refunded",
        OrderRefunded,
        "The order's payment was refunded; stock is given back if it had not shipped.",
        sensitive=True,
    ),
    _spec(
        "order:cancelled",
        OrderCancelled,
        "The buyer, the seller (or its staff) or an admin cancelled an unpaid order; stock is given back.",
    ),
]
