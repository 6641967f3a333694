"""Conformance app for the official protocol test suites, on one port.

``python -m storewire.engine.conformance --port 3000`` serves:

- ``/socket.io/``: the reference Socket.IO server of the socket.io-protocol "Test suite" section
  (pingInterval 300, pingTimeout 200, maxPayload 1000000, connectTimeout 1000, cors origin "*";
  on connection emit ``auth`` with the handshake auth; ``message`` -> ``message-back`` with the
  same args; ``message-with-ack`` acks with its args; namespace ``/custom`` emits ``auth`` too);
- ``/engine.io/``: the Engine.IO echo server of the engine.io-protocol "Test suite" section
  (pingInterval 300, pingTimeout 200, maxPayload 1e6, cors origin "*"; echoes every message).

It exits promptly on SIGTERM / SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Any

from .eio_server import EioServer
from .eio_socket import EioSocket
from .server import Server
from .sockets import Socket
from .uvicorn_ws import make_ws_protocol

__all__ = ["build", "main"]


def build() -> tuple[Server, EioServer]:
    """The two reference servers, configured exactly as the test-suite sections say."""
    sio = Server(
        ping_interval=0.3,
        ping_timeout=0.2,
        max_payload=1_000_000,
        connect_timeout=1.0,
        cors_origins=["*"],
        cors_credentials=False,
    )

    async def on_connect(sock: Socket, auth: Any) -> None:
        sio.emit_to(sock.sid, "auth", auth, nsp=sock.nsp)

    async def on_event(sock: Socket, event: str, args: list[Any]) -> Any:
        if event == "message":
            sio.emit_to(sock.sid, "message-back", *args)
            return None
        if event == "message-with-ack":
            return args
        return None

    sio.on_connect(on_connect)
    sio.on_event(on_event)
    sio.on_connect(on_connect, nsp="/custom")

    echo = EioServer(
        path="/engine.io/",
        ping_interval=0.3,
        ping_timeout=0.2,
        max_payload=1_000_000,
        cors_origins=["*"],
        cors_credentials=False,
    )

    def on_message(sock: EioSocket, data: str | bytes) -> None:
        sock.send(data)

    echo.on_message(on_message)
    return sio, echo


def _config(host: str, port: int) -> tuple[Any, Server, EioServer]:
    import uvicorn

    from .asgi import route

    sio, echo = build()
    config = uvicorn.Config(
        app=route([sio.engine, echo], None),
        ws=make_ws_protocol([sio.engine, echo]),
        host=host,
        port=port,
        lifespan="off",
        log_level="warning",
        timeout_graceful_shutdown=1,
    )
    return config, sio, echo


async def _serve(config: Any, sio: Server, echo: EioServer) -> None:
    import uvicorn

    server = uvicorn.Server(config)  # uvicorn handles SIGTERM/SIGINT: shutdown() closes every WebSocket
    try:
        await server.serve()
    finally:
        await sio.shutdown()
        await echo.shutdown()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m storewire.engine.conformance", description=__doc__)
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=3000)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    config, sio, echo = _config(args.host, args.port)
    config.load()
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:  # uvloop when installed
        runner.run(_serve(config, sio, echo))


if __name__ == "__main__":
    main()
