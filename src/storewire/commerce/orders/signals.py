"""Signals the orders module sends inside its transactions, for other modules (analytics) to react to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storewire.commerce.module import Signal

__all__ = ["ORDER_PAID", "PaidOrder"]


@dataclass(frozen=True, slots=True)
class PaidOrder:
    """An order whose payment succeeded (sent once per order, when its payment_status becomes paid)."""

    order_id: str
    buyer_id: str
    seller_id: str
    total_cents: int
    currency: str
    paid_at: datetime


ORDER_PAID: Signal[PaidOrder] = Signal("order_paid")
