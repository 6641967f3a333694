"""Orders: placement with atomic stock reservation and idempotency, and reads; the moves of an existing
order are ``OrderLifecycle``'s (``lifecycle``), which ``OrderService`` extends.

Other modules use ``OrderService``: the cart places orders at checkout through ``create_in`` (inside
its own transaction), payments reports outcomes through ``apply_payment``.
"""

from __future__ import annotations

import hashlib

import orjson
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storewire.commerce.module import ModuleContext
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
from storewire.commerce.parties import parties_only
from storewire.commerce.products.service import ProductService
from storewire.commerce.products.variants import priced_lines, published_variants, quantities_of
from storewire.errors import Conflict, Forbidden, InvalidPayload, NotFound
from storewire.realtime.ids import new_id
from storewire.realtime.policy import Principal, Role, RoomFacts, can_see

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


class OrderService(OrderLifecycle):
    """Places and reads orders; the moves (status, fulfillment, cancel, refund, payments) are inherited."""

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
                out = OrderOut.of(await self.create_in(session, buyer_id, new))
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

    async def create_in(self, session: AsyncSession, buyer_id: str, new: NewOrder) -> OrderRow:
        """Reserve and create one order in the caller's transaction, and publish ``order:created``.

        Also for another module's larger transaction (the cart's checkout places one order per seller,
        all or nothing): a short line raises ``409 insufficient_stock`` and the caller's rollback undoes all.
        """
        quantities = quantities_of((line.variant_id, line.quantity) for line in new.items)
        found = await published_variants(session, quantities)
        sellers = {product.seller_id for _, product in found.values()}
        currencies = {variant.currency for variant, _ in found.values()}
        if len(sellers) != 1 or len(currencies) != 1:
            raise InvalidPayload("an order's items must come from one seller in one currency")
        # Take row locks in one global order (by id), or two orders with the same items listed in
        # different orders deadlock each other on PostgreSQL. The conditional decrement is the
        # reservation: it cannot oversell under concurrency.
        for variant_id, quantity in sorted(quantities.items()):
            await self._stock.take(session, *found[variant_id], quantity)
        lines = priced_lines(quantities, found)  # the items keep the buyer's order
        order = OrderRow(
            id=new_id("ord"),
            buyer_id=buyer_id,
            seller_id=sellers.pop(),
            total_cents=sum(line.total_cents for line in lines),
            currency=currencies.pop(),
            status="pending",
            payment_status="unpaid",
            items=[OrderItemRow(id=new_id("itm"), **line.columns()) for line in lines],
        )
        session.add(order)
        await session.flush()
        self._publisher.publish(session, "order:created", order_event(order))
        return order

    async def get(self, principal: Principal, order_id: str) -> OrderOut:
        async with self._db.reading() as session:
            order = await session.get(OrderRow, order_id)
        if order is None or not can_see(principal, order_facts(order)):
            raise NotFound(f"order {order_id} not found")
        return OrderOut.of(order)

    async def list(self, principal: Principal, limit: int = 50) -> list[OrderOut]:
        query = select(OrderRow).order_by(OrderRow.created_at.desc()).limit(limit)
        query = parties_only(query, principal, OrderRow.buyer_id, OrderRow.seller_id)
        async with self._db.reading() as session:
            rows = (await session.scalars(query)).all()
        return [OrderOut.of(row) for row in rows]
