"""Request and response bodies of the cart module."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from storewire.commerce.cart.events import CartTotal
from storewire.commerce.orders.models import OrderOut

__all__ = ["MAX_QUANTITY", "CartItemOut", "CartItemPatch", "CartOut", "CheckoutOut", "NewCartItem"]

MAX_QUANTITY = 10_000  # per line, like an order line


class NewCartItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variant_id: str = Field(min_length=1, max_length=40)
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class CartItemPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class CartItemOut(BaseModel):
    id: str
    variant_id: str
    product_id: str
    seller_id: str
    name: str
    quantity: int
    unit_price_cents: int  # the variant's price now (it is fixed only when the order is placed)
    currency: str
    available: int  # the variant's stock now
    purchasable: bool  # false once the product is unpublished or deleted: checkout refuses it


class CartOut(BaseModel):
    items: list[CartItemOut]
    totals: list[CartTotal]


class CheckoutOut(BaseModel):
    """One order per seller (and currency) of the cart."""

    orders: list[OrderOut]
