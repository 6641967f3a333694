"""Request and response bodies of ``/wholesale``."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from storewire.commerce.wholesale.tables import WholesaleInvitationRow, WholesaleOrderRow

__all__ = [
    "InvitationOut",
    "NewInvitation",
    "NewWholesaleOrder",
    "WholesaleItemOut",
    "WholesaleLine",
    "WholesaleOrderOut",
]


class NewInvitation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    discount_percent: int = Field(0, ge=0, le=100)
    deposit_percent: int = Field(30, ge=0, le=100)
    message: str | None = Field(None, max_length=2000)


class InvitationOut(BaseModel):
    """An invitation as its seller and its invitee see it (the invitee's email is theirs to see)."""

    id: str
    seller_id: str
    email: str
    buyer_id: str | None
    discount_percent: int
    deposit_percent: int
    message: str | None
    status: str
    created_at: datetime

    @classmethod
    def of(cls, row: WholesaleInvitationRow) -> InvitationOut:
        return cls.model_validate(row, from_attributes=True)


class WholesaleLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variant_id: str = Field(min_length=1, max_length=40)
    quantity: int = Field(ge=1, le=1_000_000)


class NewWholesaleOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seller_id: str = Field(min_length=1, max_length=40)
    items: list[WholesaleLine] = Field(min_length=1, max_length=100)


class WholesaleItemOut(BaseModel):
    product_id: str
    variant_id: str
    name: str
    quantity: int
    unit_price_cents: int


class WholesaleOrderOut(BaseModel):
    id: str
    invitation_id: str
    buyer_id: str
    seller_id: str
    items: list[WholesaleItemOut]
    subtotal_cents: int
    discount_percent: int
    discount_cents: int
    total_cents: int
    deposit_percent: int
    deposit_cents: int
    currency: str
    status: str
    deposit_paid_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, row: WholesaleOrderRow) -> WholesaleOrderOut:
        return cls.model_validate(row, from_attributes=True)
