"""People in real time: presence in rooms, typing in chats, and the admins' live-users view.

Everything here is ephemeral (``realtime/ephemeral.py``): sent as it happens, straight to the rooms
the catalog names, never logged. Presence counts users, not sockets: a second tab is not a new join and
closing one of two tabs is not a leave. A seller's own storefront shows whether the seller is online,
whether or not the seller's sockets joined that room.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from storewire.errors import Forbidden, InvalidPayload, LimitError
from storewire.gateway.connections import Connection
from storewire.gateway.live_users import LiveUserBoard
from storewire.gateway.presence import Presence
from storewire.gateway.transport import Transport
from storewire.realtime.catalog import EventSpec
from storewire.realtime.envelope import format_ts
from storewire.realtime.ephemeral import (
    EPHEMERAL_EVENTS,
    PRESENCE_KINDS,
    LiveUsers,
    PresenceChanged,
    PresenceUser,
    Typing,
)
from storewire.realtime.policy import Role
from storewire.realtime.rooms import Room, RoomKind

__all__ = ["People"]

TYPING_INTERVAL = 0.5  # a client sends typing every few seconds; faster than this is dropped
_SPECS: dict[str, EventSpec[Any]] = {spec.name: spec for spec in EPHEMERAL_EVENTS}


def _room_arg(payload: Any, event: str) -> Room:
    if not isinstance(payload, dict):
        raise InvalidPayload(f"{event} takes {{room}}")
    return Room.parse(payload.get("room"))


def _person(connection: Connection) -> PresenceUser:
    principal = connection.principal
    assert principal.user_id is not None  # guests neither count in presence nor join chats
    return PresenceUser(id=principal.user_id, name=principal.name, role=principal.role.value)


class People:
    """The gateway's ephemeral side; the gateway calls it as sockets come, join, leave and go."""

    def __init__(self, transport: Transport, live_users_interval: float = 0.5) -> None:
        self._transport = transport
        self.presence = Presence()
        self.live_users = LiveUserBoard(self._push_live_users, live_users_interval)
        self._typed: dict[tuple[str, str], float] = {}  # (sid, room) -> when it last typed
        self._counted: dict[str, set[str]] = {}  # sid -> the presence rooms it was counted in

    # -- the gateway's hooks ------------------------------------------------------------------
    def arrived(self, connection: Connection) -> None:
        self.live_users.connected(connection.sid, connection.principal)
        for room in self._presence_rooms(connection):
            self._enter(connection, room)

    def _enter(self, connection: Connection, room: str) -> None:
        counted = self._counted.setdefault(connection.sid, set())
        if room not in counted:
            counted.add(room)
            if self.presence.enter(room, connection.principal):
                self._announce("presence:joined", room, connection)

    def entered(self, connection: Connection, room: str) -> None:
        if self._counts_in(connection, room):
            self._enter(connection, room)

    def left(self, connection: Connection, room: str) -> None:
        counted = self._counted.get(connection.sid)
        if counted is not None and room in counted:
            counted.discard(room)
            if self.presence.exit(room, connection.principal):
                self._announce("presence:left", room, connection)

    def departed(self, connection: Connection) -> None:
        """The socket went: it leaves exactly the presence rooms it was counted in (a room whose join
        was still being decided is not one of them)."""
        self.live_users.disconnected(connection.sid)
        for room in sorted(self._counted.pop(connection.sid, ())):
            if self.presence.exit(room, connection.principal):
                self._announce("presence:left", room, connection)
        for key in [key for key in self._typed if key[0] == connection.sid]:
            del self._typed[key]

    async def close(self) -> None:
        await self.live_users.close()

    # -- client events ------------------------------------------------------------------------
    async def presence_list(self, connection: Connection, payload: Any) -> dict[str, Any]:
        room = str(_room_arg(payload, "presence:list"))
        if room not in self._presence_rooms(connection):
            raise Forbidden(f"join {room} to see who is in it")
        users = [user.model_dump() for user in self.presence.members(room)]
        return {"ok": True, "room": room, "users": users}

    async def typing(self, connection: Connection, payload: Any) -> dict[str, Any]:
        room = _room_arg(payload, "chat:typing")
        name = str(room)
        if room.kind is not RoomKind.CHAT or name not in connection.rooms:
            raise Forbidden("only members of a chat room type in it")
        now = time.monotonic()
        if now - self._typed.get((connection.sid, name), 0.0) < TYPING_INTERVAL:
            raise LimitError("typing is sent at most twice a second")
        self._typed[(connection.sid, name)] = now
        self._send("chat:typing", Typing(room=name, user=_person(connection)), exclude_sid=connection.sid)
        return {"ok": True}

    async def navigate(self, connection: Connection, payload: Any) -> dict[str, Any]:
        path = payload.get("path") if isinstance(payload, dict) else None
        if not isinstance(path, str) or not path.startswith("/") or len(path) > 300:
            raise InvalidPayload(
                "page:navigate takes {path}: a path starting with '/', 300 characters at most"
            )
        if not self.live_users.navigated(connection.sid, path):
            raise Forbidden("sign in to share your page")
        return {"ok": True}

    # -- helpers ------------------------------------------------------------------------------
    def _counts_in(self, connection: Connection, room: str) -> bool:
        """Whether joining or leaving ``room`` changes presence (a seller is always in its own store)."""
        if Room.parse(room).kind not in PRESENCE_KINDS:
            return False
        principal = connection.principal
        own_store = principal.role is Role.SELLER and room == f"storefront:{principal.user_id}"
        return not own_store

    def _presence_rooms(self, connection: Connection) -> list[str]:
        """The rooms with presence this socket counts in: its own, and a seller's storefront."""
        rooms = [
            room
            for room in (*connection.automatic, *connection.rooms)
            if Room.parse(room).kind in PRESENCE_KINDS
        ]
        principal = connection.principal
        if principal.role is Role.SELLER and principal.user_id is not None:
            own = str(Room.storefront(principal.user_id))
            if own not in rooms:
                rooms.append(own)
        return rooms

    def _announce(self, name: str, room: str, connection: Connection) -> None:
        self._send(name, PresenceChanged(room=room, user=_person(connection)), exclude_sid=connection.sid)

    def _push_live_users(self, snapshot: LiveUsers) -> None:
        self._send("admin:live_users", snapshot)

    def _send(self, name: str, payload: BaseModel, exclude_sid: str | None = None) -> None:
        prepared = _SPECS[name].prepare(payload)
        message = {"type": name, "ts": format_ts(datetime.now(UTC)), "data": prepared.data}
        self._transport.emit(name, message, prepared.rooms, exclude_sid)
