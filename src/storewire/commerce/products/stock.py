"""Stock: every change of a variant's available units goes through here, inside the caller's transaction.

``take`` is the reservation an order makes (a conditional decrement: it cannot oversell under any
concurrency), ``give_back`` returns units (a cancellation, a failed payment), ``set`` is a seller's
count. Each change publishes ``product:stock_changed`` and, when a line is crossed,
``product:low_stock`` (from above the threshold to at or below it, while above 0), ``stock:out`` (to 0)
or ``stock:restocked`` (up from 0); then it sends ``STOCK_CHANGED`` for other modules (the cart).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from storewire.commerce.module import Signal, Signals
from storewire.commerce.products.events import LowStock, StockChanged, StockLevel
from storewire.commerce.products.tables import ProductRow, VariantRow
from storewire.commerce.products.variants import variants_by_id
from storewire.delivery.publisher import Publisher
from storewire.errors import Conflict, NotFound

__all__ = ["STOCK_CHANGED", "Stock", "StockChange", "stock_alerts"]


@dataclass(frozen=True, slots=True)
class StockChange:
    """One variant's stock moving from ``before`` to ``after`` (sent as ``STOCK_CHANGED``)."""

    product_id: str
    variant_id: str
    seller_id: str
    before: int
    after: int
    threshold: int
    published: bool


STOCK_CHANGED: Signal[StockChange] = Signal("stock_changed")


def stock_alerts(change: StockChange) -> list[str]:
    """The crossing events a change fires besides ``product:stock_changed`` (pure, for tests)."""
    before, after, threshold = change.before, change.after, change.threshold
    alerts = []
    if before > threshold >= after > 0:
        alerts.append("product:low_stock")
    if after == 0 < before:
        alerts.append("stock:out")
    if before == 0 < after:
        alerts.append("stock:restocked")
    return alerts


class Stock:
    """Changes stock and says so (events, signal) in the caller's transaction."""

    def __init__(self, publisher: Publisher, signals: Signals) -> None:
        self._publisher = publisher
        self._signals = signals

    async def take(
        self, session: AsyncSession, variant: VariantRow, product: ProductRow, quantity: int
    ) -> None:
        """Reserve ``quantity`` units or raise ``409 insufficient_stock``; nothing is taken then."""
        after = await session.scalar(
            update(VariantRow)
            .where(VariantRow.id == variant.id, VariantRow.stock >= quantity)
            .values(stock=VariantRow.stock - quantity)
            .returning(VariantRow.stock)
            .execution_options(synchronize_session=False)
        )
        if after is None:
            raise Conflict(
                f"not enough stock for variant {variant.id}", code="insufficient_stock", variant_id=variant.id
            )
        await self._changed(session, variant, product, after + quantity, after)

    async def give_back(self, session: AsyncSession, quantities: Mapping[str, int]) -> None:
        """Return units to stock (a cancelled or failed order), variants in id order."""
        found = await variants_by_id(session, quantities)
        if len(found) != len(quantities):
            raise NotFound("a variant of this change no longer exists")
        # The same lock order as orders taking stock (by id), so the two cannot deadlock (PostgreSQL).
        for variant_id in sorted(quantities):
            variant, product = found[variant_id]
            quantity = quantities[variant_id]
            after = await session.scalar(
                update(VariantRow)
                .where(VariantRow.id == variant.id)
                .values(stock=VariantRow.stock + quantity)
                .returning(VariantRow.stock)
                .execution_options(synchronize_session=False)
            )
            assert after is not None
            await self._changed(session, variant, product, after - quantity, after)

    async def set(
        self, session: AsyncSession, variant: VariantRow, product: ProductRow, quantity: int
    ) -> None:
        """A seller's count: the variant (locked by the caller) now has ``quantity`` units."""
        before = variant.stock
        if before == quantity:
            return
        await session.execute(
            update(VariantRow)
            .where(VariantRow.id == variant.id)
            .values(stock=quantity)
            .execution_options(synchronize_session=False)
        )
        await self._changed(session, variant, product, before, quantity)

    async def _changed(
        self, session: AsyncSession, variant: VariantRow, product: ProductRow, before: int, after: int
    ) -> None:
        set_committed_value(variant, "stock", after)
        change = StockChange(
            product_id=product.id,
            variant_id=variant.id,
            seller_id=product.seller_id,
            before=before,
            after=after,
            threshold=variant.low_stock_threshold,
            published=product.status == "published",
        )
        level = {
            "product_id": change.product_id,
            "variant_id": change.variant_id,
            "seller_id": change.seller_id,
            "stock": after,
            "published": change.published,
        }
        publish = self._publisher.publish
        publish(session, "product:stock_changed", StockChanged(**level, previous_stock=before))
        for alert in stock_alerts(change):
            if alert == "product:low_stock":
                publish(
                    session,
                    alert,
                    LowStock(
                        product_id=change.product_id,
                        variant_id=change.variant_id,
                        seller_id=change.seller_id,
                        stock=after,
                        threshold=change.threshold,
                    ),
                )
            else:
                publish(session, alert, StockLevel(**level))
        await self._signals.send(session, STOCK_CHANGED, change)
