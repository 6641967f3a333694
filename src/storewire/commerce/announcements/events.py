"""``system:announcement``: to every seller, or to every connection."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from storewire.realtime.catalog import EventSpec
from storewire.realtime.rooms import EVERYONE_ROOM, SELLERS_ROOM, Room

__all__ = ["ANNOUNCEMENT_EVENTS", "Announced"]

Audience = Literal["sellers", "everyone"]


class Announced(BaseModel):
    announcement_id: str
    audience: Audience
    level: Literal["info", "warning", "critical"]
    title: str
    body: str
    created_at: datetime


def _rooms(event: Announced) -> list[Room]:
    return [SELLERS_ROOM if event.audience == "sellers" else EVERYONE_ROOM]


ANNOUNCEMENT_EVENTS: list[EventSpec[Any]] = [
    EventSpec(
        "system:announcement",
        Announced,
        _rooms,
        lambda _event: [("announcements",)],
        description="An admin announced something to every seller or to everyone connected.",
        sensitive=True,
    )
]
