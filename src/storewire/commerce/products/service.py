"""Products: create and read, with their variants. Drafts are visible to their owner and admins only."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storewire.commerce.module import ModuleContext
from storewire.commerce.products.tables import ProductRow, VariantRow
from storewire.errors import Forbidden, NotFound
from storewire.realtime.ids import new_id
from storewire.realtime.policy import Principal, Role, RoomFacts, can_see
from storewire.storage.database import Database

__all__ = [
    "NewProduct",
    "NewVariant",
    "ProductOut",
    "ProductService",
    "VariantOut",
    "lookup_product",
    "product_facts",
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


def product_facts(product: ProductRow | None) -> RoomFacts:
    """Published products are public; drafts belong to their seller (and its staff) and admins."""
    if product is None:
        return RoomFacts(exists=False)
    return RoomFacts(exists=True, owner_id=product.seller_id, public=product.status == "published")


async def lookup_product(session: AsyncSession, product_id: str) -> RoomFacts:
    """``product:{id}`` room facts, for the join policy."""
    return product_facts(await session.get(ProductRow, product_id))


class ProductService:
    def __init__(self, db: Database) -> None:
        self._db = db

    @classmethod
    def build(cls, context: ModuleContext) -> ProductService:
        return cls(context.db)

    async def create(self, principal: Principal, new: NewProduct) -> ProductOut:
        if principal.role is not Role.SELLER or principal.user_id is None:
            raise Forbidden("only sellers create products")
        product = ProductRow(
            id=new_id("prd"),
            seller_id=principal.user_id,
            name=new.name,
            description=new.description,
            status=new.status,
        )
        product.variants = [
            VariantRow(id=new_id("var"), position=index, **variant.model_dump())
            for index, variant in enumerate(new.variants)
        ]
        async with self._db.transaction() as session:
            session.add(product)
        return ProductOut.of(product)

    async def get(self, principal: Principal, product_id: str) -> ProductOut:
        async with self._db.reading() as session:
            product = await session.get(ProductRow, product_id)
        if product is None or not can_see(principal, product_facts(product)):
            raise NotFound(f"product {product_id} not found")
        return ProductOut.of(product)

    async def list_for_seller(self, principal: Principal, seller_id: str) -> list[ProductOut]:
        async with self._db.reading() as session:
            rows = (
                await session.scalars(
                    select(ProductRow)
                    .where(ProductRow.seller_id == seller_id)
                    .order_by(ProductRow.created_at)
                )
            ).all()
        return [ProductOut.of(row) for row in rows if can_see(principal, product_facts(row))]
