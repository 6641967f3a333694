"""``POST /webhooks/stripe`` (Stripe's deliveries) and the dev-only ``POST /dev/payments/{order_id}``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request

from storewire.commerce.payments.service import DevPayment, DevPaymentOut, PaymentService, WebhookReply
from storewire.commerce.web import CurrentPrincipal, service
from storewire.errors import NotFound

__all__ = ["router"]

router = APIRouter(tags=["payments"])

Payments = Annotated[PaymentService, service(PaymentService)]
StripeSignature = Annotated[str | None, Header(alias="Stripe-Signature")]


@router.post("/webhooks/stripe")
async def stripe_webhook(
    request: Request, payments: Payments, signature: StripeSignature = None
) -> WebhookReply:
    """Stripe's Event JSON, verified with ``Stripe-Signature`` (5-minute tolerance).

    400 ``invalid_signature`` (missing, wrong or stale) with nothing changed. Otherwise 200: ``applied``,
    ``duplicate`` (this event id was handled before: nothing changes, nothing is emitted) or ``ignored``
    (an unhandled type, an unknown order, an outcome that does not fit the order's state; logged).
    """
    return await payments.handle_webhook(await request.body(), signature)


async def _dev_only(payments: Payments) -> None:
    # Runs before authentication: in prod the endpoint does not exist, for anyone.
    if not payments.dev_enabled:
        raise NotFound("not found")


@router.post("/dev/payments/{order_id}", dependencies=[Depends(_dev_only)])
async def dev_payment(
    order_id: str, body: DevPayment, principal: CurrentPrincipal, payments: Payments
) -> DevPaymentOut:
    """Dev only (404 when ``STOREWIRE_ENV=prod``): have this server receive a correctly signed Stripe
    webhook for the order with ``outcome`` ``succeeded | failed | canceled | refunded``.

    For the order's buyer, its seller (or staff) and admins; it takes the webhook's own code path.
    """
    return await payments.dev_payment(principal, order_id, body.outcome)
