"""Orders: placement with atomic stock reservation and idempotency; reads; the moves (``lifecycle``).

Other modules use ``OrderService``: the cart places orders at checkout through ``place`` (or
``_reserve_and_create`` inside its own transaction), payments reports outcomes through
``apply_payment``.
"""

from __future__ import annotations

import hashlib

import orjson
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storewire.commerce.module import ModuleContext, Signals
from storewire.commerce.orders.flow import PaymentOutcome
from storewire.commerce.orders.lifecycle import OrderLifecycle, PaymentResult, order_event, order_facts
from storewire.commerce.orders.models import (
    Cancellation,
    FulfillmentUpdate,
    NewOrder,
    OrderLine,
    OrderOut,
    StatusChange,
)
from storewire.commerce.orders.tables import IdempotencyKeyRow, OrderItemRow, OrderRow
from storewire.commerce.products.service import ProductService
from storewire.commerce.products.stock import Stock
from storewire.commerce.products.tables import ProductRow, VariantRow
from storewire.delivery.publisher import Publisher
from storewire.errors import Conflict, Forbidden, InvalidPayload, NotFound
from storewire.realtime.ids import new_id
from storewire.realtime.policy import Principal, Role, RoomFacts, can_see
from storewire.storage.database import Database

__all__ = [
    "Cancellation",
    "FulfillmentUpdate",
    "NewOrder",
    "OrderLine",
    "OrderOut",
    "OrderService",
    "PaymentOutcome",
    "PaymentResult",
    "StatusChange",
    "lookup_order",
    "order_facts",
]


async def lookup_order(session: AsyncSession, order_id: str) -> RoomFacts:
    """``order:{id}`` room facts, for the join policy."""
    return order_facts(await session.get(OrderRow, order_id))


