"""Ephemeral events: what the gateway says about people as it happens (DESIGN §3-§4).

They are declared in the catalog like every event (payload, audience), but never pass through the
outbox or the log: no ``seq``, no replay. On the wire they arrive as ``{type, ts, data}`` (an envelope
without ``id``, ``epoch`` and ``seq``), since there is nothing to resume from.
"""

from __future__ import annotations

from typing import Annotated, Any, cast

from pydantic import AfterValidator, BaseModel

from storewire.realtime.catalog import EventSpec
from storewire.realtime.rooms import ADMIN_ROOM, Room, RoomKind

__all__ = [
    "EPHEMERAL_EVENTS",
    "PRESENCE_KINDS",
    "LiveUser",
    "LiveUsers",
    "PresenceChanged",
    "PresenceUser",
    "Typing",
]

PRESENCE_KINDS = frozenset({RoomKind.STOREFRONT, RoomKind.CHAT, RoomKind.KITCHEN, RoomKind.ORDER})
"""Room kinds whose members see each other come and go."""


def _room_name(value: str) -> str:
    return str(Room.parse(value))


RoomName = Annotated[str, AfterValidator(_room_name)]
"""A room's wire name, checked by ``Room.parse`` when the payload is validated."""


class PresenceUser(BaseModel):
    id: str
    name: str
    role: str


class PresenceChanged(BaseModel):
    """``presence:joined`` / ``presence:left``: once per user (a second tab is not a new join)."""

    room: RoomName
    user: PresenceUser


class Typing(BaseModel):
    room: RoomName
    user: PresenceUser


class LiveUser(BaseModel):
    id: str
    name: str
    role: str
    connections: int
    pages: list[str]


class LiveUsers(BaseModel):
    """``admin:live_users``: who is online and on which page (coalesced)."""

    count: int
    users: list[LiveUser]
    truncated: bool = False


def _the_room(event: PresenceChanged | Typing) -> list[Room]:
    # The name was checked when the payload was validated; the catalog only needs its text, and the
    # docs show it as the pattern `{room}`.
    return cast("list[Room]", [event.room])


def _admins(_event: LiveUsers) -> list[Room]:
    return [ADMIN_ROOM]


EPHEMERAL_EVENTS: list[EventSpec[Any]] = [
    EventSpec(
        "presence:joined",
        PresenceChanged,
        _the_room,
        description="A user's first socket entered a room with presence (storefront, chat, kitchen, order);"
        " a seller's first connection also counts in its own storefront.",
        ephemeral=True,
    ),
    EventSpec(
        "presence:left",
        PresenceChanged,
        _the_room,
        description="A user's last socket left a room with presence.",
        ephemeral=True,
    ),
    EventSpec(
        "chat:typing",
        Typing,
        _the_room,
        description="A member of a chat room is typing (relayed to the other members, rate limited).",
        ephemeral=True,
    ),
    EventSpec(
        "admin:live_users",
        LiveUsers,
        _admins,
        description="Who is online and on which page (from page:navigate), coalesced to a few per second.",
        ephemeral=True,
    ),
]
