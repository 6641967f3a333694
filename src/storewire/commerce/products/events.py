"""Product and stock events of the catalog, and who receives them (DESIGN §4).

A draft product is its seller's business: the public ``storefront:{seller}`` room hears of a product
only while it is (or just stopped being) published.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from storewire.realtime.catalog import EventSpec
from storewire.realtime.rooms import ADMIN_ROOM, Room

__all__ = [
    "PRODUCT_EVENTS",
    "LowStock",
    "PriceChanged",
    "ProductChanged",
    "StockChanged",
    "StockLevel",
]


class ProductChanged(BaseModel):
    """``product:created|updated|deleted``."""

    product_id: str
    seller_id: str
    name: str
    status: str
    was_published: bool = False  # the storefront learns that a product it showed went away


class StockLevel(BaseModel):
    """``product:stock_changed``, ``stock:out``, ``stock:restocked``."""

    product_id: str
    variant_id: str
    seller_id: str
    stock: int
    published: bool


class StockChanged(StockLevel):
    previous_stock: int


class LowStock(BaseModel):
    """``product:low_stock``: for the seller and admins only."""

    product_id: str
    variant_id: str
    seller_id: str
    stock: int
    threshold: int


class PriceChanged(BaseModel):
    product_id: str
    variant_id: str
    seller_id: str
    old_price_cents: int
    new_price_cents: int
    currency: str
    published: bool


def _product_rooms(event: ProductChanged) -> list[Room]:
    rooms = [Room.user(event.seller_id), Room.product(event.product_id)]
    if event.status == "published" or event.was_published:
        rooms.append(Room.storefront(event.seller_id))
    return rooms


def _variant_rooms(event: StockLevel | PriceChanged) -> list[Room]:
    rooms = [Room.user(event.seller_id), Room.product(event.product_id)]
    if event.published:
        rooms.append(Room.storefront(event.seller_id))
    return rooms


def _stock_alert_rooms(event: StockLevel) -> list[Room]:
    return [*_variant_rooms(event), ADMIN_ROOM]


def _low_stock_rooms(event: LowStock) -> list[Room]:
    return [Room.user(event.seller_id), ADMIN_ROOM]


def _product_keys(event: ProductChanged) -> list[tuple[str, ...]]:
    return [("products", event.product_id), ("storefronts", event.seller_id, "products")]


def _variant_keys(event: StockLevel | PriceChanged | LowStock) -> list[tuple[str, ...]]:
    return [("products", event.product_id)]


PRODUCT_EVENTS: list[EventSpec[Any]] = [
    EventSpec(
        "product:created",
        ProductChanged,
        _product_rooms,
        _product_keys,
        description="A seller created a product.",
    ),
    EventSpec(
        "product:updated",
        ProductChanged,
        _product_rooms,
        _product_keys,
        description="A product's name, description, status or a variant's name or threshold changed.",
    ),
    EventSpec(
        "product:deleted",
        ProductChanged,
        _product_rooms,
        _product_keys,
        description="A seller deleted a product; it can no longer be ordered.",
    ),
    EventSpec(
        "product:price_changed",
        PriceChanged,
        _variant_rooms,
        _variant_keys,
        description="A variant's price changed.",
    ),
    EventSpec(
        "product:stock_changed",
        StockChanged,
        _variant_rooms,
        _variant_keys,
        description="A variant's available stock changed (an order, a cancellation, a restock).",
    ),
    EventSpec(
        "product:low_stock",
        LowStock,
        _low_stock_rooms,
        _variant_keys,
        description="A variant fell to or below its low-stock threshold (once per downward crossing).",
        inbox=True,
    ),
    EventSpec(
        "stock:out",
        StockLevel,
        _stock_alert_rooms,
        _variant_keys,
        description="A variant sold out.",
        inbox=True,
    ),
    EventSpec(
        "stock:restocked",
        StockLevel,
        _stock_alert_rooms,
        _variant_keys,
        description="A sold-out variant is available again.",
    ),
]
