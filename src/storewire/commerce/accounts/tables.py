"""The user table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storewire.storage.tables import Base, utcnow

__all__ = ["UserRow"]


class UserRow(Base):
    __tablename__ = "user"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    seller_id: Mapped[str | None] = mapped_column(ForeignKey("user.id"))  # staff: the seller they work for
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
