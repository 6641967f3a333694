"""The small interface between storewire's gateway and the Socket.IO server under it.

The gateway is written against ``Transport`` only, so the server engine can be swapped without the
rest of storewire noticing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.types import ASGIApp

__all__ = ["ConnectRefused", "Handlers", "Peer", "Transport"]


@dataclass(slots=True)
class Peer:
    """What the gateway knows of a connecting socket: its id and its handshake request."""

    sid: str
    headers: Mapping[str, str]  # lower-case names
    remote_addr: str
    query: Mapping[str, str] = field(default_factory=dict)


class ConnectRefused(Exception):
    """Raised by ``Handlers.on_connect``: the client gets ``connect_error`` with ``data``."""

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(data.get("message", "refused"))
        self.data = data


class Handlers(Protocol):
    async def on_connect(self, peer: Peer, auth: Any) -> None:
        """Accept (return) or refuse (raise ``ConnectRefused``); rooms entered here precede the ack."""

    async def on_event(self, sid: str, event: str, args: list[Any]) -> Any:
        """Handle a client event; the return value is the ack (one argument), if one was asked."""

    async def on_disconnect(self, sid: str, reason: str) -> None:
        """Forget a socket."""


class Transport(ABC):
    """A Socket.IO server, as the gateway uses it."""

    @abstractmethod
    def bind(self, handlers: Handlers) -> None:
        """Route connects, events and disconnects to ``handlers``."""

    @abstractmethod
    def emit(self, event: str, data: Any, rooms: Iterable[str], exclude_sid: str | None = None) -> int:
        """Queue ``event`` with one argument to every socket in any of ``rooms`` (once each), in order;
        how many sockets it was queued to."""

    @abstractmethod
    def send(self, sid: str, event: str, data: Any) -> None:
        """Queue ``event`` with one argument to one socket (nothing if it is gone)."""

    @abstractmethod
    def enter_room(self, sid: str, room: str) -> None:
        """Put a socket in ``room``; effective at once (no await: a replay's hand-over relies on it)."""

    @abstractmethod
    def leave_room(self, sid: str, room: str) -> None:
        """Take a socket out of ``room``; effective at once."""

    @abstractmethod
    def pending_bytes(self, sid: str) -> int | None:
        """Bytes queued for a socket and not yet taken by the network; ``None`` once it is gone."""

    @abstractmethod
    async def disconnect(self, sid: str) -> None: ...

    @abstractmethod
    def asgi(self, other: ASGIApp) -> ASGIApp:
        """An ASGI app serving Socket.IO at its path and everything else with ``other``."""

    def uvicorn_ws(self) -> str | type:
        """What to pass as uvicorn's ``ws`` option."""
        return "auto"

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Start background work (heartbeats, the send queue)."""

    async def shutdown(self) -> None:  # noqa: B027 - optional hook
        """Close every connection."""
