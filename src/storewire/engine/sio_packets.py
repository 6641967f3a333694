"""Socket.IO v5 packets: encoding and decoding, with no I/O.

Wire format of the text part (one Engine.IO MESSAGE)::

    <type>[<attachments>-][<nsp>,][<ack id>][<JSON data>]        e.g. 2/admin,12["ev",{"a":1}]

A packet whose data holds binary values is sent as BINARY_EVENT / BINARY_ACK: the text part with
each binary value replaced by ``{"_placeholder":true,"num":i}``, followed by one binary Engine.IO
message per attachment.

:class:`Decoder` validates like the reference ``socket.io-parser`` (4.2.x): unknown type, bad
attachment count, invalid JSON, payload of the wrong shape for the type (CONNECT: object;
DISCONNECT: none; CONNECT_ERROR: string or object; EVENT: array whose first element is a number or
a non-reserved event name; ACK: array), placeholders out of range, too many attachments (the
reference default is 10), text while waiting for attachments and binary when not: each raises
:class:`~storewire.engine.errors.ProtocolError`. Deliberately stricter than the reference, where
JavaScript's loose number parsing lets odd input through: the attachment count and the ack id
must be ASCII digits (``"5-[...]"`` is not read as zero attachments), an ack id must be at most
2**53 - 1, and an EVENT must carry data. orjson also refuses two things ``JSON.parse`` accepts: a
lone UTF-16 surrogate escape (``"\\ud800"``) and a number beyond the double range (``1e999``); such a
packet is a ``ProtocolError`` rather than a string no encoder could send back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import orjson

from .errors import ProtocolError

__all__ = [
    "RESERVED_EVENTS",
    "Decoder",
    "SioPacket",
    "SioType",
    "encode",
    "encode_event",
    "encode_event_bytes",
]


class SioType(IntEnum):
    CONNECT = 0
    DISCONNECT = 1
    EVENT = 2
    ACK = 3
    CONNECT_ERROR = 4
    BINARY_EVENT = 5
    BINARY_ACK = 6


@dataclass(slots=True)
class SioPacket:
    """One Socket.IO packet. Binary values (``bytes``) may appear anywhere inside ``data``."""

    type: SioType
    nsp: str = "/"
    data: Any = None
    id: int | None = None


RESERVED_EVENTS = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)

_MAX_ACK_ID = 2**53 - 1  # JavaScript's Number.MAX_SAFE_INTEGER: clients cannot represent more
_DIGITS = re.compile(r"[0-9]+")
_BINARY = (bytes, bytearray, memoryview)
_TYPES = {str(int(t)): t for t in SioType}


# -- encoding -------------------------------------------------------------------------------------


def encode(p: SioPacket) -> list[str | bytes]:
    """Encode ``p`` as ``[text, *attachments]``, one Engine.IO MESSAGE each.

    An EVENT or ACK with binary values anywhere in its data goes out as BINARY_EVENT / BINARY_ACK.
    Raises ``TypeError`` for data orjson cannot serialise.
    """
    t = p.type
    attachments: list[bytes] = []
    data = p.data
    if t in (SioType.EVENT, SioType.ACK, SioType.BINARY_EVENT, SioType.BINARY_ACK):
        data = _deconstruct(data, attachments)
        if attachments or t >= SioType.BINARY_EVENT:
            t = SioType.BINARY_ACK if t in (SioType.ACK, SioType.BINARY_ACK) else SioType.BINARY_EVENT
    head = f"{int(t)}{len(attachments)}-" if t >= SioType.BINARY_EVENT else str(int(t))
    text = head + _nsp_id(p.nsp, p.id)
    if data is not None:
        text += orjson.dumps(data).decode()
    return [text, *attachments]


def encode_event(event: str, args: Sequence[Any], nsp: str = "/", ack_id: int | None = None) -> str:
    """Fast path for a non-binary EVENT: ``'2/admin,12["ev",...]'``.

    ``args`` must hold no binary values (orjson raises ``TypeError`` on them): use :func:`encode`.
    """
    return encode_event_bytes(event, args, nsp, ack_id).decode()


def encode_event_bytes(event: str, args: Sequence[Any], nsp: str = "/", ack_id: int | None = None) -> bytes:
    """:func:`encode_event` as UTF-8 bytes, ready for a WebSocket text frame without re-encoding."""
    body = orjson.dumps([event, *args])
    if nsp == "/" and ack_id is None:
        return b"2" + body
    return b"2" + _nsp_id(nsp, ack_id).encode() + body


def _nsp_id(nsp: str, ack_id: int | None) -> str:
    s = f"{nsp}," if nsp and nsp != "/" else ""
    return s if ack_id is None else s + str(ack_id)


def _deconstruct(data: Any, buffers: list[bytes]) -> Any:
    if isinstance(data, _BINARY):
        buffers.append(bytes(data))
        return {"_placeholder": True, "num": len(buffers) - 1}
    if isinstance(data, list | tuple):
        return [_deconstruct(v, buffers) for v in data]
    if isinstance(data, dict):
        return {k: _deconstruct(v, buffers) for k, v in data.items()}
    return data


# -- decoding -------------------------------------------------------------------------------------


class Decoder:
    """Incremental decoder for one connection's Socket.IO packets.

    Feed it each Engine.IO MESSAGE in order; it returns the packet once complete, ``None`` while a
    binary packet still waits for attachments. Decoded BINARY_EVENT / BINARY_ACK packets come back
    as EVENT / ACK with the binary values put back in place, as in the reference decoder. After a
    ``ProtocolError`` the connection is to be closed; :meth:`reset` drops any partial packet.
    """

    __slots__ = ("_buffers", "_expected", "_max_attachments", "_pending")

    def __init__(self, max_attachments: int = 10) -> None:
        self._max_attachments = max_attachments
        self._pending: SioPacket | None = None
        self._expected = 0
        self._buffers: list[bytes] = []

    @property
    def waiting_for_attachments(self) -> bool:
        return self._pending is not None

    def reset(self) -> None:
        self._pending = None
        self._expected = 0
        self._buffers = []

    def feed(self, msg: str | bytes) -> SioPacket | None:
        if isinstance(msg, str):
            if self._pending is not None:
                raise ProtocolError("got plaintext data when reconstructing a packet")
            packet, attachments = self._decode_string(msg)
            if packet.type < SioType.BINARY_EVENT:
                return packet
            packet.type = SioType.EVENT if packet.type == SioType.BINARY_EVENT else SioType.ACK
            if attachments == 0:
                packet.data = _reconstruct(packet.data, [])
                return packet
            self._pending = packet
            self._expected = attachments
            self._buffers = []
            return None
        if isinstance(msg, _BINARY):
            pending = self._pending
            if pending is None:
                raise ProtocolError("got binary data when not reconstructing a packet")
            self._buffers.append(bytes(msg))
            if len(self._buffers) < self._expected:
                return None
            buffers = self._buffers
            self.reset()
            pending.data = _reconstruct(pending.data, buffers)
            return pending
        raise ProtocolError(f"unknown message type {type(msg).__name__}")

    def _decode_string(self, s: str) -> tuple[SioPacket, int]:
        n = len(s)
        if n == 0:
            raise ProtocolError("empty packet")
        t = _TYPES.get(s[0])
        if t is None:
            raise ProtocolError(f"unknown packet type {s[0]!r}")
        i = 0  # index of the last character consumed
        attachments = 0
        if t >= SioType.BINARY_EVENT:
            dash = s.find("-", 1)
            if dash == -1 or _DIGITS.fullmatch(s, 1, dash) is None:
                raise ProtocolError("illegal attachments")
            attachments = int(s[1:dash])
            if attachments > self._max_attachments:
                raise ProtocolError("too many attachments")
            i = dash
        nsp = "/"
        if i + 1 < n and s[i + 1] == "/":
            comma = s.find(",", i + 1)
            if comma == -1:
                nsp, i = s[i + 1 :], n
            else:
                nsp, i = s[i + 1 : comma], comma
        ack_id: int | None = None
        m = _DIGITS.match(s, i + 1)
        if m is not None:
            digits = m.group()
            if len(digits) > 16 or (ack_id := int(digits)) > _MAX_ACK_ID:
                raise ProtocolError("invalid ack id")
            i = m.end() - 1
        data: Any = None
        if i + 1 < n:
            try:
                data = orjson.loads(s[i + 1 :])
            except orjson.JSONDecodeError:
                raise ProtocolError("invalid payload") from None
            if not _payload_valid(t, data):
                raise ProtocolError("invalid payload")
        elif t == SioType.EVENT or t == SioType.BINARY_EVENT:
            raise ProtocolError("event without payload")
        return SioPacket(t, nsp, data, ack_id), attachments


def _payload_valid(t: SioType, data: Any) -> bool:
    if t == SioType.EVENT or t == SioType.BINARY_EVENT:
        if type(data) is not list or not data:
            return False
        first = data[0]
        if isinstance(first, str):
            return first not in RESERVED_EVENTS
        return isinstance(first, int | float) and not isinstance(first, bool)
    if t == SioType.ACK or t == SioType.BINARY_ACK:
        return type(data) is list
    if t == SioType.CONNECT:
        return type(data) is dict
    if t == SioType.CONNECT_ERROR:
        return type(data) is dict or type(data) is str
    return False  # DISCONNECT carries no payload


def _reconstruct(data: Any, buffers: list[bytes]) -> Any:
    if type(data) is list:
        return [_reconstruct(v, buffers) for v in data]
    if type(data) is dict:
        if data.get("_placeholder") is True:
            num = data.get("num")
            if type(num) is not int or not 0 <= num < len(buffers):
                raise ProtocolError("illegal attachments")
            return buffers[num]
        return {k: _reconstruct(v, buffers) for k, v in data.items()}
    return data
