"""``Transport`` on storewire's own Socket.IO engine (``storewire.engine``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp

from storewire.engine import ConnectionRefused, Server, Socket
from storewire.gateway.transport import ConnectRefused, Handlers, Peer, Transport

__all__ = ["EngineTransport"]


class EngineTransport(Transport):
    """The gateway's transport: frames built once per event, one write per socket per loop tick."""

    def __init__(
        self,
        *,
        cors_origins: list[str],
        ping_interval: float,
        ping_timeout: float,
        max_payload: int,
        max_buffered_bytes: int,
    ) -> None:
        self.server = Server(
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            max_payload=max_payload,
            cors_origins=cors_origins or None,
            max_buffered_bytes=max_buffered_bytes,
        )

    def bind(self, handlers: Handlers) -> None:
        async def connect(socket: Socket, auth: Any) -> None:
            peer = Peer(socket.sid, socket.headers, socket.remote_addr, socket.query)
            try:
                await handlers.on_connect(peer, auth)
            except ConnectRefused as refused:
                # Socket.IO's shape: clients show `message` and hand `data` to the app as `err.data`.
                raise ConnectionRefused(
                    {"message": refused.data.get("message", ""), "data": refused.data}
                ) from None

        async def event(socket: Socket, name: str, args: list[Any]) -> list[Any]:
            return [await handlers.on_event(socket.sid, name, args)]

        async def disconnect(socket: Socket, reason: str) -> None:
            await handlers.on_disconnect(socket.sid, reason)

        self.server.on_connect(connect)
        self.server.on_event(event)
        self.server.on_disconnect(disconnect)

    def emit(self, event: str, data: Any, rooms: Iterable[str], exclude_sid: str | None = None) -> int:
        return self.server.emit(event, data, rooms=rooms, exclude_sid=exclude_sid)

    def send(self, sid: str, event: str, data: Any) -> None:
        self.server.emit_to(sid, event, data)  # kept back until the CONNECT ack, if that is not out yet

    def enter_room(self, sid: str, room: str) -> None:
        self.server.enter_room(sid, room)

    def leave_room(self, sid: str, room: str) -> None:
        self.server.leave_room(sid, room)

    def pending_bytes(self, sid: str) -> int | None:
        return self.server.pending_bytes(sid)

    async def disconnect(self, sid: str) -> None:
        self.server.disconnect(sid)

    def asgi(self, other: ASGIApp) -> ASGIApp:
        app: ASGIApp = self.server.asgi(other)
        return app

    def uvicorn_ws(self) -> str | type:
        return self.server.uvicorn_ws_protocol()

    async def start(self) -> None:
        await self.server.start()

    async def shutdown(self) -> None:
        await self.server.shutdown()
