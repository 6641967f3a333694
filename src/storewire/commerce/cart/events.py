"""Cart events of the catalog: every one goes to its owner's ``user:`` room only (DESIGN §4).

``cart:updated`` carries a compact summary of the cart, not the cart: at most ``MAX_LISTED_ITEMS``
lines (the line just acted on first) and ``MAX_LISTED_TOTALS`` currency totals, with ``item_count``
and ``truncated`` saying what was left off, so the payload stays under 1 KB however big the cart is.
A client that needs the whole cart refetches ``GET /cart`` (the ``["cart"]`` query key).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel

from storewire.realtime.catalog import EventSpec
from storewire.realtime.rooms import Room

__all__ = [
    "CART_EVENTS",
    "MAX_LISTED_ITEMS",
    "MAX_LISTED_TOTALS",
    "CartAction",
    "CartLine",
    "CartPriceChanged",
    "CartSummary",
    "CartTotal",
    "CartUpdated",
    "InventoryWarning",
    "summarize",
    "totals_of",
]

MAX_LISTED_ITEMS = 4
MAX_LISTED_TOTALS = 4

CartAction = Literal["added", "updated", "removed", "cleared"]


class CartLine(BaseModel):
    variant_id: str
    product_id: str
    quantity: int
    unit_price_cents: int
    currency: str


class CartTotal(BaseModel):
    currency: str
    total_cents: int


class CartSummary(BaseModel):
    items: list[CartLine]
    item_count: int  # every line of the cart, listed or not
    totals: list[CartTotal]
    truncated: bool  # lines or totals were left off


class CartUpdated(BaseModel):
    """``cart:updated``: the owner's cart changed (``variant_id`` is the line acted on, if one)."""

    owner_id: str
    action: CartAction
    variant_id: str | None = None
    cart: CartSummary


class InventoryWarning(BaseModel):
    """``cart:inventory_warning``: a carted variant now has fewer units than the cart holds."""

    owner_id: str
    product_id: str
    variant_id: str
    requested: int
    available: int


class CartPriceChanged(BaseModel):
    """``cart:price_changed``: a carted variant's price changed."""

    owner_id: str
    product_id: str
    variant_id: str
    old_price_cents: int
    new_price_cents: int
    currency: str


def totals_of(lines: Sequence[CartLine]) -> list[CartTotal]:
    """Per-currency totals, in currency order."""
    sums: dict[str, int] = {}
    for line in lines:
        sums[line.currency] = sums.get(line.currency, 0) + line.unit_price_cents * line.quantity
    return [CartTotal(currency=currency, total_cents=sums[currency]) for currency in sorted(sums)]


def summarize(lines: Sequence[CartLine], first: str | None = None) -> CartSummary:
    """The compact summary of a cart's ``lines``; the line of variant ``first`` is listed first."""
    ordered = sorted(lines, key=lambda line: line.variant_id != first)  # stable: keeps cart order
    totals = totals_of(lines)
    return CartSummary(
        items=ordered[:MAX_LISTED_ITEMS],
        item_count=len(lines),
        totals=totals[:MAX_LISTED_TOTALS],
        truncated=len(lines) > MAX_LISTED_ITEMS or len(totals) > MAX_LISTED_TOTALS,
    )


def _owner(event: CartUpdated | InventoryWarning | CartPriceChanged) -> list[Room]:
    return [Room.user(event.owner_id)]


def _cart_keys(_event: CartUpdated | InventoryWarning | CartPriceChanged) -> list[tuple[str, ...]]:
    # GET /cart shows quantities, prices and available stock: each of these events changes it.
    return [("cart",)]


CART_EVENTS: list[EventSpec[Any]] = [
    EventSpec(
        "cart:updated",
        CartUpdated,
        _owner,
        _cart_keys,
        description="The buyer's cart changed: a line added, updated or removed, or the cart cleared "
        "(also by checkout). Carries a summary of at most 4 lines and 4 currency totals.",
    ),
    EventSpec(
        "cart:inventory_warning",
        InventoryWarning,
        _owner,
        _cart_keys,
        description="A carted variant's stock dropped below the quantity in the cart.",
    ),
    EventSpec(
        "cart:price_changed",
        CartPriceChanged,
        _owner,
        _cart_keys,
        description="A carted variant's price changed.",
    ),
]
