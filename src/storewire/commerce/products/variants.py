"""Variants with their products, loaded and priced for the modules that sell them: orders, wholesale, cart."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storewire.commerce.products.tables import ProductRow, VariantRow
from storewire.errors import NotFound

__all__ = [
    "PricedLine",
    "VariantRows",
    "item_name",
    "priced_lines",
    "published_variants",
    "quantities_of",
    "variants_by_id",
]

VariantRows = dict[str, tuple[VariantRow, ProductRow]]
"""Variant id -> (variant, its product)."""


def quantities_of(lines: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Units per variant from ``(variant_id, quantity)`` lines, repeats summed, in first-seen order."""
    quantities: dict[str, int] = {}
    for variant_id, quantity in lines:
        quantities[variant_id] = quantities.get(variant_id, 0) + quantity
    return quantities


def item_name(variant: VariantRow, product: ProductRow) -> str:
    """How a line of an order or a cart names what it holds: ``"Beans (1 kg)"``, or the product's name."""
    return f"{product.name} ({variant.name})" if variant.name else product.name


async def variants_by_id(session: AsyncSession, variant_ids: Collection[str]) -> VariantRows:
    """The variants of ``variant_ids`` that exist, with their products (whatever their status)."""
    rows = await session.execute(
        select(VariantRow, ProductRow)
        .join(ProductRow, VariantRow.product_id == ProductRow.id)
        .where(VariantRow.id.in_(list(variant_ids)))
    )
    return {variant.id: (variant, product) for variant, product in rows.all()}


async def published_variants(session: AsyncSession, variant_ids: Collection[str]) -> VariantRows:
    """The variants of ``variant_ids`` with their products; ``NotFound`` naming the first one that does
    not exist or whose product is not published (a draft or deleted product cannot be bought)."""
    found = await variants_by_id(session, variant_ids)
    for variant_id in variant_ids:
        if variant_id not in found or found[variant_id][1].status != "published":
            raise NotFound(f"variant {variant_id} not found")
    return found


@dataclass(frozen=True, slots=True)
class PricedLine:
    """One line of an order at its variant's current list price (an order item row's columns)."""

    position: int
    product_id: str
    variant_id: str
    name: str
    quantity: int
    unit_price_cents: int

    @property
    def total_cents(self) -> int:
        return self.unit_price_cents * self.quantity

    def columns(self) -> dict[str, Any]:
        """The fields as keyword arguments for an item row."""
        return asdict(self)


def priced_lines(quantities: Mapping[str, int], found: VariantRows) -> list[PricedLine]:
    """``quantities`` (variant id -> units, as ``quantities_of`` gives them) priced from ``found``, in
    the order given."""
    lines = []
    for position, (variant_id, quantity) in enumerate(quantities.items()):
        variant, product = found[variant_id]
        lines.append(
            PricedLine(
                position=position,
                product_id=product.id,
                variant_id=variant_id,
                name=item_name(variant, product),
                quantity=quantity,
                unit_price_cents=variant.price_cents,
            )
        )
    return lines
