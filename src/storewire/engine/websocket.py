"""The engine's WebSocket connection: one slotted ``asyncio.Protocol`` per connection, no task.

It parses the HTTP upgrade request (given whole by uvicorn's ``ws`` hook, or read from the socket),
answers ``101``, then turns frames into Engine.IO packets for :class:`EioServer`. Writes of data
packets go through the session's per-tick buffer (``EioSocket.push``); only the handshake, control
frames and the probe answer are written directly.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from typing import TYPE_CHECKING, Any

from .eio_packets import decode_ws
from .eio_socket import ACCEPT_AND_CLOSE
from .errors import ProtocolError, WsProtocolError
from .handshake import FORBIDDEN, TrustedProxies, error_body, forwarded_client, parse_headers
from .timer import Timer, cancel
from .ws_frames import (
    FrameParser,
    WsClose,
    WsEvent,
    WsMessage,
    WsPing,
    accept_key,
    close_frame,
    pong_frame,
)

if TYPE_CHECKING:
    from .eio_server import EioServer
    from .eio_socket import EioSocket

__all__ = ["WsConn"]

logger = logging.getLogger(__name__)

_HANDSHAKE, _OPEN, _CLOSED = 0, 1, 2
_MAX_REQUEST = 16 * 1024
_REASONS = {400: b"Bad Request", 403: b"Forbidden"}


class WsConn(asyncio.Protocol):
    """A WebSocket served by the engine; ``sock`` is its Engine.IO session (active or being probed)."""

    __slots__ = (
        "_backlog",
        "_buf",
        "_held",
        "_linger",
        "_write_paused",
        "connections",
        "engine",
        "parser",
        "sock",
        "state",
        "transport",
        "trusted",
    )

    def __init__(
        self,
        engine: EioServer,
        connections: set[Any] | None = None,
        trusted: TrustedProxies | None = None,
    ) -> None:
        self.engine = engine
        self.connections = connections
        self.trusted = trusted
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self.sock: EioSocket | None = None
        self.parser: FrameParser | None = None
        self.state = _HANDSHAKE
        self._buf = b""
        self._linger: Timer | None = None
        self._held = False  # reading paused by the session (its handlers are saturated)
        self._write_paused = False  # reading paused because writes are blocked
        self._backlog: list[WsEvent] | None = None  # parsed while held, handled on release

    # -- asyncio.Protocol --------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Registered in ``connections`` (uvicorn's shutdown list) only once the handshake succeeded:
        # a rejected request must leave nothing behind, whoever receives its connection_lost.
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self.state == _OPEN:
            try:
                events = self.parser.feed(data)  # type: ignore[union-attr]
            except WsProtocolError as exc:
                self._fail(exc.close_code)
                return
            if self._backlog is not None:
                self._backlog.extend(events)
            else:
                self._dispatch(events)
            return
        if self.state == _HANDSHAKE:
            buf = self._buf + data
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > _MAX_REQUEST:
                    self._reject(400, b"")
                else:
                    self._buf = buf
                return
            self._buf = b""
            self._handshake(buf[:end], buf[end + 4 :])

    def _dispatch(self, events: list[WsEvent]) -> None:
        try:
            for i, ev in enumerate(events):
                if self.state != _OPEN:
                    return
                if self._held:  # the rest waits until the session takes packets again
                    self._backlog = events[i:]
                    return
                if isinstance(ev, WsMessage):
                    self.message_received(ev.data)
                elif isinstance(ev, WsPing):
                    self.transport.write(pong_frame(ev.data))
                elif isinstance(ev, WsClose):
                    self._peer_closed(ev.code)
        except Exception:  # a bug must cost this connection only, never the loop or the process
            logger.exception("failed to handle a WebSocket message")
            self._fail(1011)

    def hold(self, held: bool) -> None:
        """Stop (``True``) or resume handing packets to the session; reading from the peer follows."""
        if held:
            self._held = True
            if not self.transport.is_closing():
                self.transport.pause_reading()
            return
        if not self._held:
            return
        self._held = False
        backlog, self._backlog = self._backlog, None
        if backlog:
            self._dispatch(backlog)
        if not self._held and not self._write_paused and not self.transport.is_closing():
            self.transport.resume_reading()

    def eof_received(self) -> bool | None:
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.state = _CLOSED
        cancel(self._linger)
        self._linger = None
        if self.connections is not None:
            self.connections.discard(self)
        sock = self.sock
        if sock is None:
            return
        if sock.conn is self:
            sock.close("transport close" if exc is None else "transport error", abort=True)
        else:
            self.engine.probe_lost(sock, self)

    def pause_writing(self) -> None:
        self._write_paused = True
        self.transport.pause_reading()

    def resume_writing(self) -> None:
        self._write_paused = False
        if not self._held and not self.transport.is_closing():
            self.transport.resume_reading()

    # -- uvicorn server_state.connections protocol ---------------------------------------------------
    def shutdown(self) -> None:
        """Called by uvicorn on shutdown: close the session (reason ``"server shutting down"``)."""
        sock = self.sock
        stuck = self.transport.get_write_buffer_size() > 0  # a client not reading: do not wait for it
        if sock is not None and sock.conn is self:
            sock.close("server shutting down", abort=stuck)
        elif stuck:
            self.abort()
        else:
            self.close(1001)

    # -- engine side --------------------------------------------------------------------------------
    def open(self) -> None:
        """Mark the handshake done (used by the ASGI fallback, which handshakes elsewhere)."""
        self.state = _OPEN

    def message_received(self, data: str | bytes) -> None:
        sock = self.sock
        if sock is None:
            return
        try:
            pkt = decode_ws(data)
        except ProtocolError:
            if sock.conn is self:
                sock.close("parse error")
            else:
                self.engine.probe_lost(sock, self)
                self.close(1000)
            return
        if sock.conn is self:
            self.engine.on_packet(sock, pkt)
        else:
            self.engine.on_probe_packet(sock, self, pkt)

    def close(self, code: int = 1000) -> None:
        """Send a close frame and close the transport.

        Buffered data is still written, for at most ``CLOSE_LINGER`` seconds: a client that stopped
        reading would otherwise hold the connection, its buffer and its shutdown slot forever.
        """
        if self.state == _CLOSED:
            return
        transport = self.transport
        if self.state == _OPEN and not transport.is_closing():
            transport.write(close_frame(code))
        self.state = _CLOSED
        transport.close()
        if transport.get_write_buffer_size() > 0 and self._linger is None:
            self._linger = self.engine._linger_q.add(self)

    def abort(self) -> None:
        """Drop the connection at once, discarding whatever is still buffered."""
        cancel(self._linger)
        self._linger = None
        self.state = _CLOSED
        self.transport.abort()

    def linger_due(self) -> None:
        """The close deadline passed with data still unsent: drop the connection."""
        self._linger = None
        self.transport.abort()

    def _fail(self, code: int) -> None:
        sock = self.sock
        self.close(code)
        if sock is not None:
            if sock.conn is self:
                sock.close("parse error")
            else:
                self.engine.probe_lost(sock, self)

    def _peer_closed(self, code: int) -> None:
        sock = self.sock
        reply = code if code in (1000, 1001) or 3000 <= code < 5000 else 1000
        self.close(reply)
        if sock is not None:
            if sock.conn is self:
                sock.close("transport close")
            else:
                self.engine.probe_lost(sock, self)

    def _reject(self, status: int, body: bytes) -> None:
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n%s" % (status, _REASONS[status], len(body), body)
        )
        self.state = _CLOSED
        self.transport.close()

    def _handshake(self, head: bytes, rest: bytes) -> None:
        try:
            self._do_handshake(head, rest)
        except Exception:  # a bug must cost this request only and leave no session behind
            logger.exception("WebSocket handshake failed")
            sock = self.sock
            if self.state == _HANDSHAKE:
                self.sock = None
                if sock is not None:
                    if sock.conn is self:
                        sock.close("transport error", abort=True)
                    else:
                        self.engine.probe_lost(sock, self)
                self._reject(400, b"")
            elif self.state == _OPEN:
                self._fail(1011)

    def _do_handshake(self, head: bytes, rest: bytes) -> None:
        line, _, raw_headers = head.partition(b"\r\n")
        parts = line.split(b" ")
        headers = parse_headers(raw_headers)
        if (
            len(parts) != 3
            or parts[0] != b"GET"
            or "websocket" not in headers.get("upgrade", "").lower()
            or headers.get("sec-websocket-version") != "13"
            or not _valid_key(headers.get("sec-websocket-key"))
        ):
            self._reject(400, b"")
            return
        _, _, query_string = parts[1].partition(b"?")
        peer = self.transport.get_extra_info("peername")
        host = peer[0] if isinstance(peer, tuple) else ""
        remote = forwarded_client(host, headers.get("x-forwarded-for"), self.trusted)
        err = self.engine.ws_accept(self, query_string.decode("latin-1"), raw_headers, remote, headers)
        if err is not None and err != ACCEPT_AND_CLOSE:
            self._reject(403 if err == FORBIDDEN else 400, error_body(err))
            return
        response = (
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: %s\r\n\r\n" % accept_key(headers["sec-websocket-key"]).encode()
        )
        sock = self.sock
        if sock is not None and sock.conn is self and sock._out:
            sock._out.insert(0, response)  # one write with the queued open packet
            sock._out_n += len(response)
        else:
            self.transport.write(response)
        self.parser = FrameParser(self.engine.max_payload)
        self.state = _OPEN
        if self.connections is not None:
            self.connections.add(self)
        if err == ACCEPT_AND_CLOSE:
            self.close(1000)
            return
        if rest:
            self.data_received(rest)


def _valid_key(key: str | None) -> bool:
    """RFC 6455 4.2.1: ``Sec-WebSocket-Key`` is the base64 encoding of 16 bytes."""
    if not key:
        return False
    try:
        return len(base64.b64decode(key.encode("latin-1"), validate=True)) == 16
    except (binascii.Error, ValueError):
        return False
