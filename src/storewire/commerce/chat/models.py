"""Request and response bodies of ``/chat``."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "EXCERPT_LENGTH",
    "ChatRoomOut",
    "ChatRoomPage",
    "LastMessage",
    "MessageOut",
    "MessagePage",
    "NewChatRoom",
    "NewMessage",
    "as_utc",
]

EXCERPT_LENGTH = 140


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime (SQLite hands stored UTC times back naive)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class NewChatRoom(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seller_id: str = Field(min_length=1, max_length=40)
    subject: str | None = Field(None, min_length=1, max_length=200)


class NewMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=4000)

    @field_validator("body")
    @classmethod
    def _not_blank(cls, body: str) -> str:
        if not body.strip():
            raise ValueError("body must not be blank")
        return body


class LastMessage(BaseModel):
    """A room's last message as a sidebar shows it: an excerpt of its body."""

    id: str
    excerpt: str
    sender_id: str
    sender_name: str
    created_at: datetime


class ChatRoomOut(BaseModel):
    """A chat room as the caller sees it: ``unread_count`` is the caller's own."""

    id: str
    buyer_id: str
    buyer_name: str
    seller_id: str
    seller_name: str
    subject: str | None
    status: str
    participant_ids: list[str]
    last_message: LastMessage | None
    unread_count: int
    created_at: datetime
    activity_at: datetime


class ChatRoomPage(BaseModel):
    """Rooms by last activity, newest first; pass ``next_cursor`` as ``cursor`` for more."""

    items: list[ChatRoomOut]
    next_cursor: str | None


class MessageOut(BaseModel):
    id: str
    room_id: str
    sender_id: str
    sender_name: str
    body: str
    created_at: datetime


class MessagePage(BaseModel):
    """Messages newest first; pass ``next_cursor`` as ``before`` for older ones."""

    items: list[MessageOut]
    next_cursor: str | None
