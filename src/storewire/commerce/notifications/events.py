"""The notification event of the catalog: ``notification:created``, to the one user it belongs to.

It is not itself an inbox event (``inbox=False``), so recording a notification never records another.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from storewire.realtime.catalog import EventSpec
from storewire.realtime.rooms import Room

__all__ = ["NOTIFICATION_EVENTS", "NotificationCreated"]


class NotificationCreated(BaseModel):
    notification_id: str
    user_id: str
    type: str  # the inbox event's name, e.g. ``order:payment_succeeded``
    summary: str
    created_at: datetime


def _owner(event: NotificationCreated) -> list[Room]:
    return [Room.user(event.user_id)]


def _keys(event: NotificationCreated) -> list[tuple[str, ...]]:
    return [("notifications",)]  # the inbox list and its unread count


NOTIFICATION_EVENTS: list[EventSpec[Any]] = [
    EventSpec(
        "notification:created",
        NotificationCreated,
        _owner,
        _keys,
        description="A notification was added to the user's inbox (one per recipient of an inbox event).",
    ),
]
