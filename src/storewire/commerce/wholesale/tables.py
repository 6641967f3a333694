"""Wholesale (B2B) tables: a seller's invitations to buyers, and the buyers' wholesale orders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storewire.storage.tables import Base, BigInt, utcnow

__all__ = ["WholesaleInvitationRow", "WholesaleOrderItemRow", "WholesaleOrderRow"]


class WholesaleInvitationRow(Base):
    """A seller's invitation of a buyer, by email, to buy wholesale on these terms.

    ``buyer_id`` is known once the email belongs to an account: when the invitation is sent, or at
    the latest when the invitee (who may have registered since) accepts or rejects it.
    """

    __tablename__ = "wholesale_invitation"
    __table_args__ = (
        CheckConstraint("discount_percent BETWEEN 0 AND 100", name="discount_percent_range"),
        CheckConstraint("deposit_percent BETWEEN 0 AND 100", name="deposit_percent_range"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    seller_id: Mapped[str] = mapped_column(ForeignKey("user.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    buyer_id: Mapped[str | None] = mapped_column(ForeignKey("user.id"), index=True)
    discount_percent: Mapped[int] = mapped_column(Integer)
    deposit_percent: Mapped[int] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WholesaleOrderRow(Base):
    """A wholesale order: priced from the variants with the invitation's discount, paid by deposit."""

    __tablename__ = "wholesale_order"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    invitation_id: Mapped[str] = mapped_column(ForeignKey("wholesale_invitation.id"), index=True)
    buyer_id: Mapped[str] = mapped_column(ForeignKey("user.id"), index=True)
    seller_id: Mapped[str] = mapped_column(ForeignKey("user.id"), index=True)
    subtotal_cents: Mapped[int] = mapped_column(BigInt)
    discount_percent: Mapped[int] = mapped_column(Integer)
    discount_cents: Mapped[int] = mapped_column(BigInt)
    total_cents: Mapped[int] = mapped_column(BigInt)
    deposit_percent: Mapped[int] = mapped_column(Integer)
    deposit_cents: Mapped[int] = mapped_column(BigInt)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))
    deposit_paid_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    items: Mapped[list[WholesaleOrderItemRow]] = relationship(
        order_by="WholesaleOrderItemRow.position", lazy="selectin"
    )


class WholesaleOrderItemRow(Base):
    """One line of a wholesale order, at the variant's list price when the order was placed."""

    __tablename__ = "wholesale_order_item"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("wholesale_order.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[str] = mapped_column(ForeignKey("product.id"))
    variant_id: Mapped[str] = mapped_column(ForeignKey("variant.id"))
    name: Mapped[str] = mapped_column(String(400))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(BigInt)
