"""Request and response bodies of ``/quotations``."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from storewire.commerce.quotations.tables import QuotationRow

__all__ = ["NewQuotation", "QuotationLine", "QuotationLineOut", "QuotationOut", "QuotationPatch"]


class QuotationLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=1, max_length=500)
    quantity: int = Field(ge=1, le=1_000_000)
    unit_price_cents: int = Field(ge=0, le=100_000_000_00)


class NewQuotation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    buyer_id: str = Field(min_length=1, max_length=40)
    title: str = Field(min_length=1, max_length=200)
    items: list[QuotationLine] = Field(min_length=1, max_length=100)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    valid_until: date | None = None
    notes: str | None = Field(None, max_length=5000)


class QuotationPatch(BaseModel):
    """Fields to change on a draft; the buyer is fixed once drafted. ``null`` clears the optional ones."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, min_length=1, max_length=200)
    items: list[QuotationLine] | None = Field(None, min_length=1, max_length=100)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    valid_until: date | None = None
    notes: str | None = Field(None, max_length=5000)


class QuotationLineOut(BaseModel):
    description: str
    quantity: int
    unit_price_cents: int


class QuotationOut(BaseModel):
    id: str
    seller_id: str
    buyer_id: str
    title: str
    items: list[QuotationLineOut]
    total_cents: int
    currency: str
    status: str
    valid_until: date | None
    notes: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: QuotationRow) -> QuotationOut:
        return cls.model_validate(row, from_attributes=True)
