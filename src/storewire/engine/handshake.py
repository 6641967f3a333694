"""Request checks shared by the polling and WebSocket paths: query, origin/CORS, client address.

Pure functions and small value objects, no I/O. Error codes and messages follow the reference
Engine.IO server so that clients see the same JSON bodies.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import parse_qsl, urlsplit

import orjson

__all__ = [
    "BAD_HANDSHAKE_METHOD",
    "BAD_REQUEST",
    "FORBIDDEN",
    "SESSION_ID_UNKNOWN",
    "TRANSPORT_UNKNOWN",
    "UNSUPPORTED_PROTOCOL_VERSION",
    "Cors",
    "RequestInfo",
    "TrustedProxies",
    "check_query",
    "error_body",
    "forwarded_client",
    "join_headers",
    "parse_headers",
]

TRANSPORT_UNKNOWN = 0
SESSION_ID_UNKNOWN = 1
BAD_HANDSHAKE_METHOD = 2
BAD_REQUEST = 3
FORBIDDEN = 4
UNSUPPORTED_PROTOCOL_VERSION = 5

_MESSAGES = {
    TRANSPORT_UNKNOWN: "Transport unknown",
    SESSION_ID_UNKNOWN: "Session ID unknown",
    BAD_HANDSHAKE_METHOD: "Bad handshake method",
    BAD_REQUEST: "Bad request",
    FORBIDDEN: "Forbidden",
    UNSUPPORTED_PROTOCOL_VERSION: "Unsupported protocol version",
}


def error_body(code: int) -> bytes:
    """The JSON body of an Engine.IO error response."""
    return orjson.dumps({"code": code, "message": _MESSAGES[code]})


class RequestInfo:
    """What a session keeps of its handshake request (raw header block parsed on demand)."""

    __slots__ = ("_raw", "query_string", "remote_addr")

    def __init__(self, raw_headers: bytes, query_string: str, remote_addr: str) -> None:
        self._raw = raw_headers
        self.query_string = query_string
        self.remote_addr = remote_addr

    @property
    def headers(self) -> dict[str, str]:
        return parse_headers(self._raw)

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(self.query_string, keep_blank_values=True))


def parse_headers(raw: bytes) -> dict[str, str]:
    """Parse ``name: value\\r\\n`` lines into a dict with lower-case names (later values win)."""
    out: dict[str, str] = {}
    for line in raw.split(b"\r\n"):
        name, sep, value = line.partition(b":")
        if sep:
            out[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    return out


def join_headers(headers: Iterable[tuple[bytes, bytes]]) -> bytes:
    """Serialise ASGI-style header pairs to the raw block :class:`RequestInfo` keeps."""
    return b"".join(name + b": " + value + b"\r\n" for name, value in headers)


def check_query(query: Mapping[str, str], transport: str, transports: Sequence[str]) -> int | None:
    """Validate ``EIO`` and ``transport``; returns an error code or None."""
    if query.get("EIO") != "4":
        return UNSUPPORTED_PROTOCOL_VERSION if "EIO" in query else BAD_REQUEST
    if query.get("transport") != transport or transport not in transports:
        return TRANSPORT_UNKNOWN
    return None


class Cors:
    """Origin policy: ``None`` = same-origin only, ``["*"]`` = any origin, else the listed origins.

    ``credentials`` applies to listed origins only: the wildcard answers a literal ``*`` without
    ``Access-Control-Allow-Credentials`` (reflecting any origin with credentials would let every site
    make credentialed requests; browsers refuse credentials with ``*``, as the CORS spec intends).
    """

    __slots__ = ("_any", "_credentials", "_origins")

    def __init__(self, origins: Sequence[str] | None, credentials: bool) -> None:
        self._origins = frozenset(o.rstrip("/") for o in origins or ())
        self._any = "*" in self._origins
        self._credentials = credentials

    def allowed(self, origin: str | None, host: str | None) -> bool:
        """Whether a request carrying ``Origin: origin`` may use the engine."""
        if not origin or self._any or origin in self._origins:
            return True
        try:
            return host is not None and urlsplit(origin).netloc == host
        except ValueError:
            return False

    def headers(self, origin: str | None) -> list[tuple[bytes, bytes]]:
        """CORS response headers for an allowed request (none without ``Origin``)."""
        if not origin:
            return []
        if self._any:
            return [(b"access-control-allow-origin", b"*")]
        out = [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin")]
        if self._credentials:
            out.append((b"access-control-allow-credentials", b"true"))
        return out


def _parse_trusted(
    value: str | Sequence[str],
) -> tuple[bool, list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    items = [v.strip() for v in value.split(",")] if isinstance(value, str) else [v.strip() for v in value]
    if "*" in items:
        return True, []
    nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for item in items:
        try:
            nets.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            continue
    return False, nets


class TrustedProxies:
    """Which peers may set ``X-Forwarded-For`` (mirrors uvicorn's ``forwarded_allow_ips``)."""

    __slots__ = ("_all", "_nets")

    def __init__(self, value: str | Sequence[str] | None) -> None:
        self._all, self._nets = _parse_trusted(value or ())

    def __contains__(self, host: str) -> bool:
        if self._all:
            return True
        try:
            addr = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(addr in net for net in self._nets)


def forwarded_client(peer: str, xff: str | None, trusted: TrustedProxies | None) -> str:
    """The client address: the right-most untrusted ``X-Forwarded-For`` hop if ``peer`` is trusted."""
    if not xff or trusted is None or peer not in trusted:
        return peer
    hops = [h.strip() for h in xff.split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop
    return hops[0] if hops else peer
