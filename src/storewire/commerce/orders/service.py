"""Orders: placement with atomic stock reservation and idempotency, and the status flow."""

from __future__ import annotations

import hashlib
from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storewire.commerce.module import ModuleContext
from storewire.commerce.orders.events import OrderEvent, OrderStatusChanged
from storewire.commerce.orders.tables import IdempotencyKeyRow, OrderItemRow, OrderRow
from storewire.commerce.products.service import ProductService
from storewire.commerce.products.stock import Stock
from storewire.commerce.products.tables import ProductRow, VariantRow
from storewire.delivery.publisher import Publisher
from storewire.errors import Conflict, Forbidden, InvalidPayload, NotFound
from storewire.realtime.ids import new_id
from storewire.realtime.policy import Principal, Role, RoomFacts, can_see
from storewire.storage.database import Database

__all__ = ["NewOrder", "OrderOut", "OrderService", "StatusChange", "lookup_order", "order_facts"]

FLOW = ("pending", "confirmed", "preparing", "ready", "shipped", "delivered")
ForwardStatus = Literal["confirmed", "preparing", "ready", "shipped", "delivered"]


class OrderLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variant_id: str = Field(min_length=1, max_length=40)
    quantity: int = Field(ge=1, le=10_000)


class NewOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[OrderLine] = Field(min_length=1, max_length=100)


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ForwardStatus
    tracking_number: str | None = Field(None, min_length=1, max_length=100)


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
        )


def _event(row: OrderRow) -> OrderEvent:
    return OrderEvent(
        order_id=row.id,
        buyer_id=row.buyer_id,
        seller_id=row.seller_id,
        status=row.status,
        payment_status=row.payment_status,
        total_cents=row.total_cents,
        currency=row.currency,
        tracking_number=row.tracking_number,
    )


def order_facts(order: OrderRow | None) -> RoomFacts:
    """The one visibility rule's view of an order: its seller owns it, its buyer is a member."""
    if order is None:
        return RoomFacts(exists=False)
    return RoomFacts(exists=True, owner_id=order.seller_id, members=frozenset({order.buyer_id}))


async def lookup_order(session: AsyncSession, order_id: str) -> RoomFacts:
    """``order:{id}`` room facts, for the join policy."""
    return order_facts(await session.get(OrderRow, order_id))


class OrderService:
    def __init__(self, db: Database, publisher: Publisher, stock: Stock) -> None:
        self._db = db
        self._publisher = publisher
        self._stock = stock

    @classmethod
    def build(cls, context: ModuleContext) -> OrderService:
        return cls(context.db, context.publisher, context.services.get(ProductService).stock)

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
                self._publisher.publish(session, "order:created", _event(order))
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
        async with self._db.transaction() as session:
            # The row lock serialises concurrent changes (PostgreSQL; SQLite writers are serial anyway),
            # so a check-then-write can never move an order backwards.
            order = await session.get(OrderRow, order_id, with_for_update=True, populate_existing=True)
            if order is None or not can_see(principal, order_facts(order)):
                raise NotFound(f"order {order_id} not found")
            if not principal.acts_for_seller(order.seller_id):
                raise Forbidden("only the order's seller or its staff change its status")
            if order.status not in FLOW or FLOW.index(change.status) <= FLOW.index(order.status):
                raise Conflict(
                    f"an order cannot move from {order.status} to {change.status}", code="invalid_transition"
                )
            previous = order.status
            order.status = change.status
            if change.tracking_number is not None:
                order.tracking_number = change.tracking_number
            await session.flush()
            event = OrderStatusChanged(**_event(order).model_dump(), previous_status=previous)
            self._publisher.publish(session, "order:status_changed", event)
            return OrderOut.of(order)

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
