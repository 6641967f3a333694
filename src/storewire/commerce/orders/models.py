"""The orders module's request bodies and responses (pydantic; bodies refuse unknown fields)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from storewire.commerce.orders.tables import OrderRow

__all__ = [
    "Cancellation",
    "ForwardStatus",
    "FulfillmentUpdate",
    "NewOrder",
    "OrderItemOut",
    "OrderLine",
    "OrderOut",
    "StatusChange",
]

ForwardStatus = Literal["confirmed", "preparing", "ready", "shipped", "delivered"]


class OrderLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variant_id: str = Field(min_length=1, max_length=40)
    quantity: int = Field(ge=1, le=10_000)


class NewOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[OrderLine] = Field(min_length=1, max_length=100)


class StatusChange(BaseModel):
    """``POST /orders/{id}/status``: a later status; a tracking number only when shipping."""

    model_config = ConfigDict(extra="forbid")

    status: ForwardStatus
    tracking_number: str | None = Field(None, min_length=1, max_length=100)


class FulfillmentUpdate(BaseModel):
    """``POST /orders/{id}/fulfillment``: the shipment's tracking number (and carrier) after shipping."""

    model_config = ConfigDict(extra="forbid")

    tracking_number: str = Field(min_length=1, max_length=100)
    carrier: str | None = Field(None, min_length=1, max_length=60)


class Cancellation(BaseModel):
    """``POST /orders/{id}/cancel``: an optional reason, shown to the other party."""

    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(None, min_length=1, max_length=500)


class OrderItemOut(BaseModel):
    product_id: str
    variant_id: str
    name: str
    quantity: int
    unit_price_cents: int


class OrderOut(BaseModel):
    id: str
    buyer_id: str
    seller_id: str
    items: list[OrderItemOut]
    total_cents: int
    currency: str
    status: str
    payment_status: str
    tracking_number: str | None
    carrier: str | None = None
    cancel_reason: str | None = None

    @classmethod
    def of(cls, row: OrderRow) -> OrderOut:
        return cls(
            id=row.id,
            buyer_id=row.buyer_id,
            seller_id=row.seller_id,
            items=[OrderItemOut.model_validate(item, from_attributes=True) for item in row.items],
            total_cents=row.total_cents,
            currency=row.currency,
            status=row.status,
            payment_status=row.payment_status,
            tracking_number=row.tracking_number,
            carrier=row.carrier,
            cancel_reason=row.cancel_reason,
        )
