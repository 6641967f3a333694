"""Helpers for the engine server tests: a real uvicorn on a free 127.0.0.1 port in the test's loop."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import socket
import struct
from collections.abc import AsyncIterator, Callable
from typing import Any

import uvicorn

from storewire.engine.types import ASGIApp


@contextlib.asynccontextmanager
async def serve(app: ASGIApp, ws: Any = "websockets-sansio", **kwargs: Any) -> AsyncIterator[str]:
    """Run uvicorn with ``app`` (and ``ws`` protocol class) until the block exits; yields the base URL."""
    async with serve_uvicorn(app, ws, **kwargs) as (url, _, _):
        yield url


@contextlib.asynccontextmanager
async def serve_uvicorn(
    app: ASGIApp, ws: Any = "websockets-sansio", **kwargs: Any
) -> AsyncIterator[tuple[str, uvicorn.Server, asyncio.Future[None]]]:
    """Like :func:`serve`, also yielding the ``uvicorn.Server`` and its ``serve()`` task.

    Leaving the block shuts uvicorn down (if the test has not already) and waits for it, at most
    ``exit_timeout`` seconds (keyword argument, default 20).
    """
    exit_timeout = kwargs.pop("exit_timeout", 20.0)
    kwargs.setdefault("log_level", "warning")
    config = uvicorn.Config(app=app, host="127.0.0.1", port=0, ws=ws, lifespan="off", **kwargs)
    server = uvicorn.Server(config)
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    task = asyncio.ensure_future(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", server, task
    finally:
        server.should_exit = True
        await asyncio.wait_for(asyncio.shield(task), exit_timeout)


async def wait_until(predicate: Callable[[], object], timeout: float = 10.0) -> None:
    """Poll ``predicate`` every 10 ms until it is true; fail the test after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


def mask_frame(opcode: int, payload: bytes) -> bytes:
    """A client (masked) WebSocket frame."""
    key = os.urandom(4)
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return head + key + masked


class RawWs:
    """A minimal blocking-free raw WebSocket client over asyncio streams (reads only when asked)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, url: str, path: str, rcvbuf: int | None = None, **headers: str) -> RawWs:
        host, port = url.removeprefix("http://").split(":")
        sock = socket.socket()
        if rcvbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
        reader, writer = await asyncio.open_connection(sock=sock, limit=2**20)
        key = base64.b64encode(os.urandom(16)).decode()
        extra = "".join(f"{k.replace('_', '-')}: {v}\r\n" for k, v in headers.items())
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n".encode()
        )
        status = await reader.readuntil(b"\r\n\r\n")
        if not status.startswith(b"HTTP/1.1 101"):
            writer.close()
            raise ConnectionError(status.decode(errors="replace"))
        return cls(reader, writer)

    async def send(self, data: str | bytes) -> None:
        if isinstance(data, str):
            self.writer.write(mask_frame(1, data.encode()))
        else:
            self.writer.write(mask_frame(2, data))
        await self.writer.drain()

    async def read_frame(self) -> tuple[int, bytes] | None:
        """The next frame's opcode and payload; None once the connection ended."""
        try:
            b0, b1 = await self.reader.readexactly(2)
        except asyncio.IncompleteReadError:
            return None
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", await self.reader.readexactly(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", await self.reader.readexactly(8))[0]
        return b0 & 0x0F, await self.reader.readexactly(n)

    async def recv(self) -> str | bytes | None:
        """Next data message; None once the server closed."""
        while True:
            frame = await self.read_frame()
            if frame is None:
                return None
            opcode, payload = frame
            if opcode == 1:
                return payload.decode()
            if opcode == 2:
                return payload
            if opcode == 8:
                return None

    async def recv_text(self) -> str:
        """Next message, which must be text."""
        msg = await self.recv()
        assert isinstance(msg, str), msg
        return msg

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()
