"""Engine.IO v4 sessions: handshake, heartbeat, upgrade, close and the per-tick write coalescing.

An :class:`EioSocket` (``eio_socket.py``) is one slotted object per session. Outgoing packets are
appended, already encoded, to the socket (WebSocket frames to ``_out``, polling packets to ``_poll``)
and the socket is put on the server's dirty list; one ``loop.call_soon`` per tick flushes every dirty
socket with a single ``transport.writelines`` (or wakes its pending GET). Heartbeats and timeouts run
from :class:`~storewire.engine.timer.TimerQueue` s shared by all sessions. Transports live in
``polling.py`` (ASGI HTTP), ``websocket.py`` (asyncio protocol) and ``asgi_ws.py`` (ASGI fallback).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

import orjson

from .eio_packets import EioPacket, EioType
from .eio_socket import (
    ACCEPT_AND_CLOSE,
    CLOSED,
    CORK_DELAY,
    CORK_MAX_BYTES,
    POLLING,
    UPGRADING,
    WEBSOCKET,
    EioSocket,
    new_sid,
    poll_encode,
    poll_to_frame,
)
from .handshake import (
    FORBIDDEN,
    SESSION_ID_UNKNOWN,
    Cors,
    RequestInfo,
    check_query,
    parse_headers,
)
from .timer import Timer, TimerQueue, cancel
from .ws_frames import binary_frame, text_frame

if TYPE_CHECKING:
    from .types import ASGIApp
    from .websocket import WsConn

__all__ = ["ACCEPT_AND_CLOSE", "CLOSED", "POLLING", "UPGRADING", "WEBSOCKET", "EioServer", "EioSocket"]

logger = logging.getLogger(__name__)

CLOSE_LINGER = 5.0
"""Seconds a closing WebSocket may take to write what is buffered before it is dropped."""


class EioServer:
    """Engine.IO server: sessions over polling (ASGI) and WebSocket, heartbeat, upgrade, CORS.

    Callbacks are plain functions run inline: ``on_connection(sock)``, ``on_message(sock, data)``,
    ``on_close(sock, reason)``. Times are in seconds. ``flush_delay`` 0 writes at the end of each loop
    tick; a few milliseconds trade that much latency for fewer, larger writes under heavy fan-out.
    ``max_poll_packets`` caps the packets in one polling response (16: what python-engineio's client
    accepts); the rest goes out on the client's next GET.
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
        flush_delay: float = 0.0,
        max_poll_packets: int = 16,
    ) -> None:
        self.path = path if path.endswith("/") else path + "/"
        self.flush_delay = flush_delay
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.max_payload = max_payload
        self.max_buffered_bytes = max_buffered_bytes
        self.max_poll_packets = max_poll_packets
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
        self._linger_q: TimerQueue[WsConn] = TimerQueue(CLOSE_LINGER, lambda conn, _: conn.linger_due())
        self._dirty: list[EioSocket] = []
        self._flush_scheduled = False
        self._shutdown_watch: _ShutdownWatch | None = None
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
        """``cb(sock)`` for each new session (before its first packet)."""
        self._on_connection = cb

    def on_message(self, cb: Callable[[EioSocket, str | bytes], None]) -> None:
        """``cb(sock, data)`` for each ``message`` packet (str, or bytes for binary)."""
        self._on_message = cb

    def on_close(self, cb: Callable[[EioSocket, str], None]) -> None:
        """``cb(sock, reason)`` once per session when it ends."""
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

    def broadcast_packets(self, socks: Iterable[EioSocket], packets: Sequence[str | bytes]) -> int:
        """Queue several Engine.IO packets (``"4..."`` text or raw binary) on every socket, in order.

        Each packet's WebSocket frame and polling encoding are built once; every recipient gets the
        same objects appended (a binary event: the text packet and its attachments).
        """
        frames = [text_frame(p) if isinstance(p, str) else binary_frame(p) for p in packets]
        n = sum(map(len, frames))
        polls: list[str] | None = None
        poll_n = 0
        dirty = self._dirty
        count = 0
        for e in socks:
            if e.state == WEBSOCKET:
                e._out.extend(frames)
                e._out_n += n
                if not e._dirty:
                    e._dirty = True
                    dirty.append(e)
                count += 1
            elif e.state != CLOSED:
                if polls is None:
                    polls = [poll_encode(p) for p in packets]
                    poll_n = sum(map(len, polls))
                assert e._poll is not None
                e._poll.extend(polls)
                e._out_n += poll_n
                if not e._dirty:
                    e._dirty = True
                    dirty.append(e)
                count += 1
        if dirty and not self._flush_scheduled:
            self._schedule_flush()
        return count

    async def shutdown(self) -> None:
        """Close every session (reason ``"server shutting down"``) and stop the timers."""
        self.close_all()

    def close_all(self) -> None:
        """What :meth:`shutdown` does, synchronously: pending polls are answered with close ``"1"``."""
        for sock in list(self.sessions.values()):
            conn = sock.conn if sock.state == WEBSOCKET else None
            # a client that is not reading would hold the shutdown until its linger deadline
            stuck = conn is not None and conn.transport.get_write_buffer_size() > 0
            sock.close("server shutting down", abort=stuck)
        self._flush()
        for q in (self._ping_q, self._pong_q, self._upgrade_q, self._cork_q):
            q.clear()
        self._linger_q.fire_all()  # connections still writing their last bytes: drop them now

    def asgi(self, other: ASGIApp | None = None) -> ASGIApp:
        """ASGI app for this engine's path (polling; WebSocket as a fallback); the rest goes to ``other``."""
        from .asgi import route

        return route([self], other)

    def watch_shutdown(self, connections: set[object]) -> None:
        """Join uvicorn's ``server_state.connections`` so that its graceful shutdown ends sessions.

        uvicorn asks each open connection to ``shutdown()`` and waits for the set to empty before the
        lifespan shutdown (where the application shuts the engine down). An HTTP connection with a
        long-poll pending just finishes its request, which the engine holds up to a ping interval: this
        entry answers the pending polls at once (close ``"1"``), then leaves the set.
        """
        watch = self._shutdown_watch
        if watch is None or watch.connections is not connections:
            self._shutdown_watch = watch = _ShutdownWatch(self, connections)
            connections.add(watch)

    # -- session lifecycle (used by the transports) ------------------------------------------------
    def open_session(self, info: RequestInfo, conn: WsConn | None) -> EioSocket:
        """Create a session (polling if ``conn`` is None) and queue its ``open`` packet."""
        sid = new_sid()
        sock = EioSocket(self, sid, info, conn)
        self.sessions[sid] = sock
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        upgrades = '["websocket"]' if conn is None and "websocket" in self.transports else "[]"
        sock.push(f'0{{"sid":"{sid}","upgrades":{upgrades},{self._handshake_extra}')
        sock._ping_due = self._ping_q.add(sock)
        self._on_connection(sock)
        return sock

    def ws_accept(
        self,
        conn: WsConn,
        query_string: str,
        raw_headers: bytes,
        remote: str,
        headers: dict[str, str] | None = None,
    ) -> int | None:
        """Admit a WebSocket: a new session, or a probe for an upgrade.

        Returns None (accepted), an Engine.IO error code (answer 400/403), or ``ACCEPT_AND_CLOSE``.
        ``headers`` is ``raw_headers`` already parsed, if the caller has it.
        """
        if headers is None:
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
            if sock._pong_due is not None:
                cancel(sock._pong_due)
                sock._pong_due = None
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
            self.probe_lost(sock, conn)
            conn.close(1000)

    def probe_lost(self, sock: EioSocket, conn: WsConn) -> None:
        """The WebSocket probing an upgrade went away or misbehaved: stay on polling."""
        if sock.probe is conn:
            sock.probe = None
            cancel(sock._upgrade_due)
            sock._upgrade_due = None
            if sock.state == UPGRADING:
                sock.state = POLLING

    def _upgrade(self, sock: EioSocket, conn: WsConn) -> None:
        pending = sock._poll or []
        sock._poll = None
        sock.probe = None
        cancel(sock._upgrade_due)
        sock._upgrade_due = None
        sock.conn = conn
        sock.state = WEBSOCKET
        if sock._paused:
            conn.hold(True)
        sock._out = [poll_to_frame(p) for p in pending]
        sock._out_n = sum(map(len, sock._out))
        if sock._waiter is not None and not sock._waiter.done():
            sock._waiter.set_result(None)
        if sock._out and not sock._dirty:
            sock._dirty = True
            self._mark_dirty(sock)

    # -- timers ----------------------------------------------------------------------------------
    def _ping_due(self, sock: EioSocket, entry: Timer) -> None:
        if sock._ping_due is not entry or sock.state == CLOSED:
            return
        sock._ping_due = None
        sock.push("2")
        # counted from the scheduled ping time, so timer lateness does not add up (exact timeout)
        sock._pong_due = self._pong_q.add(sock, entry[0])

    def _pong_due(self, sock: EioSocket, entry: Timer) -> None:
        if sock._pong_due is entry and sock.state != CLOSED:
            # a peer that does not answer is not reading either: drop it, do not wait for a drain
            sock.close("ping timeout", abort=True)

    def _upgrade_due(self, sock: EioSocket, entry: Timer) -> None:
        if sock._upgrade_due is entry and sock.probe is not None:
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
        if self.flush_delay > 0:
            loop.call_later(self.flush_delay, self._flush)
        else:
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
                try:
                    transport.writelines(out)
                except Exception:  # a transport already gone (uvloop raises): its loss is on its way
                    logger.debug("write to a closed transport", exc_info=True)
                    e.close("transport error", abort=True)
                    continue
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


class _ShutdownWatch:
    """An entry of uvicorn's ``server_state.connections`` standing for the engine's polling sessions."""

    __slots__ = ("connections", "engine")

    def __init__(self, engine: EioServer, connections: set[object]) -> None:
        self.engine = engine
        self.connections = connections

    def shutdown(self) -> None:
        self.connections.discard(self)
        self.engine.close_all()
