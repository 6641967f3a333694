"""Engine.IO v4 sessions: handshake, heartbeat, upgrade, close and the per-tick write coalescing.

An :class:`EioSocket` is one slotted object per session. Outgoing packets are appended, already
encoded, to the socket (WebSocket frames to ``_out``, polling packets to ``_poll``) and the socket is
put on the server's dirty list; one ``loop.call_soon`` per tick flushes every dirty socket with a
single ``transport.writelines`` (or wakes its pending GET). Heartbeats and timeouts run from
:class:`~storewire.engine.timer.TimerQueue` s shared by all sessions. Transports live in
``polling.py`` (ASGI HTTP), ``websocket.py`` (asyncio protocol) and ``asgi_ws.py`` (ASGI fallback).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import orjson

from .eio_packets import EioPacket, EioType
from .handshake import (
    FORBIDDEN,
    SESSION_ID_UNKNOWN,
    Cors,
    RequestInfo,
    check_query,
    parse_headers,
)
from .timer import TimerQueue
from .ws_frames import binary_frame, text_frame

if TYPE_CHECKING:
    from .types import ASGIApp
    from .websocket import WsConn

__all__ = ["ACCEPT_AND_CLOSE", "CLOSED", "POLLING", "UPGRADING", "WEBSOCKET", "EioServer", "EioSocket"]

logger = logging.getLogger(__name__)

POLLING, UPGRADING, WEBSOCKET, CLOSED = 0, 1, 2, 3
CORK_DELAY = 0.002  # seconds a namespace CONNECT ack is written ahead of what follows it
CORK_MAX_BYTES = 64 * 1024  # ... unless this much is waiting behind it
ACCEPT_AND_CLOSE = -1  # ws_accept result: complete the WebSocket handshake, then close at once
_STATE_TRANSPORT = ("polling", "polling", "websocket", "websocket")


def _new_sid() -> str:
    return base64.urlsafe_b64encode(os.urandom(15)).decode("ascii")


def poll_encode(data: str | bytes) -> str:
    """Encode an Engine.IO packet for a polling payload (binary as ``b`` + base64)."""
    if isinstance(data, str):
        return data
    return "b" + base64.b64encode(data).decode("ascii")


def poll_to_frame(pkt: str) -> bytes:
    """Turn a buffered polling packet into the WebSocket frame carrying the same packet."""
    if pkt[:1] == "b":
        return binary_frame(base64.b64decode(pkt[1:]))
    return text_frame(pkt)


class EioSocket:
    """One Engine.IO session. ``app`` is free for the layer above (Socket.IO keeps its client there)."""

    __slots__ = (
        "_corked",
        "_dirty",
        "_out",
        "_out_n",
        "_ping_due",
        "_poll",
        "_pong_due",
        "_posting",
        "_upgrade_due",
        "_waiter",
        "app",
        "conn",
        "info",
        "probe",
        "server",
        "sid",
        "state",
    )

    def __init__(self, server: EioServer, sid: str, info: RequestInfo, conn: WsConn | None) -> None:
        self.server = server
        self.sid = sid
        self.info = info
        self.conn = conn
        self.probe: WsConn | None = None
        self.state = WEBSOCKET if conn is not None else POLLING
        self.app: Any = None
        self._out: list[bytes] = []
        self._out_n = 0
        self._dirty = False
        self._corked = False
        self._poll: list[str] | None = None if conn is not None else []
        self._waiter: asyncio.Future[None] | None = None
        self._posting = False
        self._ping_due = 0.0
        self._pong_due = 0.0
        self._upgrade_due = 0.0

    @property
    def transport(self) -> str:
        """``"polling"`` or ``"websocket"``: the transport currently carrying the session."""
        return _STATE_TRANSPORT[self.state]

    @property
    def closed(self) -> bool:
        return self.state == CLOSED

    def send(self, data: str | bytes) -> None:
        """Queue an Engine.IO ``message`` packet (text or binary); written at the end of the tick."""
        self.push("4" + data if isinstance(data, str) else data)

    def push(self, pkt: str | bytes) -> None:
        """Queue one encoded Engine.IO packet (``"4..."`` text, or raw bytes for a binary message)."""
        state = self.state
        if state == WEBSOCKET:
            frame = text_frame(pkt) if isinstance(pkt, str) else binary_frame(pkt)
            self._out.append(frame)
            self._out_n += len(frame)
        elif state != CLOSED:
            enc = poll_encode(pkt)
            assert self._poll is not None
            self._poll.append(enc)
            self._out_n += len(enc)
        else:
            return
        if not self._dirty:
            self._dirty = True
            self.server._mark_dirty(self)

    def close(self, reason: str = "forced close", *, final: str = "1", abort: bool = False) -> None:
        """Close the session; a pending poll receives ``final`` (close ``"1"`` or noop ``"6"``)."""
        state = self.state
        if state == CLOSED:
            return
        server = self.server
        if state == WEBSOCKET:
            conn = self.conn
            assert conn is not None
            if abort:
                conn.abort()
            else:
                if self._out:
                    conn.transport.writelines(self._out)
                conn.close(1000)
            self._out = []
        else:
            assert self._poll is not None
            self._poll.append(final)
            if self._waiter is not None and not self._waiter.done():
                self._waiter.set_result(None)
            if self.probe is not None:
                self.probe.close(1000)
                self.probe = None
        self.state = CLOSED
        self._out_n = 0
        self._ping_due = self._pong_due = self._upgrade_due = 0.0
        if server.sessions.get(self.sid) is self:
            del server.sessions[self.sid]
        server._closed(self, reason)

    def write_now_then_cork(self) -> None:
        """Write what is queued at once, then hold further writes until a later loop iteration.

        Used for a namespace CONNECT ack: packets the connect handler emitted leave in a separate write
        ``CORK_DELAY`` later, like the reference server, whose write callback delays them: some clients
        (the official test suite's) drop a second frame parsed from the same read as the CONNECT ack.
        """
        if self.state != WEBSOCKET or self._corked:
            return
        conn = self.conn
        assert conn is not None
        if self._out:
            conn.transport.writelines(self._out)
            self._out.clear()
            self._out_n = 0
        self._corked = True
        self.server._cork_q.add(self)

    def _uncork(self) -> None:
        self._corked = False
        if self._out and self.state == WEBSOCKET and not self._dirty:
            self._dirty = True
            self.server._mark_dirty(self)

    # -- polling side -------------------------------------------------------------------------
    def take_poll(self) -> str:
        """Drain the polling buffer into one payload (``\\x1e``-separated)."""
        buf = self._poll
        if not buf:
            return ""
        self._poll = [] if self.state != CLOSED else None
        self._out_n = 0
        return "\x1e".join(buf)


class EioServer:
    """Engine.IO server: sessions over polling (ASGI) and WebSocket, heartbeat, upgrade, CORS.

    Callbacks are plain functions run inline: ``on_connection(sock)``, ``on_message(sock, data)``,
    ``on_close(sock, reason)``. Times are in seconds.
    """

    def __init__(
        self,
        *,
        path: str = "/engine.io/",
        ping_interval: float = 25.0,
        ping_timeout: float = 20.0,
        max_payload: int = 1_000_000,
        cors_origins: Sequence[str] | None = None,
        cors_credentials: bool = True,
        max_buffered_bytes: int = 8 * 1024 * 1024,
        transports: Sequence[str] = ("polling", "websocket"),
        upgrade_timeout: float = 10.0,
    ) -> None:
        self.path = path if path.endswith("/") else path + "/"
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.max_payload = max_payload
        self.max_buffered_bytes = max_buffered_bytes
        self.transports = tuple(transports)
        self.cors = Cors(cors_origins, cors_credentials)
        self.sessions: dict[str, EioSocket] = {}
        self._on_connection: Callable[[EioSocket], None] = lambda sock: None
        self._on_message: Callable[[EioSocket, str | bytes], None] = lambda sock, data: None
        self._on_close: Callable[[EioSocket, str], None] = lambda sock, reason: None
        self._ping_q: TimerQueue[EioSocket] = TimerQueue(ping_interval, self._ping_due)
        self._pong_q: TimerQueue[EioSocket] = TimerQueue(ping_timeout, self._pong_due)
        self._upgrade_q: TimerQueue[EioSocket] = TimerQueue(upgrade_timeout, self._upgrade_due)
        self._cork_q: TimerQueue[EioSocket] = TimerQueue(CORK_DELAY, lambda sock, _: sock._uncork())
        self._dirty: list[EioSocket] = []
        self._flush_scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handshake_extra = orjson.dumps(
            {
                "pingInterval": round(ping_interval * 1000),
                "pingTimeout": round(ping_timeout * 1000),
                "maxPayload": max_payload,
            }
        )[1:].decode()

    # -- application API -------------------------------------------------------------------------
    def on_connection(self, cb: Callable[[EioSocket], None]) -> None:
        self._on_connection = cb

    def on_message(self, cb: Callable[[EioSocket, str | bytes], None]) -> None:
        self._on_message = cb

    def on_close(self, cb: Callable[[EioSocket, str], None]) -> None:
        self._on_close = cb

    def broadcast(self, socks: Iterable[EioSocket], frame: bytes, payload: bytes) -> int:
        """Queue one pre-built text ``frame`` of the UTF-8 Engine.IO packet ``payload`` on every socket.

        WebSocket sessions get the same bytes object appended; polling sessions the decoded packet.
        """
        n = len(frame)
        pkt: str | None = None
        dirty = self._dirty
        count = 0
        for e in socks:
            if e.state == WEBSOCKET:
                e._out.append(frame)
                e._out_n += n
                if not e._dirty:
                    e._dirty = True
                    dirty.append(e)
                count += 1
            elif e.state != CLOSED:
                if pkt is None:
                    pkt = payload.decode()
                e.push(pkt)
                count += 1
        if dirty and not self._flush_scheduled:
            self._schedule_flush()
        return count

    async def shutdown(self) -> None:
        """Close every session (reason ``"server shutting down"``) and stop the timers."""
        for sock in list(self.sessions.values()):
            sock.close("server shutting down")
        self._flush()
        for q in (self._ping_q, self._pong_q, self._upgrade_q, self._cork_q):
            q.clear()

    def asgi(self, other: ASGIApp | None = None) -> ASGIApp:
        """ASGI app for this engine's path (polling; WebSocket as a fallback); the rest goes to ``other``."""
        from .asgi import route

        return route([self], other)

    # -- session lifecycle (used by the transports) ------------------------------------------------
    def open_session(self, info: RequestInfo, conn: WsConn | None) -> EioSocket:
        sid = _new_sid()
        sock = EioSocket(self, sid, info, conn)
        self.sessions[sid] = sock
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        upgrades = '["websocket"]' if conn is None and "websocket" in self.transports else "[]"
        sock.push(f'0{{"sid":"{sid}","upgrades":{upgrades},{self._handshake_extra}')
        sock._ping_due = self._ping_q.add(sock)
        self._on_connection(sock)
        return sock

    def ws_accept(self, conn: WsConn, query_string: str, raw_headers: bytes, remote: str) -> int | None:
        """Admit a WebSocket: a new session, or a probe for an upgrade.

        Returns None (accepted), an Engine.IO error code (answer 400/403), or ``ACCEPT_AND_CLOSE``.
        """
        headers = parse_headers(raw_headers)
        query = dict(parse_qsl(query_string, keep_blank_values=True))
        if not self.cors.allowed(headers.get("origin"), headers.get("host")):
            return FORBIDDEN
        err = check_query(query, "websocket", self.transports)
        if err is not None:
            return err
        sid = query.get("sid")
        if sid is None:
            conn.sock = self.open_session(RequestInfo(raw_headers, query_string, remote), conn)
            return None
        sock = self.sessions.get(sid)
        if sock is None:
            return SESSION_ID_UNKNOWN
        if sock.state != POLLING or sock.probe is not None:
            return ACCEPT_AND_CLOSE  # as the reference: a second WebSocket is accepted, then closed
        sock.probe = conn
        conn.sock = sock
        sock._upgrade_due = self._upgrade_q.add(sock)
        return None

    def on_packet(self, sock: EioSocket, pkt: EioPacket) -> None:
        """A packet from the client over the session's current transport."""
        t = pkt.type
        if t == EioType.MESSAGE:
            try:
                self._on_message(sock, pkt.data)
            except Exception:
                logger.exception("on_message callback failed")
                sock.close("server error")
        elif t == EioType.PONG:
            if sock._pong_due:
                sock._pong_due = 0.0
                sock._ping_due = self._ping_q.add(sock)
        elif t == EioType.CLOSE:
            sock.close("transport close", final="6")
        elif t == EioType.PING:
            sock.push("3" + (pkt.data if isinstance(pkt.data, str) else ""))
        # OPEN / UPGRADE / NOOP from a client on the current transport are ignored, as in the reference.

    def on_probe_packet(self, sock: EioSocket, conn: WsConn, pkt: EioPacket) -> None:
        """A packet on the WebSocket being probed for an upgrade from polling."""
        if sock.probe is not conn:
            conn.close(1000)
            return
        if pkt.type == EioType.PING and pkt.data == "probe" and sock.state == POLLING:
            conn.transport.write(text_frame("3probe"))
            sock.state = UPGRADING
            if sock._waiter is not None:
                sock.push("6")  # ends the pending GET so the client can pause polling
        elif pkt.type == EioType.UPGRADE and sock.state == UPGRADING:
            self._upgrade(sock, conn)
        else:
            sock.probe = None
            sock._upgrade_due = 0.0
            if sock.state == UPGRADING:
                sock.state = POLLING
            conn.close(1000)

    def probe_lost(self, sock: EioSocket, conn: WsConn) -> None:
        if sock.probe is conn:
            sock.probe = None
            sock._upgrade_due = 0.0
            if sock.state == UPGRADING:
                sock.state = POLLING

    def _upgrade(self, sock: EioSocket, conn: WsConn) -> None:
        pending = sock._poll or []
        sock._poll = None
        sock.probe = None
        sock._upgrade_due = 0.0
        sock.conn = conn
        sock.state = WEBSOCKET
        sock._out = [poll_to_frame(p) for p in pending]
        sock._out_n = sum(map(len, sock._out))
        if sock._waiter is not None and not sock._waiter.done():
            sock._waiter.set_result(None)
        if sock._out and not sock._dirty:
            sock._dirty = True
            self._mark_dirty(sock)

    # -- timers ----------------------------------------------------------------------------------
    def _ping_due(self, sock: EioSocket, deadline: float) -> None:
        if sock._ping_due != deadline or sock.state == CLOSED:
            return
        sock._ping_due = 0.0
        sock.push("2")
        sock._pong_due = self._pong_q.add(sock)

    def _pong_due(self, sock: EioSocket, deadline: float) -> None:
        if sock._pong_due == deadline and sock.state != CLOSED:
            sock.close("ping timeout")

    def _upgrade_due(self, sock: EioSocket, deadline: float) -> None:
        if sock._upgrade_due == deadline and sock.probe is not None:
            probe = sock.probe
            self.probe_lost(sock, probe)
            probe.close(1000)

    # -- write coalescing ---------------------------------------------------------------------------
    def _mark_dirty(self, sock: EioSocket) -> None:
        self._dirty.append(sock)
        if not self._flush_scheduled:
            self._schedule_flush()

    def _schedule_flush(self) -> None:
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        self._flush_scheduled = True
        loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        dirty = self._dirty
        if not dirty:
            return
        self._dirty = []
        limit = self.max_buffered_bytes
        for e in dirty:
            e._dirty = False
            if e._corked:
                if e._out_n < CORK_MAX_BYTES:
                    continue
                e._corked = False  # a burst right after connect: stop holding, write as usual
            state = e.state
            if state == WEBSOCKET:
                out = e._out
                if not out:
                    continue
                transport = e.conn.transport  # type: ignore[union-attr]
                transport.writelines(out)
                out.clear()
                e._out_n = 0
                if transport.get_write_buffer_size() > limit:
                    e.close("slow consumer", abort=True)
            elif state != CLOSED:
                waiter = e._waiter
                if waiter is not None and not waiter.done():
                    waiter.set_result(None)
                elif e._out_n > limit:
                    e.close("slow consumer")

    def _closed(self, sock: EioSocket, reason: str) -> None:
        try:
            self._on_close(sock, reason)
        except Exception:
            logger.exception("on_close callback failed")
