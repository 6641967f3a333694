"""Stripe's webhook scheme: verifying ``Stripe-Signature`` (with the ``stripe`` library) and signing.

The header is ``t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`` keyed with the endpoint's secret;
a timestamp older than ``TOLERANCE`` seconds is refused (replay protection). ``sign`` builds the same
header, for the dev endpoint's self-addressed webhooks.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import stripe
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from storewire.errors import InvalidPayload, StorewireError

__all__ = ["TOLERANCE", "InvalidSignature", "StripeEvent", "sign", "verify"]

TOLERANCE = 300  # seconds, Stripe's default


class InvalidSignature(StorewireError):
    """400 ``invalid_signature``: the webhook is not provably from Stripe (or is too old)."""

    default_code = "invalid_signature"
    default_status = 400


class StripeEventData(BaseModel):
    # Stripe's objects carry many more fields and gain new ones: unknown fields are ignored here,
    # unlike our own request bodies (this body is Stripe's contract, not ours).
    model_config = ConfigDict(extra="ignore")

    object: dict[str, Any]


class StripeEvent(BaseModel):
    """The parts of Stripe's Event JSON this module reads: ``{id, type, data: {object}}``."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=255)
    type: str = Field(min_length=1, max_length=100)
    data: StripeEventData

    @property
    def object(self) -> dict[str, Any]:
        return self.data.object

    @property
    def order_id(self) -> str | None:
        """``data.object.metadata.order_id``, where the order placing the payment put it."""
        metadata = self.object.get("metadata")
        value = metadata.get("order_id") if isinstance(metadata, dict) else None
        return value if isinstance(value, str) and 0 < len(value) <= 255 else None


def verify(body: bytes, header: str | None, secret: str) -> StripeEvent:
    """The verified event, or ``InvalidSignature`` (400) / ``InvalidPayload`` (422, signed but malformed)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidSignature("the webhook body is not UTF-8 text") from None
    try:
        stripe.Webhook.construct_event(text, header, secret, tolerance=TOLERANCE)
    except stripe.SignatureVerificationError as exc:
        raise InvalidSignature(f"Stripe-Signature does not verify: {exc.user_message}") from None
    except ValueError:
        raise InvalidPayload("the webhook body is not a Stripe event") from None
    try:
        return StripeEvent.model_validate_json(text)
    except ValidationError as exc:
        raise InvalidPayload(f"the webhook body is not a Stripe event: {exc.errors()[0]['msg']}") from None


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header for ``payload``, exactly as Stripe computes it."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode("utf-8"), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"
