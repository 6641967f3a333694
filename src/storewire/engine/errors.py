"""Errors raised by the engine's pure protocol layer on malformed input from a peer.

    ValueError
    └── ProtocolError          bad Engine.IO / Socket.IO packet: the runtime closes the connection
        └── WsProtocolError    bad WebSocket frame: the runtime sends a close frame with ``close_code``

The pure modules raise nothing else on bad *input*; programming errors (encoding an unsupported
value, a packet that cannot exist) stay ``TypeError`` / ``ValueError``.
"""

from __future__ import annotations

__all__ = ["ProtocolError", "WsProtocolError"]


class ProtocolError(ValueError):
    """The peer sent something the protocol does not allow; the connection must be closed."""


class WsProtocolError(ProtocolError):
    """A WebSocket framing error, carrying the RFC 6455 close code to send before closing.

    1002 protocol error, 1007 invalid payload data (bad UTF-8), 1009 message too big.
    """

    def __init__(self, close_code: int, reason: str = "") -> None:
        super().__init__(f"{close_code}: {reason}" if reason else str(close_code))
        self.close_code = close_code
        self.reason = reason
