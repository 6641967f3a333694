"""The payments module's table: every Stripe event it acted on, once each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from storewire.storage.tables import Base, utcnow

__all__ = ["StripeEventRow"]


class StripeEventRow(Base):
    """A handled Stripe event, written in the same transaction as the order change it caused.

    The primary key is the idempotency lock: a re-delivery (Stripe retries for days) finds its id here
    and changes nothing. ``order_id`` is not a foreign key: a signed event may name an order this
    node does not know, and that is recorded too. ``result`` says what it did (``applied`` or why not).
    """

    __tablename__ = "stripe_event"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    order_id: Mapped[str | None] = mapped_column(String(255), index=True)
    result: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
