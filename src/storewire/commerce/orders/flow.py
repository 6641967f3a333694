"""The order state machine as pure rules: who may move an order where (DESIGN §5), no I/O.

``status``: ``pending -> confirmed -> preparing -> ready -> shipped -> delivered`` (forward only, steps may
be skipped; the seller or its staff move it), or ``cancelled`` before ``shipped``, or ``refunded`` after
payment. ``payment_status``: ``unpaid | paid | failed | canceled | refunded``.

Each ``check_*`` raises the typed error a client sees, or returns when the move is allowed. The
``payment_*`` rules never raise: a payment provider's report that makes no sense for the order's state
is recorded and ignored (the provider must not retry it), so they return why it does not apply.
"""

from __future__ import annotations

from enum import StrEnum

from storewire.errors import Conflict, Forbidden, InvalidPayload
from storewire.realtime.policy import Principal, Role

__all__ = [
    "FLOW",
    "PaymentOutcome",
    "before_shipping",
    "check_cancel",
    "check_forward",
    "check_fulfillment",
    "check_refund",
    "payment_problem",
]

FLOW = ("pending", "confirmed", "preparing", "ready", "shipped", "delivered")
SHIPPED = ("shipped", "delivered")
TRACKED = frozenset(SHIPPED)  # statuses a tracking number belongs to


class PaymentOutcome(StrEnum):
    """What the payment provider reports for an order's payment."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    REFUNDED = "refunded"


def before_shipping(status: str) -> bool:
    """True while the order's units are still the seller's (pending up to ready)."""
    return status in FLOW and FLOW.index(status) < FLOW.index("shipped")


def _transition(current: str, target: str, why: str = "") -> Conflict:
    message = f"an order cannot move from {current} to {target}" + (f": {why}" if why else "")
    return Conflict(message, code="invalid_transition")


def check_forward(principal: Principal, seller_id: str, current: str, target: str, tracking: bool) -> None:
    """A status change by the seller or its staff: strictly forward along ``FLOW``."""
    if not principal.acts_for_seller(seller_id):
        raise Forbidden("only the order's seller or its staff change its status")
    if tracking and target not in TRACKED:
        raise InvalidPayload("a tracking number is given when the order ships")
    if current not in FLOW or FLOW.index(target) <= FLOW.index(current):
        raise _transition(current, target)


def check_cancel(principal: Principal, buyer_id: str, seller_id: str, status: str, payment: str) -> None:
    """Cancelling: the buyer while pending; the seller, its staff or an admin before shipping.

    A paid order is never just cancelled: that would keep the buyer's money for nothing. It is refunded
    instead (``POST /orders/{id}/refund``, seller or admin), which also gives its stock back.
    """
    is_buyer = principal.user_id == buyer_id and principal.role is Role.BUYER
    if not (is_buyer or principal.acts_for_seller(seller_id) or principal.role is Role.ADMIN):
        raise Forbidden("only the order's buyer, its seller (or staff) or an admin cancel it")
    if not before_shipping(status):
        raise _transition(status, "cancelled")
    if payment == "paid":
        raise Conflict("this order is paid: refund it instead of cancelling it", code="refund_required")
    if is_buyer and status != "pending":
        raise _transition(status, "cancelled", "the buyer cancels only while it is pending")


def check_refund(principal: Principal, seller_id: str, payment: str) -> None:
    """Refunding: the seller itself or an admin (a money decision, not staff's), only when paid."""
    is_seller = principal.role is Role.SELLER and principal.user_id == seller_id
    if not (is_seller or principal.role is Role.ADMIN):
        raise Forbidden("only the order's seller or an admin refund it")
    if payment != "paid":
        raise Conflict(f"only a paid order is refunded (this one is {payment})", code="not_paid")


def check_fulfillment(principal: Principal, seller_id: str, status: str) -> None:
    """Updating the tracking number: the seller or its staff, once the order has shipped."""
    if not principal.acts_for_seller(seller_id):
        raise Forbidden("only the order's seller or its staff update its fulfillment")
    if status not in TRACKED:
        raise Conflict(f"the order has not shipped (it is {status})", code="not_shipped")


def payment_problem(outcome: PaymentOutcome, status: str, payment: str) -> str | None:
    """Why ``outcome`` does not apply to an order in this state, or None when it does.

    - succeeded: an unpaid order that is still live (not cancelled, not refunded) becomes paid.
    - failed / canceled: an unpaid order not yet shipped is cancelled (the buyer orders again).
    - refunded: a paid order is refunded.
    """
    if outcome is PaymentOutcome.SUCCEEDED:
        ok = payment == "unpaid" and status in FLOW
    elif outcome is PaymentOutcome.REFUNDED:
        ok = payment == "paid"
    else:
        ok = payment == "unpaid" and before_shipping(status)
    return None if ok else f"payment {outcome} does not apply to a {status} order that is {payment}"
