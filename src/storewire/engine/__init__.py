"""storewire's Engine.IO v4 / Socket.IO v5 server engine (generic: imports nothing else of storewire).

Start it under uvicorn, sharing the port with an ASGI app::

    server = Server(cors_origins=["https://shop.example"])
    config = uvicorn.Config(app=server.asgi(fastapi_app), ws=server.uvicorn_ws_protocol())
    await uvicorn.Server(config).serve()
"""

from __future__ import annotations

from .eio_server import EioServer
from .eio_socket import EioSocket
from .errors import ProtocolError, WsProtocolError
from .server import Server
from .sockets import ConnectionRefused, Socket
from .uvicorn_ws import make_ws_protocol

__all__ = [
    "ConnectionRefused",
    "EioServer",
    "EioSocket",
    "ProtocolError",
    "Server",
    "Socket",
    "WsProtocolError",
    "make_ws_protocol",
]
