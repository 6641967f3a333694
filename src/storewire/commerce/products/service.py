"""Products: create, read, change and delete products and variants, and count their stock.

Drafts are visible to their owner (and its staff) and admins only; deleted products are gone for
everyone (they stay in the database, soft-deleted, because orders refer to their variants).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storewire.commerce.module import ModuleContext, Signal, Signals
from storewire.commerce.products.events import PriceChanged, ProductChanged
from storewire.commerce.products.models import (
    NewProduct,
    NewVariant,
    ProductOut,
    ProductPatch,
    StockCount,
    VariantOut,
    VariantPatch,
)
from storewire.commerce.products.stock import Stock
from storewire.commerce.products.tables import ProductRow, VariantRow
from storewire.delivery.publisher import Publisher
from storewire.errors import Forbidden, NotFound
from storewire.realtime.ids import new_id
from storewire.realtime.policy import Principal, Role, RoomFacts, can_see
from storewire.storage.database import Database

__all__ = [
    "PRICE_CHANGED",
    "NewProduct",
    "NewVariant",
    "ProductOut",
    "ProductService",
    "VariantOut",
    "lookup_product",
    "product_facts",
]

DELETED = "deleted"

PRICE_CHANGED: Signal[PriceChanged] = Signal("price_changed")
"""Sent inside the transaction that changed a variant's price (the cart tells its owners)."""


def product_facts(product: ProductRow | None) -> RoomFacts:
    """Published products are public; drafts belong to their seller (and its staff) and admins."""
    if product is None or product.status == DELETED:
        return RoomFacts(exists=False)
    return RoomFacts(exists=True, owner_id=product.seller_id, public=product.status == "published")


async def lookup_product(session: AsyncSession, product_id: str) -> RoomFacts:
    """``product:{id}`` room facts, for the join policy."""
    return product_facts(await session.get(ProductRow, product_id))


def _changed(product: ProductRow, was_published: bool = False) -> ProductChanged:
    return ProductChanged(
        product_id=product.id,
        seller_id=product.seller_id,
        name=product.name,
        status=product.status,
        was_published=was_published,
    )


class ProductService:
    def __init__(self, db: Database, publisher: Publisher, signals: Signals) -> None:
        self._db = db
        self._publisher = publisher
        self._signals = signals
        self.stock = Stock(publisher, signals)

    @classmethod
    def build(cls, context: ModuleContext) -> ProductService:
        return cls(context.db, context.publisher, context.signals)

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
            self._publisher.publish(session, "product:created", _changed(product))
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
                    .where(ProductRow.seller_id == seller_id, ProductRow.status != DELETED)
                    .order_by(ProductRow.created_at)
                )
            ).all()
        return [ProductOut.of(row) for row in rows if can_see(principal, product_facts(row))]

    async def update(self, principal: Principal, product_id: str, patch: ProductPatch) -> ProductOut:
        async with self._db.transaction() as session:
            product = await self._owned(session, principal, product_id)
            was_published = product.status == "published"
            changes = patch.model_dump(exclude_none=True)
            for field, value in changes.items():
                setattr(product, field, value)
            if changes:
                await session.flush()
                self._publisher.publish(session, "product:updated", _changed(product, was_published))
            return ProductOut.of(product)

    async def delete(self, principal: Principal, product_id: str) -> None:
        async with self._db.transaction() as session:
            product = await self._owned(session, principal, product_id)
            was_published = product.status == "published"
            product.status = DELETED
            await session.flush()
            self._publisher.publish(session, "product:deleted", _changed(product, was_published))

    async def update_variant(self, principal: Principal, variant_id: str, patch: VariantPatch) -> ProductOut:
        async with self._db.transaction() as session:
            variant, product = await self._owned_variant(session, principal, variant_id)
            old_price = variant.price_cents
            changes = patch.model_dump(exclude_none=True)
            for field, value in changes.items():
                setattr(variant, field, value)
            await session.flush()
            if changes.keys() - {"price_cents"}:
                self._publisher.publish(session, "product:updated", _changed(product))
            if variant.price_cents != old_price:
                price = PriceChanged(
                    product_id=product.id,
                    variant_id=variant.id,
                    seller_id=product.seller_id,
                    old_price_cents=old_price,
                    new_price_cents=variant.price_cents,
                    currency=variant.currency,
                    published=product.status == "published",
                )
                self._publisher.publish(session, "product:price_changed", price)
                await self._signals.send(session, PRICE_CHANGED, price)
            return ProductOut.of(product)

    async def set_stock(self, principal: Principal, variant_id: str, count: StockCount) -> ProductOut:
        async with self._db.transaction() as session:
            variant, product = await self._owned_variant(session, principal, variant_id)
            await self.stock.set(session, variant, product, count.quantity)
            return ProductOut.of(product)

    async def _owned(self, session: AsyncSession, principal: Principal, product_id: str) -> ProductRow:
        product = await session.get(ProductRow, product_id, with_for_update=True, populate_existing=True)
        return self._check_owner(principal, product, f"product {product_id}")

    async def _owned_variant(
        self, session: AsyncSession, principal: Principal, variant_id: str
    ) -> tuple[VariantRow, ProductRow]:
        # The variant's row lock serialises a seller's count against concurrent orders (PostgreSQL).
        variant = await session.get(VariantRow, variant_id, with_for_update=True, populate_existing=True)
        product = await session.get(ProductRow, variant.product_id) if variant is not None else None
        self._check_owner(principal, product, f"variant {variant_id}")
        assert variant is not None and product is not None
        return variant, product

    @staticmethod
    def _check_owner(principal: Principal, product: ProductRow | None, what: str) -> ProductRow:
        if product is None or not can_see(principal, product_facts(product)):
            raise NotFound(f"{what} not found")
        if not (principal.role is Role.ADMIN or principal.acts_for_seller(product.seller_id)):
            raise Forbidden("only the product's seller, its staff or an admin change it")
        return product
