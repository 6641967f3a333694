"""The chat events of the catalog and who receives them (DESIGN §3, §4).

``chat:message_created`` goes to the room, ``chat:{id}``: whoever joined it (its participants, the
seller's staff, admins; the join policy decides who may). ``chat:room_updated`` is the sidebar refresh:
one event per participant, to that participant's ``user:`` room, carrying that participant's own unread
count, so the audience is the payload's ``user_id``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from storewire.realtime.catalog import EventSpec
from storewire.realtime.rooms import Room, RoomKind

__all__ = ["CHAT_EVENTS", "EVENT_BODY_LIMIT", "MessageCreated", "RoomUpdated"]

EVENT_BODY_LIMIT = 1000
"""Characters of a message body an event carries (payloads stay near 1 KB); REST has the full text."""


class MessageCreated(BaseModel):
    room_id: str
    message_id: str
    sender_id: str
    sender_name: str
    body: str  # at most EVENT_BODY_LIMIT characters
    truncated: bool  # the body was cut: GET /chat/rooms/{id}/messages has all of it
    created_at: datetime


class RoomUpdated(BaseModel):
    room_id: str
    user_id: str  # the participant this event is for
    last_message_id: str | None
    unread_count: int


def _room(event: MessageCreated) -> list[Room]:
    return [Room(RoomKind.CHAT, event.room_id)]


def _messages(event: MessageCreated) -> list[tuple[str, ...]]:
    return [("chat", event.room_id, "messages")]


def _participant(event: RoomUpdated) -> list[Room]:
    return [Room.user(event.user_id)]


def _rooms(event: RoomUpdated) -> list[tuple[str, ...]]:
    return [("chat", "rooms")]


CHAT_EVENTS: list[EventSpec[Any]] = [
    EventSpec(
        "chat:message_created",
        MessageCreated,
        _room,
        _messages,
        description="A message was posted in a chat room (bodies over 1000 characters are cut).",
    ),
    EventSpec(
        "chat:room_updated",
        RoomUpdated,
        _participant,
        _rooms,
        description="A chat room's last message or this participant's unread count changed.",
    ),
]
