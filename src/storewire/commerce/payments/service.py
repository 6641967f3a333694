"""Stripe webhooks applied to orders exactly once, and the dev endpoint's self-signed webhooks.

A verified event of a handled type is recorded in ``stripe_event`` (its id is the primary key) in the
same transaction as the order change it causes. The insert is ``ON CONFLICT DO NOTHING``: of any
number of concurrent deliveries of one event, one inserts and applies, the others insert nothing and
answer ``duplicate`` (on PostgreSQL they wait on the winner's uncommitted row, then see it; they do
not fail). A re-delivery days later finds the row and changes nothing.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storewire.commerce.module import ModuleContext
from storewire.commerce.orders.service import OrderOut, OrderService, PaymentOutcome
from storewire.commerce.payments.signing import StripeEvent, sign, verify
from storewire.commerce.payments.tables import StripeEventRow
from storewire.errors import NotFound
from storewire.realtime.policy import Principal
from storewire.settings import Settings
from storewire.storage.database import Database
from storewire.storage.tables import utcnow

__all__ = ["HANDLED", "DevPayment", "DevPaymentOut", "PaymentService", "WebhookReply"]

logger = logging.getLogger(__name__)

HANDLED: dict[str, PaymentOutcome] = {
    "payment_intent.succeeded": PaymentOutcome.SUCCEEDED,
    "payment_intent.payment_failed": PaymentOutcome.FAILED,
    "payment_intent.canceled": PaymentOutcome.CANCELED,
    "charge.refunded": PaymentOutcome.REFUNDED,
}
_DEV_TYPES = {outcome: name for name, outcome in HANDLED.items()}


class WebhookReply(BaseModel):
    """What ``POST /webhooks/stripe`` answers (always 200 once verified)."""

    received: bool = True
    event_id: str
    type: str
    result: Literal["applied", "duplicate", "ignored"]
    reason: str | None = None  # why an event was ignored: unhandled_type, unknown_order, ...


class DevPayment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: PaymentOutcome


class DevPaymentOut(WebhookReply):
    order: OrderOut


class PaymentService:
    """Verifies Stripe's webhooks and reports their outcomes to the orders module."""

    def __init__(self, settings: Settings, db: Database, orders: OrderService) -> None:
        self._secret = settings.stripe_webhook_secret
        self.dev_enabled = settings.env != "prod"
        self._db = db
        self._orders = orders

    @classmethod
    def build(cls, context: ModuleContext) -> PaymentService:
        return cls(context.settings, context.db, context.services.get(OrderService))

    async def handle_webhook(self, body: bytes, signature: str | None) -> WebhookReply:
        """Verify and apply one delivery; raises ``InvalidSignature`` (400) with nothing changed."""
        event = verify(body, signature, self._secret)
        outcome = HANDLED.get(event.type)
        if outcome is None:
            logger.info("stripe event %s of type %s ignored", event.id, event.type)
            return _reply(event, "ignored", "unhandled_type")
        async with self._db.reading() as session:
            if await session.get(StripeEventRow, event.id) is not None:
                return _reply(event, "duplicate")
        try:
            async with self._db.transaction() as session:
                if not await _record(session, event):
                    return _reply(event, "duplicate")
                result = await self._apply(session, event, outcome)
                await session.execute(
                    update(StripeEventRow).where(StripeEventRow.id == event.id).values(result=result)
                )
        except IntegrityError:
            # The insert cannot conflict (ON CONFLICT DO NOTHING); this guards any other race on it.
            logger.info("stripe event %s recorded concurrently", event.id)
            return _reply(event, "duplicate")
        return _reply(event, "applied") if result == "applied" else _reply(event, "ignored", result)

    async def _apply(self, session: AsyncSession, event: StripeEvent, outcome: PaymentOutcome) -> str:
        order_id = event.order_id
        if order_id is None:
            logger.warning("stripe event %s (%s) names no order; recorded, ignored", event.id, event.type)
            return "no_order"
        obj = event.object
        if outcome is PaymentOutcome.REFUNDED and obj.get("refunded") is False:
            # charge.refunded also fires for partial refunds; only a full refund refunds the order.
            logger.warning("stripe event %s: partial refund of order %s ignored", event.id, order_id)
            return "partial_refund"
        amount = obj.get("amount_received", obj.get("amount"))
        currency = obj.get("currency")
        reference = obj.get("payment_intent") if outcome is PaymentOutcome.REFUNDED else obj.get("id")
        return await self._orders.apply_payment(
            session,
            order_id,
            outcome,
            reference=reference if isinstance(reference, str) else None,
            amount_cents=amount if isinstance(amount, int) else None,
            currency=currency if isinstance(currency, str) else None,
        )

    async def dev_payment(
        self, principal: Principal, order_id: str, outcome: PaymentOutcome
    ) -> DevPaymentOut:
        """Send this node a correctly signed Stripe webhook for the order (dev only; 404 in prod).

        The order's buyer, its seller (or staff) and admins may; anyone else gets 404.
        """
        if not self.dev_enabled:
            raise NotFound("not found")
        order = await self._orders.get(principal, order_id)
        payload = orjson.dumps(dev_event(order, outcome)).decode()
        reply = await self.handle_webhook(payload.encode(), sign(payload, self._secret))
        return DevPaymentOut(**reply.model_dump(), order=await self._orders.get(principal, order_id))


async def _record(session: AsyncSession, event: StripeEvent) -> bool:
    """Insert the event's row; False when it is already there (a duplicate delivery)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    inserted = await session.scalar(
        dialect.insert(StripeEventRow)
        .values(id=event.id, type=event.type, order_id=event.order_id, result="pending", received_at=utcnow())
        .on_conflict_do_nothing(index_elements=[StripeEventRow.id])
        .returning(StripeEventRow.id)
    )
    return inserted is not None


def _reply(
    event: StripeEvent, result: Literal["applied", "duplicate", "ignored"], reason: str | None = None
) -> WebhookReply:
    return WebhookReply(event_id=event.id, type=event.type, result=result, reason=reason)


def dev_event(order: OrderOut, outcome: PaymentOutcome) -> dict[str, Any]:
    """A Stripe Event JSON for ``order`` as Stripe would send it (the fields this module reads)."""
    intent = f"pi_dev_{order.id}"
    currency = order.currency.lower()
    metadata = {"order_id": order.id}
    obj: dict[str, Any]
    if outcome is PaymentOutcome.REFUNDED:
        obj = {
            "id": f"ch_dev_{order.id}",
            "object": "charge",
            "amount": order.total_cents,
            "amount_refunded": order.total_cents,
            "refunded": True,
            "currency": currency,
            "payment_intent": intent,
            "metadata": metadata,
        }
    else:
        status = {"succeeded": "succeeded", "failed": "requires_payment_method", "canceled": "canceled"}
        obj = {
            "id": intent,
            "object": "payment_intent",
            "amount": order.total_cents,
            "amount_received": order.total_cents if outcome is PaymentOutcome.SUCCEEDED else 0,
            "currency": currency,
            "status": status[outcome.value],
            "metadata": metadata,
        }
    return {
        "id": f"evt_dev_{secrets.token_hex(12)}",
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "livemode": False,
        "type": _DEV_TYPES[outcome],
        "data": {"object": obj},
    }
