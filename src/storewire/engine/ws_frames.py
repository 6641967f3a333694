"""RFC 6455 WebSocket framing for the server side, with no I/O.

Building frames: the server never masks and never fragments; a frame is ``FIN | opcode``, the
length in 1, 3 or 9 bytes, then the payload. :func:`text_frame` accepts UTF-8 ``bytes`` so that a
broadcast is encoded once and framed once.

Parsing: :class:`FrameParser` takes bytes as they arrive and returns whole messages (fragments
reassembled) and control frames (which may come between fragments). It raises
:class:`~storewire.engine.errors.WsProtocolError` with the close code to send: 1002 for an unmasked
frame, reserved bits or opcodes, a fragmented or oversized (> 125 bytes) control frame, a
continuation with nothing to continue or a new message in the middle of a fragmented one, or a
malformed close frame; 1007 for a text message or close reason that is not UTF-8; 1009 for a
message above ``max_message_size``, detected from the frame header, before the payload is buffered,
or split into more than ``MAX_FRAGMENTS`` frames (fragments are joined into one ``bytearray`` as they
come, so tiny or empty fragments cost their bytes only, yet each one costs parsing work).
No extension is negotiated, so RSV bits are never allowed. After a close frame the parser ignores
whatever follows.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from .errors import WsProtocolError

__all__ = [
    "MAX_FRAGMENTS",
    "OP_BINARY",
    "OP_CLOSE",
    "OP_CONT",
    "OP_PING",
    "OP_PONG",
    "OP_TEXT",
    "FrameParser",
    "WsClose",
    "WsMessage",
    "WsPing",
    "WsPong",
    "WsProtocolError",
    "accept_key",
    "binary_frame",
    "close_frame",
    "frame",
    "ping_frame",
    "pong_frame",
    "text_frame",
]

OP_CONT = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_MAX_CONTROL = 125
MAX_FRAGMENTS = 1024
"""Frames one fragmented message may span (browsers and common clients send far fewer)."""


@dataclass(slots=True)
class WsMessage:
    data: str | bytes


@dataclass(slots=True)
class WsPing:
    data: bytes


@dataclass(slots=True)
class WsPong:
    data: bytes


@dataclass(slots=True)
class WsClose:
    code: int
    reason: str


WsEvent = WsMessage | WsPing | WsPong | WsClose


def accept_key(sec_websocket_key: str) -> str:
    """The ``Sec-WebSocket-Accept`` value answering ``Sec-WebSocket-Key``."""
    digest = hashlib.sha1(sec_websocket_key.encode("ascii") + _GUID).digest()
    return base64.b64encode(digest).decode("ascii")


def frame(opcode: int, payload: bytes) -> bytes:
    """One unmasked frame with FIN set."""
    n = len(payload)
    b0 = 0x80 | opcode
    if n < 126:
        return bytes((b0, n)) + payload
    if n < 65536:
        return bytes((b0, 126)) + n.to_bytes(2, "big") + payload
    return bytes((b0, 127)) + n.to_bytes(8, "big") + payload


def text_frame(data: str | bytes) -> bytes:
    """A text frame; ``bytes`` must already be UTF-8."""
    return frame(OP_TEXT, data.encode() if isinstance(data, str) else data)


def binary_frame(data: bytes) -> bytes:
    return frame(OP_BINARY, data)


def close_frame(code: int = 1000, reason: str = "") -> bytes:
    """A close frame; the reason is cut to fit the 125-byte control-frame limit."""
    raw = reason.encode()[: _MAX_CONTROL - 2].decode(errors="ignore").encode()
    return frame(OP_CLOSE, code.to_bytes(2, "big") + raw)


def ping_frame(b: bytes) -> bytes:
    _check_control(b)
    return frame(OP_PING, b)


def pong_frame(b: bytes) -> bytes:
    _check_control(b)
    return frame(OP_PONG, b)


def _check_control(b: bytes) -> None:
    if len(b) > _MAX_CONTROL:
        raise ValueError("control frame payload is limited to 125 bytes")


def _unmask(mask: bytes, payload: bytes | bytearray) -> bytes:
    n = len(payload)
    if n == 0:
        return b""
    # One big-int XOR over the whole payload: far faster in CPython than a per-byte loop.
    key = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
    return (int.from_bytes(payload, "big") ^ key).to_bytes(n, "big")


def _valid_close_code(code: int) -> bool:
    # RFC 6455 7.4: 1004-1006 and 1015 must never be sent; 1012-1014 are IANA-registered since.
    return (1000 <= code <= 1014 and code not in (1004, 1005, 1006)) or 3000 <= code <= 4999


class FrameParser:
    """Incremental parser of the frames a client sends (masked, per RFC 6455 5.3)."""

    __slots__ = ("_buf", "_closed", "_error", "_fragments", "_fragments_count", "_max", "_message_op")

    def __init__(self, max_message_size: int) -> None:
        self._max = max_message_size
        self._buf = bytearray()
        self._message_op = 0  # opcode of the fragmented message in progress, 0 if none
        self._fragments = bytearray()
        self._fragments_count = 0
        self._closed = False
        self._error: WsProtocolError | None = None

    def feed(self, data: bytes) -> list[WsMessage | WsPing | WsPong | WsClose]:
        """Parse ``data``; returns the complete messages and control frames, in order.

        On a protocol error it raises, dropping whatever else ``data`` held (the connection is to be
        closed with ``close_code``), and keeps raising the same error on later calls.
        """
        if self._error is not None:
            raise self._error
        if self._closed:
            return []
        # Usually a read holds whole frames: parse the bytes received as they are, and copy into the
        # bytearray only what remains of a partial frame.
        buf: bytes | bytearray
        if self._buf:
            buf = self._buf
            buf += data
        else:
            buf = data
        end = len(buf)
        pos = 0
        events: list[WsMessage | WsPing | WsPong | WsClose] = []
        try:
            while end - pos >= 2:
                b0 = buf[pos]
                b1 = buf[pos + 1]
                if b0 & 0x70:
                    raise WsProtocolError(1002, "reserved bits set")
                if not b1 & 0x80:
                    raise WsProtocolError(1002, "client frame not masked")
                opcode = b0 & 0x0F
                fin = b0 & 0x80
                length = b1 & 0x7F
                head = 2
                if length == 126:
                    if end - pos < 4:
                        break
                    length = int.from_bytes(buf[pos + 2 : pos + 4], "big")
                    head = 4
                elif length == 127:
                    if end - pos < 10:
                        break
                    length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                    if length >> 63:
                        raise WsProtocolError(1002, "invalid frame length")
                    head = 10
                if opcode >= OP_CLOSE:
                    if opcode > OP_PONG:
                        raise WsProtocolError(1002, f"reserved opcode {opcode}")
                    if not fin:
                        raise WsProtocolError(1002, "fragmented control frame")
                    if length > _MAX_CONTROL:
                        raise WsProtocolError(1002, "control frame too long")
                else:
                    if opcode > OP_BINARY:
                        raise WsProtocolError(1002, f"reserved opcode {opcode}")
                    if opcode == OP_CONT:
                        if not self._message_op:
                            raise WsProtocolError(1002, "continuation frame with nothing to continue")
                    elif self._message_op:
                        raise WsProtocolError(1002, "new message inside a fragmented message")
                    if len(self._fragments) + length > self._max:
                        raise WsProtocolError(1009, "message too big")
                    if not fin and self._fragments_count >= MAX_FRAGMENTS:
                        raise WsProtocolError(1009, "message split into too many fragments")
                start = pos + head + 4
                stop = start + length
                if stop > end:
                    break
                payload = _unmask(bytes(buf[pos + head : start]), buf[start:stop])
                pos = stop
                if opcode >= OP_CLOSE:
                    if opcode == OP_PING:
                        events.append(WsPing(payload))
                    elif opcode == OP_PONG:
                        events.append(WsPong(payload))
                    else:
                        events.append(_parse_close(payload))
                        self._closed = True
                        pos = end
                        break
                elif fin and opcode:  # the common case: a whole message in one frame
                    events.append(WsMessage(_text(payload) if opcode == OP_TEXT else payload))
                else:
                    if opcode:
                        self._message_op = opcode
                    self._fragments += payload
                    self._fragments_count += 1
                    if fin:
                        whole = bytes(self._fragments)
                        op = self._message_op
                        self._message_op = 0
                        self._fragments = bytearray()
                        self._fragments_count = 0
                        events.append(WsMessage(_text(whole) if op == OP_TEXT else whole))
        except WsProtocolError as exc:
            self._error = exc
            self._buf = bytearray()
            self._fragments = bytearray()
            raise
        if buf is data:
            if pos < end:
                self._buf = bytearray(data[pos:])
        elif pos:
            del self._buf[:pos]
        return events


def _text(payload: bytes) -> str:
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        raise WsProtocolError(1007, "invalid UTF-8 in text message") from None


def _parse_close(payload: bytes) -> WsClose:
    if not payload:
        return WsClose(1005, "")  # "no status code present" (RFC 6455 7.1.5)
    if len(payload) == 1:
        raise WsProtocolError(1002, "close frame with a 1-byte payload")
    code = int.from_bytes(payload[:2], "big")
    if not _valid_close_code(code):
        raise WsProtocolError(1002, f"invalid close code {code}")
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise WsProtocolError(1007, "invalid UTF-8 in close reason") from None
    return WsClose(code, reason)
