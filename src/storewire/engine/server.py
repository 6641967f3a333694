"""Socket.IO v5 server on top of :class:`EioServer`: namespaces, rooms, events, acks, fan-out.

``emit`` encodes the event once (orjson), builds its WebSocket frame once and hands the same bytes
to every recipient (``EioServer.broadcast``); sockets are flushed once per loop tick. Handlers are
coroutines run in tasks; an exception in one is logged and never reaches the connection. A client
with ``MAX_HANDLERS`` event handlers in flight is not read from until half of them have finished.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Iterable, Sequence
from typing import Any

from .eio_server import EioServer
from .eio_socket import EioSocket, new_sid
from .errors import ProtocolError
from .namespaces import ConnectHandler, DisconnectHandler, EventHandler, Namespace
from .sio_packets import Decoder, SioPacket, SioType, encode, encode_event_bytes
from .sockets import Client, ConnectionRefused, Socket
from .timer import Timer, TimerQueue, cancel
from .types import ASGIApp
from .ws_frames import text_frame

__all__ = ["ConnectHandler", "DisconnectHandler", "EventHandler", "Server"]

logger = logging.getLogger(__name__)

MAX_HANDLERS = 128
"""Event handlers one client may have in flight; above it the engine stops reading from the client."""


class Server:
    """Socket.IO server. Times are in seconds; see the module docstring for the send path.

    ``flush_delay`` (extra, default 0): see :class:`EioServer`; 0 = flush once per loop tick.
    """

    def __init__(
        self,
        *,
        path: str = "/socket.io/",
        ping_interval: float = 25.0,
        ping_timeout: float = 20.0,
        max_payload: int = 1_000_000,
        connect_timeout: float = 45.0,
        cors_origins: Sequence[str] | None = None,
        cors_credentials: bool = True,
        max_buffered_bytes: int = 8 * 1024 * 1024,
        transports: Sequence[str] = ("polling", "websocket"),
        flush_delay: float = 0.0,
    ) -> None:
        self.engine = EioServer(
            path=path,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            max_payload=max_payload,
            cors_origins=cors_origins,
            cors_credentials=cors_credentials,
            max_buffered_bytes=max_buffered_bytes,
            transports=transports,
            flush_delay=flush_delay,
        )
        self.engine.on_connection(self._eio_connection)
        self.engine.on_message(self._eio_message)
        self.engine.on_close(self._eio_close)
        self._nsps: dict[str, Namespace] = {}
        self._connect_q: TimerQueue[Client] = TimerQueue(connect_timeout, self._connect_due)
        self._tasks: set[asyncio.Task[None]] = set()
        self._decoder = Decoder()

    # -- handlers ----------------------------------------------------------------------------------
    def _ns(self, nsp: str) -> Namespace:
        ns = self._nsps.get(nsp)
        if ns is None:
            ns = self._nsps[nsp] = Namespace()
        return ns

    def on_connect(self, handler: ConnectHandler, nsp: str = "/") -> None:
        """``handler(socket, auth)``; raise :class:`ConnectionRefused` to refuse. Declares ``nsp``."""
        self._ns(nsp).on_connect = handler

    def on_event(self, handler: EventHandler, nsp: str = "/") -> None:
        """``handler(socket, event, args)``; its return value answers an ack (list/tuple = args)."""
        self._ns(nsp).on_event = handler

    def on_disconnect(self, handler: DisconnectHandler, nsp: str = "/") -> None:
        """``handler(socket, reason)``."""
        self._ns(nsp).on_disconnect = handler

    # -- sending -----------------------------------------------------------------------------------
    def emit(
        self,
        event: str,
        *args: Any,
        rooms: str | Iterable[str] | None = None,
        exclude_sid: str | None = None,
        nsp: str = "/",
    ) -> int:
        """Send to every socket of ``nsp`` (or of ``rooms``, de-duplicated); returns the recipient count.

        Sockets are written in the order of ``rooms`` (a socket in several, at its first): a caller that
        lists its small, personal rooms first gets them served before a crowd room's thousands.
        """
        ns = self._nsps.get(nsp)
        if ns is None:
            return 0
        targets: Iterable[Socket]
        if rooms is None:
            targets = ns.sockets.values()
        elif isinstance(rooms, str):
            targets = ns.members(rooms)
        else:
            merged: dict[Socket, None] = {}
            for room in rooms:
                merged.update(dict.fromkeys(ns.members(room)))
            targets = merged
        if exclude_sid is None:
            socks = [s.eio for s in targets]
        else:
            socks = [s.eio for s in targets if s.sid != exclude_sid]
        if not socks:
            return 0
        try:
            payload = b"4" + encode_event_bytes(event, args, nsp)
        except TypeError:  # binary attachments: several packets per event, each still encoded once
            parts = encode(SioPacket(SioType.EVENT, nsp, [event, *args]))
            packets = ["4" + part if isinstance(part, str) else part for part in parts]
            return self.engine.broadcast_packets(socks, packets)
        return self.engine.broadcast(socks, text_frame(payload), payload)

    def emit_to(self, sid: str, event: str, *args: Any, nsp: str = "/") -> bool:
        """Send an event to one socket; False if it is not connected."""
        sock = self._lookup(sid, nsp)
        if sock is None:
            return False
        self._send(sock, SioPacket(SioType.EVENT, nsp, [event, *args]))
        return True

    async def call(
        self,
        sid: str,
        event: str,
        *args: Any,
        timeout: float,  # noqa: ASYNC109 - the contract's signature
        nsp: str = "/",
    ) -> list[Any]:
        """Emit with an ack request and wait for the client's answer; raises ``TimeoutError``.

        Also raises ``TimeoutError`` if the socket is unknown or disconnects before answering.
        """
        sock = self._lookup(sid, nsp)
        if sock is None:
            raise TimeoutError(f"socket {sid} is not connected")
        ack_id = sock._ack_seq
        sock._ack_seq += 1
        fut: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        if sock._acks is None:
            sock._acks = {}
        sock._acks[ack_id] = fut
        self._send(sock, SioPacket(SioType.EVENT, nsp, [event, *args], ack_id))
        try:
            return await asyncio.wait_for(fut, timeout)
        finally:
            if sock._acks is not None:
                sock._acks.pop(ack_id, None)

    def _send(self, sock: Socket, packet: SioPacket) -> None:
        parts = encode(packet)
        if sock._early is not None:
            sock._early.extend(parts)
            return
        eio = sock.eio
        for part in parts:
            eio.push("4" + part if isinstance(part, str) else part)

    # -- rooms ---------------------------------------------------------------------------------------
    def _lookup(self, sid: str, nsp: str) -> Socket | None:
        ns = self._nsps.get(nsp)
        return ns.lookup(sid) if ns is not None else None

    def get_socket(self, sid: str, nsp: str = "/") -> Socket | None:
        """The socket ``sid`` of ``nsp`` (connected, or with its connect handler running), if any."""
        return self._lookup(sid, nsp)

    def enter_room(self, sid: str, room: str, nsp: str = "/") -> None:
        """Add a socket to ``room`` (from a connect handler: in place before the CONNECT ack)."""
        sock = self._lookup(sid, nsp)
        if sock is None or room == sid:
            return
        if sock._rooms is None:
            sock._rooms = set()
        sock._rooms.add(room)
        if sock.connected:
            self._nsps[nsp].index(sock, room)

    def leave_room(self, sid: str, room: str, nsp: str = "/") -> None:
        """Remove a socket from ``room`` (its own sid room cannot be left)."""
        sock = self._lookup(sid, nsp)
        if sock is None or not sock._rooms or room not in sock._rooms:
            return
        sock._rooms.discard(room)
        self._nsps[nsp].unindex(sock, room)

    def pending_bytes(self, sid: str, nsp: str = "/") -> int | None:
        """Bytes queued for a socket and not yet taken by the network (its Engine.IO session's), or
        ``None`` if it is not connected: a sender of a long stream waits for this to fall."""
        sock = self._lookup(sid, nsp)
        if sock is None or sock.eio.closed:
            return None
        return sock.eio.pending_bytes

    def room_size(self, room: str, nsp: str = "/") -> int:
        """How many connected sockets of ``nsp`` are in ``room``."""
        ns = self._nsps.get(nsp)
        if ns is None:
            return 0
        members = ns.rooms.get(room)
        if members is not None:
            return len(members)
        return 1 if room in ns.sockets else 0

    def disconnect(self, sid: str, nsp: str = "/", reason: str = "server namespace disconnect") -> None:
        """Disconnect a socket from ``nsp`` (the Engine.IO connection stays open)."""
        sock = self._lookup(sid, nsp)
        if sock is None:
            return
        if sock.connected:
            self._send(sock, SioPacket(SioType.DISCONNECT, nsp))
        self._remove(sock, reason)

    # -- lifecycle ---------------------------------------------------------------------------------
    async def start(self) -> None:
        """Nothing to start: timers arm themselves on first use. Kept for symmetry with shutdown."""

    async def shutdown(self) -> None:
        """Close every connection and wait briefly for the disconnect handlers."""
        await self.engine.shutdown()
        self._connect_q.clear()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5.0)

    def asgi(self, other: ASGIApp | None = None) -> ASGIApp:
        """ASGI app: polling (and the WebSocket fallback) under ``path``; everything else to ``other``."""
        return self.engine.asgi(other)

    def uvicorn_ws_protocol(
        self, fallback: str | type[asyncio.Protocol] | None = None
    ) -> type[asyncio.Protocol]:
        """Class for ``uvicorn.Config(ws=...)``: engine WebSockets bypass ASGI, other paths use uvicorn's."""
        from .uvicorn_ws import make_ws_protocol

        return make_ws_protocol([self.engine], fallback)

    # -- Engine.IO callbacks -------------------------------------------------------------------------
    def _eio_connection(self, eio: EioSocket) -> None:
        client = Client(eio)
        eio.app = client
        client.connect_due = self._connect_q.add(client)

    def _connect_due(self, client: Client, entry: Timer) -> None:
        if client.connect_due is entry and not client.sockets:
            client.eio.close("connect timeout", abort=True)

    def _eio_close(self, eio: EioSocket, reason: str) -> None:
        client: Client | None = eio.app
        if client is None:
            return
        cancel(client.connect_due)
        client.connect_due = None
        for sock in list(client.sockets.values()):
            self._remove(sock, reason)

    def _eio_message(self, eio: EioSocket, data: str | bytes) -> None:
        client: Client = eio.app
        # A decoder holds state only while a binary packet waits for its attachments: clients share
        # one and get their own only for that time (saves a Decoder per idle connection).
        decoder = client.decoder or self._decoder
        try:
            packet = decoder.feed(data)
        except ProtocolError:
            decoder.reset()
            eio.close("parse error")
            return
        if packet is None:
            if client.decoder is None:
                client.decoder = decoder
                self._decoder = Decoder()
            return
        client.decoder = None
        t = packet.type
        if t == SioType.CONNECT:
            self._connect(client, packet.nsp, packet.data)
            return
        sock = client.sockets.get(packet.nsp)
        if sock is None or not sock.connected:
            if t != SioType.DISCONNECT:
                eio.close("invalid state")  # a packet for a namespace the client is not in
            return
        if t == SioType.EVENT:
            self._event(sock, packet)
        elif t == SioType.ACK:
            fut = sock._acks.pop(packet.id, None) if sock._acks and packet.id is not None else None
            if fut is not None and not fut.done():
                fut.set_result(packet.data)
        elif t == SioType.DISCONNECT:
            self._remove(sock, "client namespace disconnect")
        else:
            eio.close("parse error")

    # -- namespace connection ------------------------------------------------------------------------
    def _connect(self, client: Client, nsp: str, auth: Any) -> None:
        ns = self._nsps.get(nsp)
        if ns is None or ns.on_connect is None:
            for part in encode(SioPacket(SioType.CONNECT_ERROR, nsp, {"message": "Invalid namespace"})):
                client.eio.push("4" + part if isinstance(part, str) else part)
            return
        if nsp in client.sockets:
            return
        sock = Socket(new_sid(), nsp, client.eio, client)
        client.sockets[nsp] = sock
        ns.pending[sock.sid] = sock
        self._spawn(self._run_connect(ns, sock, auth if auth is not None else {}))

    async def _run_connect(self, ns: Namespace, sock: Socket, auth: Any) -> None:
        client = sock.client
        assert ns.on_connect is not None
        refusal: dict[str, Any] | None = None
        try:
            await ns.on_connect(sock, auth)
        except ConnectionRefused as exc:
            refusal = exc.payload()
        except Exception:
            logger.exception("connect handler failed", extra={"nsp": sock.nsp})
            refusal = {"message": "Internal server error"}
        ns.pending.pop(sock.sid, None)
        if client.sockets.get(sock.nsp) is not sock or client.eio.closed:
            if client.sockets.get(sock.nsp) is sock:
                del client.sockets[sock.nsp]
            if refusal is None and ns.on_disconnect is not None:
                # The handler accepted (and may have recorded the socket) after the client left:
                # it must hear of the departure, or whatever it counted stays counted.
                await self._run_disconnect(ns.on_disconnect, sock, "client disconnected during connect")
            return
        if refusal is not None:
            del client.sockets[sock.nsp]
            for part in encode(SioPacket(SioType.CONNECT_ERROR, sock.nsp, refusal)):
                client.eio.push("4" + part if isinstance(part, str) else part)
            return
        ns.sockets[sock.sid] = sock
        sock.connected = True
        cancel(client.connect_due)
        client.connect_due = None
        for room in sock._rooms or ():
            ns.index(sock, room)
        early, sock._early = sock._early or [], None
        self._send(sock, SioPacket(SioType.CONNECT, sock.nsp, {"sid": sock.sid}))
        client.eio.write_now_then_cork()
        for part in early:
            client.eio.push("4" + part if isinstance(part, str) else part)

    def _remove(self, sock: Socket, reason: str) -> None:
        ns = self._nsps[sock.nsp]
        client = sock.client
        if client.sockets.get(sock.nsp) is sock:
            del client.sockets[sock.nsp]
        if not sock.connected:
            ns.pending.pop(sock.sid, None)
            return
        sock.connected = False
        ns.sockets.pop(sock.sid, None)
        for room in sock._rooms or ():
            ns.unindex(sock, room)
        if sock._acks:
            for fut in sock._acks.values():
                if not fut.done():
                    fut.set_exception(TimeoutError("socket disconnected"))
            sock._acks = None
        if ns.on_disconnect is not None:
            self._spawn(self._run_disconnect(ns.on_disconnect, sock, reason))

    async def _run_disconnect(self, handler: DisconnectHandler, sock: Socket, reason: str) -> None:
        try:
            await handler(sock, reason)
        except Exception:
            logger.exception("disconnect handler failed", extra={"nsp": sock.nsp})

    # -- events ------------------------------------------------------------------------------------
    def _event(self, sock: Socket, packet: SioPacket) -> None:
        handler = self._nsps[sock.nsp].on_event
        if handler is None:
            return
        data = packet.data
        client = sock.client
        client.handlers += 1
        if client.handlers >= MAX_HANDLERS:
            client.eio.pause_reading()  # released by _run_event as handlers finish
        self._spawn(self._run_event(handler, sock, str(data[0]), data[1:], packet.id))

    async def _run_event(
        self, handler: EventHandler, sock: Socket, event: str, args: list[Any], ack_id: int | None
    ) -> None:
        try:
            result = await handler(sock, event, args)
        except Exception:
            logger.exception("event handler failed", extra={"event": event, "nsp": sock.nsp})
            result = None
        finally:
            client = sock.client
            client.handlers -= 1
            if client.handlers <= MAX_HANDLERS // 2 and client.eio.reading_paused:
                client.eio.resume_reading()
        if ack_id is None or not sock.connected:
            return
        if result is None:
            ack_args: list[Any] = []
        elif isinstance(result, list | tuple):
            ack_args = list(result)
        else:
            ack_args = [result]
        try:
            self._send(sock, SioPacket(SioType.ACK, sock.nsp, ack_args, ack_id))
        except Exception:  # a value JSON cannot carry (a set, a datetime, nesting too deep...)
            logger.exception(
                "event handler returned an ack value that cannot be encoded",
                extra={"event": event, "nsp": sock.nsp},
            )
            self._send(sock, SioPacket(SioType.ACK, sock.nsp, [], ack_id))

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
