"""HTTP long-polling over ASGI: handshake, GET (one pending per session), POST, CORS preflight."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import parse_qsl

from .eio_packets import decode_payload
from .eio_server import EioServer
from .eio_socket import CLOSED, POLLING, UPGRADING, EioSocket
from .errors import ProtocolError
from .handshake import (
    BAD_HANDSHAKE_METHOD,
    BAD_REQUEST,
    FORBIDDEN,
    SESSION_ID_UNKNOWN,
    RequestInfo,
    check_query,
    error_body,
    join_headers,
)
from .types import Receive, Scope, Send

__all__ = ["handle_http"]

logger = logging.getLogger(__name__)

_TEXT = (b"content-type", b"text/plain; charset=UTF-8")
_JSON = (b"content-type", b"application/json")
_Headers = list[tuple[bytes, bytes]]


async def _respond(send: Send, status: int, body: bytes, headers: _Headers) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _error(send: Send, status: int, code: int, cors: _Headers) -> None:
    await _respond(send, status, error_body(code), [_JSON, *cors])


def _server_connections(receive: Receive) -> set[object] | None:
    """uvicorn's ``server_state.connections``, reached from the request's ``receive`` (None elsewhere).

    ``receive`` is a bound method of uvicorn's request cycle, whose transport's protocol holds the
    server state: not public API, like the ``ws`` hook (pyproject pins uvicorn's range).
    """
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    get_protocol = getattr(transport, "get_protocol", None)
    if get_protocol is None:
        return None
    connections = getattr(getattr(get_protocol(), "server_state", None), "connections", None)
    return connections if isinstance(connections, set) else None


async def handle_http(engine: EioServer, scope: Scope, receive: Receive, send: Send) -> None:
    """Serve one polling request for ``engine``."""
    connections = _server_connections(receive)
    if connections is not None:
        engine.watch_shutdown(connections)
    raw = scope.get("headers") or []
    # X-Forwarded-For: the ASGI server's proxy-headers middleware already resolved scope["client"]
    origin = host = acrh = None
    for name, value in raw:
        if name == b"origin":
            origin = value.decode("latin-1")
        elif name == b"host":
            host = value.decode("latin-1")
        elif name == b"access-control-request-headers":
            acrh = value
    if not engine.cors.allowed(origin, host):
        await _error(send, 403, FORBIDDEN, [])
        return
    cors = engine.cors.headers(origin)
    method = scope["method"]
    if method == "OPTIONS":
        pre = [*cors, (b"access-control-allow-methods", b"GET, POST, OPTIONS")]
        if acrh:
            pre.append((b"access-control-allow-headers", acrh))
        pre.append((b"access-control-max-age", b"86400"))
        await _respond(send, 204, b"", pre)
        return
    query_string = scope.get("query_string", b"").decode("latin-1")
    query = dict(parse_qsl(query_string, keep_blank_values=True))
    err = check_query(query, "polling", engine.transports)
    if err is not None:
        await _error(send, 400, err, cors)
        return
    sid = query.get("sid")
    if sid is None:
        if method != "GET":
            await _error(send, 400, BAD_HANDSHAKE_METHOD, cors)
            return
        client = scope.get("client")
        info = RequestInfo(join_headers(raw), query_string, client[0] if client else "")
        opened = engine.open_session(info, None)
        await _respond(send, 200, opened.take_poll().encode(), [_TEXT, *cors])
        return
    sock = engine.sessions.get(sid)
    pong_due = sock._pong_due if sock is not None else None
    if sock is not None and pong_due is not None and asyncio.get_running_loop().time() >= pong_due[0]:
        sock.close("ping timeout")  # the deadline passed; its timer just has not run yet
        sock = None
    if sock is None:
        await _error(send, 400, SESSION_ID_UNKNOWN, cors)
        return
    if sock.state not in (POLLING, UPGRADING):
        await _error(send, 400, BAD_REQUEST, cors)
        return
    if method == "GET":
        await _get(sock, receive, send, cors)
    elif method == "POST":
        await _post(engine, sock, receive, send, cors)
    else:
        await _error(send, 400, BAD_REQUEST, cors)


async def _get(sock: EioSocket, receive: Receive, send: Send, cors: _Headers) -> None:
    if sock._waiter is not None:
        # A second concurrent GET: the spec's test suite expects 400 and the session closed.
        sock.close("transport error", final="1")
        await _error(send, 400, BAD_REQUEST, cors)
        return
    if sock.state == UPGRADING and not sock._poll:
        sock.push("6")  # the client is pausing polling for an upgrade: answer at once
    if not sock._poll:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        sock._waiter = waiter
        try:
            await receive()  # the (empty) request body
            if not waiter.done():
                gone = asyncio.ensure_future(receive())
                try:
                    await asyncio.wait((waiter, gone), return_when=asyncio.FIRST_COMPLETED)
                finally:
                    if not gone.done():
                        gone.cancel()
        finally:
            if sock._waiter is waiter:
                sock._waiter = None
        if not waiter.done():
            # The client went away with its poll pending (cancelled request): the session ends.
            sock.close("transport close")
            return
    body = sock.take_poll()
    if not body and sock.state != CLOSED:
        body = "6"
    await _respond(send, 200, body.encode(), [_TEXT, *cors])


async def _post(engine: EioServer, sock: EioSocket, receive: Receive, send: Send, cors: _Headers) -> None:
    if sock._posting:
        sock.close("transport error")
        await _error(send, 400, BAD_REQUEST, cors)
        return
    sock._posting = True
    try:
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            msg = await receive()
            if msg["type"] != "http.request":
                sock.close("transport close")
                return
            chunk = msg.get("body", b"")
            size += len(chunk)
            if size > engine.max_payload:
                sock.close("transport error")
                await _respond(send, 413, b"", cors)
                return
            chunks.append(chunk)
            more = msg.get("more_body", False)
    finally:
        sock._posting = False
    if sock.state == CLOSED:
        await _error(send, 400, SESSION_ID_UNKNOWN, cors)
        return
    try:
        packets = decode_payload(b"".join(chunks).decode("utf-8"))
    except (ProtocolError, UnicodeDecodeError):
        sock.close("parse error")
        await _error(send, 400, BAD_REQUEST, cors)
        return
    for pkt in packets:
        if sock._paused:  # the application is saturated: the answer (and the next POST) waits
            await sock.wait_resumed()
        if sock.state == CLOSED:
            break
        engine.on_packet(sock, pkt)
    await _respond(send, 200, b"ok", [_TEXT, *cors])
