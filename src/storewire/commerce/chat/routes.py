"""``/chat``: support rooms between a buyer and a seller, their messages and read marks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from storewire.commerce.chat.models import (
    ChatRoomOut,
    ChatRoomPage,
    MessageOut,
    MessagePage,
    NewChatRoom,
    NewMessage,
)
from storewire.commerce.chat.service import ChatService
from storewire.commerce.web import CurrentPrincipal, service

__all__ = ["router"]

router = APIRouter(prefix="/chat", tags=["chat"])

Chat = Annotated[ChatService, service(ChatService)]
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=80)]


@router.post("/rooms", status_code=status.HTTP_201_CREATED)
async def open_room(
    body: NewChatRoom, principal: CurrentPrincipal, chat: Chat, response: Response
) -> ChatRoomOut:
    """A buyer opens a room with a seller (201, ``chat:room_updated`` to both); while one is open for
    that pair, it is returned instead (200). Sellers, staff and admins do not open rooms (403)."""
    room, created = await chat.open(principal, body)
    if not created:
        response.status_code = status.HTTP_200_OK
    return room


@router.get("/rooms")
async def list_rooms(
    principal: CurrentPrincipal, chat: Chat, limit: Limit = 20, cursor: Cursor = None
) -> ChatRoomPage:
    """The caller's rooms by last activity, newest first, each with its last message and the caller's
    unread count: a buyer's own, a seller's (and its staff's) store's, all for admins."""
    return await chat.rooms(principal, limit, cursor)


@router.get("/rooms/{room_id}")
async def get_room(room_id: str, principal: CurrentPrincipal, chat: Chat) -> ChatRoomOut:
    """One room, for its participants, the seller's staff and admins (404 for anyone else)."""
    return await chat.get_room(principal, room_id)


@router.get("/rooms/{room_id}/messages")
async def list_messages(
    room_id: str, principal: CurrentPrincipal, chat: Chat, limit: Limit = 50, before: Cursor = None
) -> MessagePage:
    """Messages newest first; pass ``next_cursor`` as ``before`` for older ones."""
    return await chat.messages(principal, room_id, before, limit)


@router.post("/rooms/{room_id}/messages", status_code=status.HTTP_201_CREATED)
async def post_message(room_id: str, body: NewMessage, principal: CurrentPrincipal, chat: Chat) -> MessageOut:
    """Post a message (1 to 4000 characters): ``chat:message_created`` to ``chat:{id}``,
    ``chat:room_updated`` to each participant. A staff member or admin who posts becomes a participant."""
    return await chat.post(principal, room_id, body)


@router.post("/rooms/{room_id}/read")
async def mark_read(room_id: str, principal: CurrentPrincipal, chat: Chat) -> ChatRoomOut:
    """The caller has read the room up to its last message (``chat:room_updated`` to the caller)."""
    return await chat.mark_read(principal, room_id)