class OrderService:
    """Places orders and moves them along their flow (the moves live in ``lifecycle``)."""

    def __init__(self, db: Database, publisher: Publisher, stock: Stock, signals: Signals) -> None:
        self._db = db
        self._publisher = publisher
        self._stock = stock
        self._lifecycle = OrderLifecycle(db, publisher, stock, signals)

    @classmethod
    def build(cls, context: ModuleContext) -> OrderService:
        stock = context.services.get(ProductService).stock
        return cls(context.db, context.publisher, stock, context.signals)

    async def place(
        self,
        principal: Principal,
        new: NewOrder,
        *,
        idempotency_key: str | None = None,
    ) -> tuple[OrderOut, bool]:
        """Place an order, taking its units from stock atomically. Returns (order, replayed)."""
        if principal.role is not Role.BUYER or principal.user_id is None:
            raise Forbidden("only buyers place orders")
        buyer_id = principal.user_id
        request_hash = hashlib.sha256(orjson.dumps(new.model_dump(), option=orjson.OPT_SORT_KEYS)).hexdigest()
        if idempotency_key is not None:
            replay = await self._replay(buyer_id, idempotency_key, request_hash)
            if replay is not None:
                return replay, True
        try:
            async with self._db.transaction() as session:
                order = await self._reserve_and_create(session, buyer_id, new)
                out = OrderOut.of(order)
                if idempotency_key is not None:
                    session.add(
                        IdempotencyKeyRow(
                            user_id=buyer_id,
                            key=idempotency_key,
                            request_hash=request_hash,
                            response=out.model_dump(mode="json"),
                        )
                    )
                    await session.flush()
                self._publisher.publish(session, "order:created", order_event(order))
        except IntegrityError:
            # Another request with the same key committed first: answer with its order.
            if idempotency_key is not None:
                replay = await self._replay(buyer_id, idempotency_key, request_hash)
                if replay is not None:
                    return replay, True
            raise
        return out, False

    async def _replay(self, buyer_id: str, key: str, request_hash: str) -> OrderOut | None:
        async with self._db.reading() as session:
            stored = await session.get(IdempotencyKeyRow, (buyer_id, key))
        if stored is None:
            return None
        if stored.request_hash != request_hash:
            raise Conflict(
                "this Idempotency-Key was used for a different request", code="idempotency_conflict"
            )
        return OrderOut.model_validate(stored.response)

    async def _reserve_and_create(self, session: AsyncSession, buyer_id: str, new: NewOrder) -> OrderRow:
        quantities: dict[str, int] = {}
        for line in new.items:
            quantities[line.variant_id] = quantities.get(line.variant_id, 0) + line.quantity
        # Take row locks in one global order (by id), or two orders with the same items listed in
        # different orders deadlock each other on PostgreSQL. Item positions keep the buyer's order.
        positions = {variant_id: index for index, variant_id in enumerate(quantities)}
        rows = (
            await session.execute(
                select(VariantRow, ProductRow)
                .join(ProductRow, VariantRow.product_id == ProductRow.id)
                .where(VariantRow.id.in_(quantities))
            )
        ).all()
        found = {variant.id: (variant, product) for variant, product in rows}
        missing = [vid for vid in quantities if vid not in found or found[vid][1].status != "published"]
        if missing:
            raise NotFound(f"variant {missing[0]} not found", code="not_found")
        sellers = {product.seller_id for _, product in found.values()}
        currencies = {variant.currency for variant, _ in found.values()}
        if len(sellers) != 1 or len(currencies) != 1:
            raise InvalidPayload("an order's items must come from one seller in one currency")
        order_id = new_id("ord")
        items: list[OrderItemRow] = []
        total = 0
        for variant_id, quantity in sorted(quantities.items()):
            # The conditional decrement is the reservation: it cannot oversell under concurrency.
            variant, product = found[variant_id]
            await self._stock.take(session, variant, product, quantity)
            total += variant.price_cents * quantity
            label = f"{product.name} ({variant.name})" if variant.name else product.name
            items.append(
                OrderItemRow(
                    id=new_id("itm"),
                    position=positions[variant_id],
                    product_id=product.id,
                    variant_id=variant_id,
                    name=label,
                    quantity=quantity,
                    unit_price_cents=variant.price_cents,
                )
            )
        items.sort(key=lambda item: item.position)
        order = OrderRow(
            id=order_id,
            buyer_id=buyer_id,
            seller_id=sellers.pop(),
            total_cents=total,
            currency=currencies.pop(),
            status="pending",
            payment_status="unpaid",
            items=items,
        )
        session.add(order)
        await session.flush()
        return order

    async def change_status(self, principal: Principal, order_id: str, change: StatusChange) -> OrderOut:
        """Move an order forward along its flow (steps may be skipped, never reversed)."""
        return await self._lifecycle.change_status(principal, order_id, change)

    async def update_fulfillment(
        self, principal: Principal, order_id: str, update: FulfillmentUpdate
    ) -> OrderOut:
        """Set or correct a shipped order's tracking number and carrier."""
        return await self._lifecycle.update_fulfillment(principal, order_id, update)

    async def cancel(self, principal: Principal, order_id: str, cancellation: Cancellation) -> OrderOut:
        """Cancel an unpaid order before it ships; its stock is given back."""
        return await self._lifecycle.cancel(principal, order_id, cancellation)

    async def refund(self, principal: Principal, order_id: str) -> OrderOut:
        """Refund a paid order; its stock is given back if it had not shipped."""
        return await self._lifecycle.refund(principal, order_id)

    async def apply_payment(
        self,
        session: AsyncSession,
        order_id: str,
        outcome: PaymentOutcome,
        *,
        reference: str | None = None,
        amount_cents: int | None = None,
        currency: str | None = None,
    ) -> PaymentResult:
        """Apply a payment provider's outcome to an order inside the caller's transaction."""
        return await self._lifecycle.apply_payment(
            session, order_id, outcome, reference=reference, amount_cents=amount_cents, currency=currency
        )

    async def get(self, principal: Principal, order_id: str) -> OrderOut:
        async with self._db.reading() as session:
            order = await session.get(OrderRow, order_id)
        if order is None or not can_see(principal, order_facts(order)):
            raise NotFound(f"order {order_id} not found")
        return OrderOut.of(order)

    async def list(self, principal: Principal, limit: int = 50) -> list[OrderOut]:
        query = select(OrderRow).order_by(OrderRow.created_at.desc()).limit(limit)
        if principal.role is not Role.ADMIN:
            conditions = [OrderRow.buyer_id == principal.user_id]
            seller = principal.user_id if principal.role is Role.SELLER else principal.seller_id
            if seller is not None and principal.role in (Role.SELLER, Role.STAFF):
                conditions.append(OrderRow.seller_id == seller)
            query = query.where(or_(*conditions))
        async with self._db.reading() as session:
            rows = (await session.scalars(query)).all()
        return [OrderOut.of(row) for row in rows]

    async def create_in(self, session: AsyncSession, buyer_id: str, new: NewOrder) -> OrderRow:
        """Reserve and create one order in the caller's transaction, and publish ``order:created``.

        For another module's larger transaction (the cart's checkout places one order per seller, all
        or nothing): a short line raises ``409 insufficient_stock`` and the caller's rollback undoes all.
        """
        order = await self._reserve_and_create(session, buyer_id, new)
        self._publisher.publish(session, "order:created", order_event(order))
        return order
