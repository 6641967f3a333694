"""Order, order item and idempotency-key tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storewire.storage.tables import Base, BigInt, utcnow

__all__ = ["IdempotencyKeyRow", "OrderItemRow", "OrderRow"]


class OrderRow(Base):
    __tablename__ = "order"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    buyer_id: Mapped[str] = mapped_column(ForeignKey("user.id"), index=True)
    seller_id: Mapped[str] = mapped_column(ForeignKey("user.id"), index=True)
    total_cents: Mapped[int] = mapped_column(BigInt)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    payment_status: Mapped[str] = mapped_column(String(16))
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    carrier: Mapped[str | None] = mapped_column(String(60))
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    items: Mapped[list[OrderItemRow]] = relationship(order_by="OrderItemRow.position", lazy="selectin")


class OrderItemRow(Base):
    __tablename__ = "order_item"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[str] = mapped_column(ForeignKey("product.id"))
    variant_id: Mapped[str] = mapped_column(ForeignKey("variant.id"))
    name: Mapped[str] = mapped_column(String(400))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(BigInt)


class IdempotencyKeyRow(Base):
    """A replayable response for a (user, Idempotency-Key) pair."""

    __tablename__ = "idempotency_key"

    user_id: Mapped[str] = mapped_column(ForeignKey("user.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
