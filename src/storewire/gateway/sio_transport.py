"""``Transport`` on python-socketio (the foundation's server; the engine replaces it)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import Any

import socketio

from storewire.gateway.transport import ASGIApp, ConnectRefused, Handlers, Peer, Transport

__all__ = ["SocketIOTransport"]

logger = logging.getLogger(__name__)


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    scope = environ.get("asgi.scope", {})
    return {
        name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])
    }


class SocketIOTransport(Transport):
    def __init__(
        self,
        *,
        cors_origins: list[str],
        ping_interval: float,
        ping_timeout: float,
        max_payload: int,
    ) -> None:
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            cors_allowed_origins=cors_origins,
            cors_credentials=True,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            max_http_buffer_size=max_payload,
            logger=False,
            engineio_logger=False,
        )
        self._outgoing: asyncio.Queue[tuple[str, Any, list[str], str | None]] = asyncio.Queue()
        self._sender: asyncio.Task[None] | None = None

    def bind(self, handlers: Handlers) -> None:
        async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
            scope = environ.get("asgi.scope", {})
            client = scope.get("client") or ("", 0)
            peer = Peer(sid=sid, headers=_headers(environ), remote_addr=str(client[0]))
            try:
                await handlers.on_connect(peer, auth)
            except ConnectRefused as refused:
                error = socketio.exceptions.ConnectionRefusedError()
                error.error_args = refused.data  # sent as the connect_error data, unchanged
                raise error from None

        async def any_event(event: str, sid: str, *args: Any) -> Any:
            return await handlers.on_event(sid, event, list(args))

        async def disconnect(sid: str, reason: Any = "") -> None:
            await handlers.on_disconnect(sid, str(reason))

        self.sio.on("connect", connect)
        self.sio.on("*", any_event)
        self.sio.on("disconnect", disconnect)

    def emit(self, event: str, data: Any, rooms: Iterable[str], exclude_sid: str | None = None) -> None:
        # python-socketio's emit is a coroutine; one sender task keeps the order of emits.
        self._outgoing.put_nowait((event, data, list(rooms), exclude_sid))

    async def _send_forever(self) -> None:
        while True:
            event, data, rooms, exclude_sid = await self._outgoing.get()
            try:
                await self.sio.emit(event, data, to=rooms, skip_sid=exclude_sid)
            except Exception:
                logger.exception("emit of %s failed", event)

    async def enter_room(self, sid: str, room: str) -> None:
        await self.sio.enter_room(sid, room)

    async def leave_room(self, sid: str, room: str) -> None:
        await self.sio.leave_room(sid, room)

    async def disconnect(self, sid: str) -> None:
        await self.sio.disconnect(sid)

    def asgi(self, other: ASGIApp) -> ASGIApp:
        app: ASGIApp = socketio.ASGIApp(self.sio, other_asgi_app=other, socketio_path="socket.io")
        return app

    async def start(self) -> None:
        if self._sender is None:
            self._sender = asyncio.create_task(self._send_forever(), name="storewire-sio-sender")

    async def shutdown(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
            self._sender = None
        with contextlib.suppress(Exception):
            await self.sio.shutdown()
