"""Moving an existing order: status, cancellation, refund, fulfillment and payment outcomes.

Each move locks the order row, checks ``flow``'s rule, changes the row, gives stock back when the
units return to the seller, and publishes its event, all in one transaction. ``apply_payment`` runs
inside the caller's transaction (the payments module's, with its record of the provider's event).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from storewire.commerce.module import Signals
from storewire.commerce.orders import flow
from storewire.commerce.orders.events import (
    OrderCancelled,
    OrderEvent,
    OrderFulfillment,
    OrderPayment,
    OrderRefunded,
    OrderStatusChanged,
)
from storewire.commerce.orders.flow import PaymentOutcome
from storewire.commerce.orders.models import Cancellation, FulfillmentUpdate, OrderOut, StatusChange
from storewire.commerce.orders.signals import ORDER_PAID, PaidOrder
from storewire.commerce.orders.tables import OrderRow
from storewire.commerce.products.stock import Stock
from storewire.commerce.products.variants import quantities_of
from storewire.delivery.publisher import Publisher
from storewire.errors import NotFound
from storewire.realtime.policy import Principal, RoomFacts, can_see
from storewire.storage.database import Database
from storewire.storage.tables import utcnow

__all__ = ["OrderLifecycle", "PaymentResult", "order_event", "order_facts"]

logger = logging.getLogger(__name__)

PaymentResult = Literal["applied", "unknown_order", "not_applicable", "amount_mismatch"]

_PAYMENT_EVENTS = {
    PaymentOutcome.SUCCEEDED: "order:payment_succeeded",
    PaymentOutcome.FAILED: "order:payment_failed",
    PaymentOutcome.CANCELED: "order:payment_canceled",
}


def order_event(row: OrderRow) -> OrderEvent:
    """The summary every order event carries."""
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


async def _locked(session: AsyncSession, order_id: str) -> OrderRow | None:
    # The row lock serialises concurrent moves of one order (PostgreSQL; SQLite writers are serial
    # anyway), so a check-then-write can never act on a stale state.
    return await session.get(OrderRow, order_id, with_for_update=True, populate_existing=True)


class OrderLifecycle:
    """The moves of an existing order (see the module docstring); ``OrderService`` extends it."""

    def __init__(self, db: Database, publisher: Publisher, stock: Stock, signals: Signals) -> None:
        self._db = db
        self._publisher = publisher
        self._stock = stock
        self._signals = signals

    async def _move(
        self,
        principal: Principal,
        order_id: str,
        apply: Callable[[AsyncSession, OrderRow], Awaitable[None]],
    ) -> OrderOut:
        async with self._db.transaction() as session:
            order = await _locked(session, order_id)
            if order is None or not can_see(principal, order_facts(order)):
                raise NotFound(f"order {order_id} not found")
            await apply(session, order)
            return OrderOut.of(order)

    async def change_status(self, principal: Principal, order_id: str, change: StatusChange) -> OrderOut:
        """Move an order forward (steps may be skipped, never reversed); a tracking number when shipping."""

        async def apply(session: AsyncSession, order: OrderRow) -> None:
            tracking = change.tracking_number
            flow.check_forward(principal, order.seller_id, order.status, change.status, tracking is not None)
            previous = order.status
            order.status = change.status
            tracking_changed = tracking is not None and tracking != order.tracking_number
            if tracking_changed:
                order.tracking_number = tracking
            await session.flush()
            event = OrderStatusChanged(**order_event(order).model_dump(), previous_status=previous)
            self._publisher.publish(session, "order:status_changed", event)
            if tracking_changed:
                fulfillment = OrderFulfillment(**order_event(order).model_dump(), carrier=order.carrier)
                self._publisher.publish(session, "order:fulfillment_updated", fulfillment)

        return await self._move(principal, order_id, apply)

    async def update_fulfillment(
        self, principal: Principal, order_id: str, update: FulfillmentUpdate
    ) -> OrderOut:
        """Set or correct a shipped order's tracking number and carrier (no event when unchanged)."""

        async def apply(session: AsyncSession, order: OrderRow) -> None:
            flow.check_fulfillment(principal, order.seller_id, order.status)
            carrier = update.carrier if update.carrier is not None else order.carrier
            if (update.tracking_number, carrier) == (order.tracking_number, order.carrier):
                return
            order.tracking_number, order.carrier = update.tracking_number, carrier
            await session.flush()
            event = OrderFulfillment(**order_event(order).model_dump(), carrier=carrier)
            self._publisher.publish(session, "order:fulfillment_updated", event)

        return await self._move(principal, order_id, apply)

    async def cancel(self, principal: Principal, order_id: str, cancellation: Cancellation) -> OrderOut:
        """Cancel an unpaid order before it ships (see ``flow.check_cancel``); its stock comes back."""

        async def apply(session: AsyncSession, order: OrderRow) -> None:
            flow.check_cancel(principal, order.buyer_id, order.seller_id, order.status, order.payment_status)
            previous = order.status
            order.status = "cancelled"
            order.cancel_reason = cancellation.reason
            await self._give_back(session, order)
            event = OrderCancelled(
                **order_event(order).model_dump(),
                previous_status=previous,
                reason=cancellation.reason,
                cancelled_by=principal.role.value,
            )
            self._publisher.publish(session, "order:cancelled", event)

        return await self._move(principal, order_id, apply)

    async def refund(self, principal: Principal, order_id: str) -> OrderOut:
        """Refund a paid order (seller or admin); stock comes back if it had not shipped."""

        async def apply(session: AsyncSession, order: OrderRow) -> None:
            flow.check_refund(principal, order.seller_id, order.payment_status)
            await self._refund(session, order)

        return await self._move(principal, order_id, apply)

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
        """Apply a payment provider's outcome inside the caller's transaction.

        Returns ``"applied"``, or why nothing changed (unknown order, an outcome that does not fit
        the order's state, a succeeded payment of another amount); those are logged, not raised.
        """
        order = await _locked(session, order_id)
        if order is None:
            logger.warning("payment %s for unknown order %s ignored", outcome, order_id)
            return "unknown_order"
        problem = flow.payment_problem(outcome, order.status, order.payment_status)
        if problem is not None:
            logger.warning("order %s: %s; ignored", order_id, problem)
            return "not_applicable"
        if outcome is PaymentOutcome.SUCCEEDED and not _same_amount(order, amount_cents, currency):
            logger.warning(
                "order %s: payment of %s %s does not match its total %s %s; ignored",
                order_id,
                amount_cents,
                currency,
                order.total_cents,
                order.currency,
            )
            return "amount_mismatch"
        if outcome is PaymentOutcome.REFUNDED:
            await self._refund(session, order)
            return "applied"
        if outcome is PaymentOutcome.SUCCEEDED:
            order.payment_status = "paid"
        else:
            # The buyer orders again with a new order: this one is over and its units go back.
            order.payment_status = outcome.value
            order.status = "cancelled"
            await self._give_back(session, order)
        await session.flush()
        event = OrderPayment(**order_event(order).model_dump(), payment_reference=reference)
        self._publisher.publish(session, _PAYMENT_EVENTS[outcome], event)
        if outcome is PaymentOutcome.SUCCEEDED:
            paid = PaidOrder(
                order_id=order.id,
                buyer_id=order.buyer_id,
                seller_id=order.seller_id,
                total_cents=order.total_cents,
                currency=order.currency,
                paid_at=utcnow(),
            )
            await self._signals.send(session, ORDER_PAID, paid)
        return "applied"

    async def _refund(self, session: AsyncSession, order: OrderRow) -> None:
        previous = order.status
        stock_returned = flow.before_shipping(previous)
        order.status = "refunded"
        order.payment_status = "refunded"
        if stock_returned:
            await self._give_back(session, order)
        await session.flush()
        event = OrderRefunded(
            **order_event(order).model_dump(), previous_status=previous, stock_returned=stock_returned
        )
        self._publisher.publish(session, "order:refunded", event)

    async def _give_back(self, session: AsyncSession, order: OrderRow) -> None:
        await session.flush()
        units = quantities_of((item.variant_id, item.quantity) for item in order.items)
        await self._stock.give_back(session, units)


def _same_amount(order: OrderRow, amount_cents: int | None, currency: str | None) -> bool:
    # A provider report without an amount is trusted (it is signed); one with an amount must match.
    if amount_cents is not None and amount_cents != order.total_cents:
        return False
    return currency is None or currency.upper() == order.currency.upper()
