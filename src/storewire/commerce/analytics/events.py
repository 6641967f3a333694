"""The analytics events of the catalog and who receives them (DESIGN §4)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from storewire.commerce.analytics.metrics import SellerMetrics
from storewire.realtime.catalog import EventSpec
from storewire.realtime.rooms import ADMIN_ROOM, Room

__all__ = ["ANALYTICS_EVENTS", "SaleCompleted"]


class SaleCompleted(BaseModel):
    order_id: str
    seller_id: str
    total_cents: int
    currency: str


def _seller_room(event: SaleCompleted | SellerMetrics) -> list[Room]:
    return [Room.user(event.seller_id)]


def _seller_and_admin(event: SellerMetrics) -> list[Room]:
    return [Room.user(event.seller_id), ADMIN_ROOM]


def _summary_keys(_event: SellerMetrics) -> list[tuple[str, ...]]:
    return [("analytics", "summary")]


ANALYTICS_EVENTS: list[EventSpec[Any]] = [
    EventSpec(
        "analytics:sale_completed",
        SaleCompleted,
        _seller_room,
        # No invalidate keys on purpose: a burst of sales would make every client refetch the summary
        # once per sale; the coalesced metrics_updated event carries that invalidation instead.
        description="An order of this seller was paid (one per order, in the paying transaction).",
    ),
    EventSpec(
        "analytics:metrics_updated",
        SellerMetrics,
        _seller_and_admin,
        _summary_keys,
        description=(
            "The seller's metrics for the current UTC day (paid orders, revenue and average order value "
            "per currency), coalesced: at most one per seller per interval however many sales happen."
        ),
    ),
]
