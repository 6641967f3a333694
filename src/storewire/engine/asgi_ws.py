"""WebSocket over ASGI messages: the slower fallback when the uvicorn ``ws`` hook is not installed.

The engine always produces ready-made WebSocket frames; this adapter gives a :class:`WsConn` a
transport-like object that turns those frames back into ``websocket.send`` messages, sent by one
writer task per connection (acceptable here: it is the fallback path, not the fast one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from collections import deque
from collections.abc import Iterable

from .eio_server import EioServer
from .eio_socket import ACCEPT_AND_CLOSE
from .handshake import error_body, join_headers
from .types import Message, Receive, Scope, Send
from .websocket import WsConn

__all__ = ["serve_websocket"]

logger = logging.getLogger(__name__)


def _unframe(frame: bytes) -> tuple[int, bytes]:
    """(opcode, payload) of a server frame built by ``ws_frames`` (FIN set, unmasked)."""
    opcode = frame[0] & 0x0F
    n = frame[1] & 0x7F
    if n == 126:
        return opcode, frame[4:]
    if n == 127:
        return opcode, frame[10:]
    return opcode, frame[2:]


class _AsgiTransport(asyncio.Transport):
    """Enough of ``asyncio.Transport`` for :class:`WsConn`; frames become ASGI messages."""

    def __init__(self, peer: tuple[str, int] | None) -> None:
        super().__init__()
        self._queue: deque[bytes] = deque()
        self._size = 0
        self._closing = False
        self._aborted = False
        self._wake = asyncio.Event()
        self._reading = asyncio.Event()
        self._reading.set()
        self._peer = peer

    def get_extra_info(self, name: str, default: object = None) -> object:
        return self._peer if name == "peername" else default

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closing:
            return
        data = bytes(data)
        self._queue.append(data)
        self._size += len(data)
        self._wake.set()

    def writelines(self, list_of_data: Iterable[bytes | bytearray | memoryview]) -> None:
        for data in list_of_data:
            self.write(data)

    def get_write_buffer_size(self) -> int:
        return self._size

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        self._closing = True
        self._wake.set()

    def abort(self) -> None:
        self._closing = self._aborted = True
        self._queue.clear()
        self._size = 0
        self._wake.set()

    def pause_reading(self) -> None:
        self._reading.clear()

    def resume_reading(self) -> None:
        self._reading.set()

    def is_reading(self) -> bool:
        return self._reading.is_set()

    async def wait_reading(self) -> None:
        """Wait until reading is resumed (the session's handlers are saturated meanwhile)."""
        await self._reading.wait()

    async def pump(self, send: Send) -> None:
        """Send queued frames as ASGI messages until closed."""
        while True:
            while self._queue:
                frame = self._queue.popleft()
                self._size -= len(frame)
                opcode, payload = _unframe(frame)
                if opcode == 1:
                    await send({"type": "websocket.send", "text": payload.decode("utf-8")})
                elif opcode == 2:
                    await send({"type": "websocket.send", "bytes": payload})
                elif opcode == 8:
                    code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1000
                    await send({"type": "websocket.close", "code": code})
                    return
            if self._closing:
                if not self._aborted:
                    await send({"type": "websocket.close", "code": 1000})
                return
            self._wake.clear()
            await self._wake.wait()


async def serve_websocket(engine: EioServer, scope: Scope, receive: Receive, send: Send) -> None:
    """Serve one ASGI ``websocket`` scope for ``engine``."""
    msg = await receive()
    if msg["type"] != "websocket.connect":
        return
    client = scope.get("client")
    transport = _AsgiTransport(tuple(client) if client else None)
    conn = WsConn(engine)
    conn.connection_made(transport)
    raw = join_headers(scope.get("headers") or [])
    query_string = scope.get("query_string", b"").decode("latin-1")
    err = engine.ws_accept(conn, query_string, raw, client[0] if client else "")
    if err is not None and err != ACCEPT_AND_CLOSE:
        logger.debug("websocket refused: %s", error_body(err))
        await send({"type": "websocket.close", "code": 1008})
        return
    await send({"type": "websocket.accept"})
    if err == ACCEPT_AND_CLOSE:
        await send({"type": "websocket.close", "code": 1000})
        return
    conn.open()
    writer = asyncio.ensure_future(transport.pump(send))
    try:
        while not transport.is_closing():
            if not transport.is_reading():
                resumed = asyncio.ensure_future(transport.wait_reading())
                await asyncio.wait((resumed, writer), return_when=asyncio.FIRST_COMPLETED)
                if not resumed.done():
                    resumed.cancel()
                    break
                continue
            reader = asyncio.ensure_future(receive())
            await asyncio.wait((reader, writer), return_when=asyncio.FIRST_COMPLETED)
            if not reader.done():
                reader.cancel()
                break
            msg = reader.result()
            if msg["type"] == "websocket.disconnect":
                break
            if _too_big(msg, engine.max_payload):
                conn._fail(1009)  # as the engine's own parser: close "message too big"
                break
            _deliver(conn, msg)
    finally:
        transport.close()
        with contextlib.suppress(Exception):
            await writer
        conn.connection_lost(None)


def _too_big(msg: Message, limit: int) -> bool:
    text = msg.get("text")
    if text is not None:
        # UTF-8 takes 1 to 4 bytes per character: encode only when the length alone cannot tell
        n = len(text)
        return n > limit or (n * 4 > limit and len(text.encode()) > limit)
    return len(msg.get("bytes") or b"") > limit


def _deliver(conn: WsConn, msg: Message) -> None:
    text = msg.get("text")
    if text is not None:
        conn.message_received(text)
    else:
        conn.message_received(msg.get("bytes") or b"")
