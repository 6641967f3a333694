"""Response bodies of ``/notifications``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from storewire.commerce.notifications.tables import NotificationRow

__all__ = ["NotificationOut", "NotificationPage", "ReadAllOut", "aware"]


def aware(moment: datetime) -> datetime:
    """``moment`` in UTC: SQLite hands timestamps back without their zone (they are stored in UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class NotificationOut(BaseModel):
    id: str
    event_id: str
    type: str
    title: str
    summary: str
    data: dict[str, Any]  # the event's payload, as it was published
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def of(cls, row: NotificationRow) -> NotificationOut:
        return cls(
            id=row.id,
            event_id=row.event_id,
            type=row.type,
            title=row.title,
            summary=row.summary,
            data=row.data,
            created_at=aware(row.created_at),
            read_at=None if row.read_at is None else aware(row.read_at),
        )


class NotificationPage(BaseModel):
    """One page of the caller's inbox, newest first; pass ``next_cursor`` as ``cursor`` for more."""

    items: list[NotificationOut]
    next_cursor: str | None
    unread_count: int  # of the whole inbox, not of this page


class ReadAllOut(BaseModel):
    marked_read: int  # how many were unread until now
    unread_count: int
