"""The cart table: one line per (buyer, variant); a buyer's cart is its lines."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storewire.storage.tables import Base, utcnow

__all__ = ["CartItemRow"]


class CartItemRow(Base):
    """A variant in a buyer's cart. Adding the same variant again adds to ``quantity``."""

    __tablename__ = "cart_item"
    __table_args__ = (
        # Also the index for "this buyer's cart" (buyer_id is its leading column).
        UniqueConstraint("buyer_id", "variant_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    buyer_id: Mapped[str] = mapped_column(ForeignKey("user.id"))
    # Indexed: a stock or price change finds the carts holding its variant in one query.
    variant_id: Mapped[str] = mapped_column(ForeignKey("variant.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
