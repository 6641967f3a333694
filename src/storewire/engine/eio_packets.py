"""Engine.IO v4 packets: encoding and decoding, with no I/O.

A packet is a type digit followed by its data (``"4hello"``, ``"2probe"``, ``"3"``). Over WebSocket
each packet is one frame, and a binary MESSAGE is the raw bytes of a binary frame with no type
prefix. Over HTTP long-polling a payload is packets joined by the record separator ``"\\x1e"``, a
binary MESSAGE written as ``"b"`` + base64.

Decoding follows the reference ``engine.io-parser`` (v5, protocol 4): a string starting with ``b``
is a base64 binary MESSAGE, any other string must start with a type digit ``0``-``6``, the empty
string is an error, and one bad packet makes the whole polling payload bad. Two deliberate
differences, both stricter: base64 must be well-formed (Node's decoder silently drops bad
characters), and nothing here ever returns an "error" packet: bad input raises
:class:`~storewire.engine.errors.ProtocolError`.
"""

from __future__ import annotations

import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from .errors import ProtocolError

__all__ = [
    "SEPARATOR",
    "EioPacket",
    "EioType",
    "decode_payload",
    "decode_ws",
    "encode_payload",
    "encode_ws",
]

SEPARATOR = "\x1e"


class EioType(IntEnum):
    OPEN = 0
    CLOSE = 1
    PING = 2
    PONG = 3
    MESSAGE = 4
    UPGRADE = 5
    NOOP = 6


@dataclass(slots=True, frozen=True)
class EioPacket:
    """One Engine.IO packet. ``data`` is ``bytes`` only for a binary MESSAGE."""

    type: EioType
    data: str | bytes = ""


_TYPE_OF_CHAR: dict[str, EioType] = {str(int(t)): t for t in EioType}
_CHAR_OF_TYPE: dict[EioType, str] = {t: c for c, t in _TYPE_OF_CHAR.items()}
# Data-less packets are immutable: share one instance of each instead of allocating per packet.
_BARE: dict[str, EioPacket] = {c: EioPacket(t) for c, t in _TYPE_OF_CHAR.items()}


def encode_ws(p: EioPacket) -> str | bytes:
    """Encode ``p`` as the content of one WebSocket frame: ``str`` for a text frame, ``bytes`` for binary."""
    data = p.data
    if isinstance(data, str):
        return _CHAR_OF_TYPE[p.type] + data
    _check_binary(p)
    return data


def decode_ws(msg: str | bytes) -> EioPacket:
    """Decode the content of one WebSocket frame. Raises ``ProtocolError`` on a malformed packet."""
    if isinstance(msg, str):
        return _decode_text(msg)
    if isinstance(msg, bytes | bytearray | memoryview):
        return EioPacket(EioType.MESSAGE, bytes(msg))
    raise ProtocolError(f"unsupported frame content {type(msg).__name__}")


def encode_payload(packets: Sequence[EioPacket]) -> str:
    """Encode ``packets`` as one HTTP long-polling body.

    Text data is sent as is: a caller that puts ``"\\x1e"`` inside a text packet breaks the framing
    (Socket.IO's JSON never contains one raw; it is escaped as ``\\u001e``).
    """
    parts: list[str] = []
    for p in packets:
        data = p.data
        if isinstance(data, str):
            parts.append(_CHAR_OF_TYPE[p.type] + data)
        else:
            _check_binary(p)
            parts.append("b" + binascii.b2a_base64(data, newline=False).decode("ascii"))
    return SEPARATOR.join(parts)


def decode_payload(body: str) -> list[EioPacket]:
    """Decode an HTTP long-polling body. Raises ``ProtocolError`` if any packet in it is malformed."""
    if SEPARATOR not in body:
        return [_decode_text(body)]
    return [_decode_text(part) for part in body.split(SEPARATOR)]


def _decode_text(s: str) -> EioPacket:
    if len(s) == 1:
        bare = _BARE.get(s)
        if bare is not None:
            return bare
    if not s:
        raise ProtocolError("empty packet")
    head = s[0]
    if head == "b":
        try:
            return EioPacket(EioType.MESSAGE, binascii.a2b_base64(s[1:], strict_mode=True))
        except (binascii.Error, ValueError) as exc:
            raise ProtocolError(f"invalid base64 in binary packet: {exc}") from None
    t = _TYPE_OF_CHAR.get(head)
    if t is None:
        raise ProtocolError(f"unknown packet type {head!r}")
    return EioPacket(t, s[1:])


def _check_binary(p: EioPacket) -> None:
    if p.type is not EioType.MESSAGE:
        raise ValueError(f"only a MESSAGE packet can carry binary data, not {p.type.name}")
    if not isinstance(p.data, bytes):
        raise TypeError(f"packet data must be str or bytes, not {type(p.data).__name__}")
