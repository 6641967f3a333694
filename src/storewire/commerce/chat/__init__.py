"""Chat (support): rooms between a buyer and a seller, their messages, unread counts."""

from __future__ import annotations

from pathlib import Path

from storewire.commerce.chat import routes
from storewire.commerce.chat.events import CHAT_EVENTS
from storewire.commerce.chat.service import ChatService, lookup_chat
from storewire.commerce.chat.tables import ChatMemberRow, ChatMessageRow, ChatRoomRow
from storewire.commerce.module import Module
from storewire.realtime.rooms import RoomKind

__all__ = ["MODULE"]

MODULE = Module(
    name="chat",
    router=routes.router,
    events=CHAT_EVENTS,
    tables=(ChatRoomRow, ChatMemberRow, ChatMessageRow),
    service=ChatService.build,
    rooms={RoomKind.CHAT: lookup_chat},
    migrations=Path(__file__).with_name("migrations"),
)
