"""ASGI routing: requests under an engine's path go to the engine, everything else to ``other``."""

from __future__ import annotations

from collections.abc import Sequence

from .eio_server import EioServer
from .types import ASGIApp, Receive, Scope, Send

__all__ = ["route"]


def _match(engines: Sequence[EioServer], path: str) -> EioServer | None:
    for engine in engines:
        base = engine.path
        if path.startswith(base) or path == base[:-1]:
            return engine
    return None


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    elif scope["type"] == "http":
        body = b"Not Found"
        await send(
            {
                "type": "http.response.start",
                "status": 404,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", b"9")],
            }
        )
        await send({"type": "http.response.body", "body": body})
    elif scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1000})


def route(engines: Sequence[EioServer], other: ASGIApp | None) -> ASGIApp:
    """An ASGI app dispatching ``engines``' paths (polling, WebSocket fallback) and the rest to ``other``."""
    from .asgi_ws import serve_websocket
    from .polling import handle_http

    fallback = other or _not_found
    engines = tuple(engines)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind in ("http", "websocket"):
            engine = _match(engines, scope["path"])
            if engine is not None:
                if kind == "http":
                    await handle_http(engine, scope, receive, send)
                else:
                    await serve_websocket(engine, scope, receive, send)
                return
        await fallback(scope, receive, send)

    return app
