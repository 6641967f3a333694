"""The analytics module's one table: a record of each paid order, stamped with when it was paid."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storewire.storage.tables import Base, BigInt

__all__ = ["SaleRow"]


class SaleRow(Base):
    """One completed sale (an order whose payment succeeded), written in the paying transaction.

    The order table has no payment time, and "today" means paid today, so the sale keeps its own
    ``paid_at``; one row per order also makes a repeated ``ORDER_PAID`` count once.
    """

    __tablename__ = "analytics_sale"
    __table_args__ = (Index("ix_analytics_sale_seller_id_paid_at", "seller_id", "paid_at"),)

    order_id: Mapped[str] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), primary_key=True)
    seller_id: Mapped[str] = mapped_column(ForeignKey("user.id"))
    total_cents: Mapped[int] = mapped_column(BigInt)
    currency: Mapped[str] = mapped_column(String(3))
    paid_at: Mapped[datetime] = mapped_column(index=True)
