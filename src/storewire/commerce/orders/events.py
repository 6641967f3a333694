"""The order events of the catalog and who receives them (DESIGN §4)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from storewire.realtime.catalog import EventSpec
from storewire.realtime.rooms import ADMIN_ROOM, Room

__all__ = ["ORDER_EVENTS", "OrderEvent", "OrderStatusChanged"]


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


ORDER_EVENTS: list[EventSpec[Any]] = [
    EventSpec(
        "order:created",
        OrderEvent,
        _created_rooms,
        _order_keys,
        description="A buyer placed an order; its stock is reserved.",
        inbox=True,
    ),
    EventSpec(
        "order:status_changed",
        OrderStatusChanged,
        _order_rooms,
        _order_keys,
        description="The seller or its staff moved an order along its status flow.",
        inbox=True,
    ),
]
