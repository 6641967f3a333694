"""Quotation tables: a seller's priced offer to one buyer, and its free-text lines."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storewire.storage.tables import Base, BigInt, utcnow

__all__ = ["QuotationItemRow", "QuotationRow"]


class QuotationRow(Base):
    __tablename__ = "quotation"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    seller_id: Mapped[str] = mapped_column(ForeignKey("user.id"), index=True)
    buyer_id: Mapped[str] = mapped_column(ForeignKey("user.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    total_cents: Mapped[int] = mapped_column(BigInt)
    status: Mapped[str] = mapped_column(String(16))
    valid_until: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    items: Mapped[list[QuotationItemRow]] = relationship(
        order_by="QuotationItemRow.position", lazy="selectin", cascade="all, delete-orphan"
    )


class QuotationItemRow(Base):
    __tablename__ = "quotation_item"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    quotation_id: Mapped[str] = mapped_column(ForeignKey("quotation.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(BigInt)
