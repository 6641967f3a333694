"""The notifications module's one table: each inbox event, stored once per recipient user."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storewire.storage.tables import Base, utcnow

__all__ = ["NotificationRow"]


class NotificationRow(Base):
    """One user's copy of an inbox event, written in the event's own transaction.

    ``id`` is time-sortable, so a user's inbox pages newest first by ``id``; ``read_at`` is null while
    the notification is unread.
    """

    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_user_id_id", "user_id", "id"),  # the inbox, newest first
        Index("ix_notification_user_id_read_at", "user_id", "read_at"),  # the unread count
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500))
    data: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
