"""``X-Socket-Id``: the caller's own socket, excluded from the events its request publishes."""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from storewire.delivery.publisher import acting_socket

__all__ = ["ActingSocket"]

_SID = re.compile(rb"[A-Za-z0-9_=\-]{1,64}")


class ActingSocket:
    """ASGI middleware: puts a well-formed ``X-Socket-Id`` header into ``acting_socket`` for the request.

    A malformed value is ignored (the request then excludes no socket): it cannot name a socket.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sid = next((value for name, value in scope["headers"] if name == b"x-socket-id"), None)
        if sid is None or not _SID.fullmatch(sid):
            await self.app(scope, receive, send)
            return
        token = acting_socket.set(sid.decode())
        try:
            await self.app(scope, receive, send)
        finally:
            acting_socket.reset(token)
