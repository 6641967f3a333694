"""Request and response bodies of the products module."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from storewire.commerce.products.tables import ProductRow, VariantRow

__all__ = [
    "NewProduct",
    "NewVariant",
    "ProductOut",
    "ProductPatch",
    "StockCount",
    "VariantOut",
    "VariantPatch",
]


class NewVariant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str | None = Field(None, max_length=64)
    name: str = Field("", max_length=200)
    price_cents: int = Field(ge=0, le=100_000_000_00)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    stock: int = Field(ge=0, le=1_000_000_000)
    low_stock_threshold: int = Field(10, ge=0, le=1_000_000_000)


class NewProduct(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=10_000)
    status: Literal["draft", "published"] = "draft"
    variants: list[NewVariant] = Field(min_length=1, max_length=100)


class VariantOut(BaseModel):
    id: str
    sku: str | None
    name: str
    price_cents: int
    currency: str
    stock: int
    low_stock_threshold: int

    @classmethod
    def of(cls, row: VariantRow) -> VariantOut:
        return cls.model_validate(row, from_attributes=True)


class ProductOut(BaseModel):
    id: str
    seller_id: str
    name: str
    description: str
    status: str
    variants: list[VariantOut]

    @classmethod
    def of(cls, row: ProductRow) -> ProductOut:
        return cls(
            id=row.id,
            seller_id=row.seller_id,
            name=row.name,
            description=row.description,
            status=row.status,
            variants=[VariantOut.of(variant) for variant in row.variants],
        )


class ProductPatch(BaseModel):
    """``PATCH /products/{id}``: any of these; a published product can go back to draft."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=10_000)
    status: Literal["draft", "published"] | None = None


class VariantPatch(BaseModel):
    """``PATCH /variants/{id}``."""

    model_config = ConfigDict(extra="forbid")

    price_cents: int | None = Field(None, ge=0, le=100_000_000_00)
    name: str | None = Field(None, max_length=200)
    low_stock_threshold: int | None = Field(None, ge=0, le=1_000_000_000)


class StockCount(BaseModel):
    """``PUT /variants/{id}/stock``: the units now available."""

    model_config = ConfigDict(extra="forbid")

    quantity: int = Field(ge=0, le=1_000_000_000)
