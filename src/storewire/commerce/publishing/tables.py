"""The publishing module's tables: service keys (hashed) and the idempotent publish requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storewire.storage.tables import Base, utcnow

__all__ = ["PublishRequestRow", "ServiceKeyRow"]


class ServiceKeyRow(Base):
    """A service key of another backend. Only the SHA-256 of its secret is kept: the key is shown once.

    A revoked key stays (``revoked_at`` set) so its publish requests keep their owner and the audit
    trail says which key it was.
    """

    __tablename__ = "service_key"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class PublishRequestRow(Base):
    """The first answer to a (key, idempotency_key) publish, replayed to every repeat of it."""

    __tablename__ = "publish_request"

    key_id: Mapped[str] = mapped_column(ForeignKey("service_key.id", ondelete="CASCADE"), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
