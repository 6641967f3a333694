"""A Socket.IO namespace: its handlers, its sockets and its room index (pure data, no I/O)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from .sockets import Socket

__all__ = ["ConnectHandler", "DisconnectHandler", "EventHandler", "Namespace"]

ConnectHandler = Callable[[Socket, Any], Awaitable[None]]
EventHandler = Callable[[Socket, str, list[Any]], Awaitable[Any]]
DisconnectHandler = Callable[[Socket, str], Awaitable[None]]


class Namespace:
    """Handlers and membership of one namespace. A socket's own sid room is implicit (not indexed)."""

    __slots__ = ("on_connect", "on_disconnect", "on_event", "pending", "rooms", "sockets")

    def __init__(self) -> None:
        self.on_connect: ConnectHandler | None = None
        self.on_event: EventHandler | None = None
        self.on_disconnect: DisconnectHandler | None = None
        self.sockets: dict[str, Socket] = {}  # connected
        self.pending: dict[str, Socket] = {}  # connect handler running
        self.rooms: dict[str, set[Socket]] = {}  # joined rooms

    def lookup(self, sid: str) -> Socket | None:
        return self.sockets.get(sid) or self.pending.get(sid)

    def members(self, room: str) -> Iterable[Socket]:
        """Connected sockets in ``room`` (a socket's sid is a room holding just that socket)."""
        members = self.rooms.get(room)
        if members is not None:
            return members
        sock = self.sockets.get(room)
        return (sock,) if sock is not None else ()

    def index(self, sock: Socket, room: str) -> None:
        self.rooms.setdefault(room, set()).add(sock)

    def unindex(self, sock: Socket, room: str) -> None:
        members = self.rooms.get(room)
        if members is not None:
            members.discard(sock)
            if not members:
                del self.rooms[room]
