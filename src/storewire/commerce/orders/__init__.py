"""Orders: placing them with atomic stock reservation, their status flow, cancellation and refunds."""

from __future__ import annotations

from pathlib import Path

from storewire.commerce.module import Module
from storewire.commerce.orders import routes
from storewire.commerce.orders.events import ORDER_EVENTS
from storewire.commerce.orders.service import OrderService, lookup_order
from storewire.commerce.orders.tables import IdempotencyKeyRow, OrderItemRow, OrderRow
from storewire.realtime.rooms import RoomKind

__all__ = ["MODULE"]

MODULE = Module(
    name="orders",
    router=routes.router,
    events=ORDER_EVENTS,
    tables=(OrderRow, OrderItemRow, IdempotencyKeyRow),
    service=OrderService.build,
    rooms={RoomKind.ORDER: lookup_order},
    migrations=Path(__file__).with_name("migrations"),
)
