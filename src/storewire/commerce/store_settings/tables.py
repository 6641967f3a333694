"""The store settings table: one row per seller and category that the seller has set."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storewire.storage.tables import Base, utcnow

__all__ = ["StoreSettingRow"]


class StoreSettingRow(Base):
    """A category's values as validated JSON, secrets in full (they are masked on the way out)."""

    __tablename__ = "store_setting"

    seller_id: Mapped[str] = mapped_column(ForeignKey("user.id"), primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    data: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
