"""The gateway: authenticates sockets, puts them in rooms by policy, and delivers sequenced events."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson

from storewire.credentials import bearer_token
from storewire.delivery.brokers.base import BrokerMessage
from storewire.delivery.event_log import EventLog
from storewire.errors import AuthError, InvalidPayload, StorewireError
from storewire.gateway.connections import Connection, ConnectionRegistry
from storewire.gateway.people import People
from storewire.gateway.resume import Resumer
from storewire.gateway.stats import GatewayStats
from storewire.gateway.transport import ConnectRefused, Peer, Transport
from storewire.observability.audit import AuditLog
from storewire.realtime.policy import Principal, RoomFacts, automatic_rooms, decide_join, needs_facts
from storewire.realtime.rooms import Room
from storewire.settings import Settings

__all__ = ["Gateway"]

logger = logging.getLogger(__name__)

Ack = dict[str, Any]
PrincipalResolver = Callable[[str], Awaitable[Principal]]
FactsLookup = Callable[[Room], Awaitable[RoomFacts]]


def _fail(code: str, message: str) -> Ack:
    return {"ok": False, "error": {"code": code, "message": message}}


class Gateway:
    """storewire's Socket.IO application on top of a ``Transport``."""

    def __init__(
        self,
        settings: Settings,
        transport: Transport,
        resolve_principal: PrincipalResolver,
        room_facts: FactsLookup,
        log: EventLog,
        audit: AuditLog,
    ) -> None:
        self._settings = settings
        self._audit = audit
        self.stats = GatewayStats()
        self.transport = transport
        self._resolve_principal = resolve_principal
        self._room_facts = room_facts
        self.connections = ConnectionRegistry()
        self.people = People(transport)
        self.resumer = Resumer(
            transport,
            log,
            max_events=settings.replay_max_events,
            page_size=settings.replay_page_size,
            low_water_bytes=settings.max_buffered_bytes // 4,
        )
        self._handlers: dict[str, Callable[[Connection, Any], Awaitable[Ack]]] = {
            "room:join": self._join,
            "room:leave": self._leave,
            "presence:list": self.people.presence_list,
            "chat:typing": self.people.typing,
            "page:navigate": self.people.navigate,
        }
        transport.bind(self)

    async def close(self) -> None:
        """Stop background work (the live-users push, replays), before the transport shuts down."""
        await self.resumer.close()
        await self.people.close()

    # -- delivery ---------------------------------------------------------------------------

    def deliver(self, batch: Sequence[BrokerMessage]) -> None:
        """Broker subscriber: emit each sequenced event to its rooms, in order (held sockets, which
        are replaying, get theirs after their replay)."""
        self.resumer.observe(batch)
        delivered = 0
        for message in batch:
            delivered += self.transport.emit(
                message.type, message.envelope, message.rooms, message.exclude_sid
            )
        self.stats.events += len(batch)
        self.stats.deliveries += delivered

    # -- handshake --------------------------------------------------------------------------

    async def on_connect(self, peer: Peer, auth: Any) -> None:
        principal: Principal | None = None
        try:
            self._check_capacity(peer, None)  # before the token work, so floods cost little
            principal = await self._authenticate(peer, auth)
            self._check_capacity(peer, principal)  # again: other handshakes may have landed meanwhile
        except ConnectRefused as refused:
            code = str(refused.data.get("code", "refused"))
            self.stats.refused[code] += 1
            self._audit.record(
                "connect.refused", principal=principal, remote_addr=peer.remote_addr, code=code
            )
            raise
        self.stats.opened += 1
        automatic = [str(room) for room in automatic_rooms(principal)]
        connection = Connection(peer.sid, principal, peer.remote_addr, frozenset(automatic))
        connection.covered_from = self.resumer.delivered_seq
        self.connections.add(connection)
        if isinstance(auth, dict) and "resume" in auth:
            self.resumer.resume_connect(connection, auth["resume"])  # enters the rooms after the replay
        else:
            for room in automatic:
                self.transport.enter_room(peer.sid, room)
        self.people.arrived(connection)

    def _check_capacity(self, peer: Peer, principal: Principal | None) -> None:
        settings = self._settings
        if len(self.connections) >= settings.max_connections:
            raise ConnectRefused({"code": "server_busy", "message": "the server is at its connection limit"})
        if self.connections.count_addr(peer.remote_addr) >= settings.max_connections_per_ip:
            raise ConnectRefused(
                {"code": "too_many_connections", "message": "too many connections from this address"}
            )
        if principal and self.connections.count_user(principal.user_id) >= settings.max_connections_per_user:
            raise ConnectRefused(
                {"code": "too_many_connections", "message": "too many connections for this user"}
            )

    async def _authenticate(self, peer: Peer, auth: Any) -> Principal:
        token = bearer_token(auth, peer.headers)
        if token is None:
            if self._settings.allow_guests:
                return Principal.guest()
            raise ConnectRefused({"code": "auth_required", "message": "a token is required to connect"})
        try:
            return await self._resolve_principal(token)
        except AuthError as exc:
            raise ConnectRefused({"code": exc.code, "message": exc.message}) from None

    async def on_disconnect(self, sid: str, reason: str) -> None:
        connection = self.connections.remove(sid)
        if connection is not None:
            self.resumer.forget(connection)
            self.people.departed(connection)

    # -- client events ----------------------------------------------------------------------

    async def on_event(self, sid: str, event: str, args: list[Any]) -> Ack:
        connection = self.connections.get(sid)
        if connection is None:
            return _fail("auth_required", "this socket is not connected")
        handler = self._handlers.get(event)
        if handler is None:
            return _fail("invalid_payload", f"unknown event {event!r}")
        try:
            size = len(orjson.dumps(args))
        except TypeError:  # binary attachments: no client event takes them
            return _fail("invalid_payload", "binary payloads are not accepted")
        if size > self._settings.max_client_payload:
            return _fail("invalid_payload", "the payload is too large")
        try:
            return await handler(connection, args[0] if args else None)
        except StorewireError as exc:
            return {"ok": False, "error": {"code": exc.code, "message": exc.message}}
        except Exception:
            logger.exception("handler for %s failed", event)
            return _fail("internal_error", "the server failed to handle this event")

    async def _join(self, connection: Connection, payload: Any) -> Ack:
        if not isinstance(payload, dict):
            raise InvalidPayload("room:join takes {room, since?}")
        room = Room.parse(payload.get("room"))
        name = str(room)
        since = payload.get("since")
        joined = name in connection.rooms or name in connection.automatic
        if not joined:
            refusal = await self._may_join(connection, room)
            if refusal is not None:
                code = refusal["error"]["code"]
                self.stats.joins[code] += 1
                self._audit.record(
                    "join.refused",
                    principal=connection.principal,
                    target=name,
                    remote_addr=connection.remote_addr,
                    code=code,
                )
                return refusal
        self.stats.joins["ok"] += 1
        if since is None:
            if not joined:
                self._enter(connection, name)
            return {"ok": True, "room": name}
        connection.joining += 0 if joined else 1  # holds its place under the room cap meanwhile
        try:
            recovered, replay = await self.resumer.join_since(connection, name, since, add=not joined)
        finally:
            connection.joining -= 0 if joined else 1
        if self.connections.get(connection.sid) is not connection:
            return _fail("invalid_payload", "this socket has disconnected")
        if not joined:
            self.people.entered(connection, name)
        replay()  # starts after this ack is sent: the ack comes first, then the replay
        return {"ok": True, "room": name, "recovered": recovered}

    async def _may_join(self, connection: Connection, room: Room) -> Ack | None:
        """The policy's refusal of a join, or ``None`` if the socket may join."""
        if len(connection.rooms) + connection.joining >= self._settings.max_rooms_per_connection:
            return _fail("too_many_rooms", "this connection is in too many rooms")
        connection.joining += 1  # holds its place while the facts are looked up
        try:
            facts = await self._room_facts(room) if needs_facts(room) else None
        finally:
            connection.joining -= 1
        decision = decide_join(connection.principal, room, facts)
        if not decision.allowed:
            return _fail(decision.code or "forbidden", decision.message)
        if self.connections.get(connection.sid) is not connection:
            return _fail("invalid_payload", "this socket has disconnected")
        return None

    def _enter(self, connection: Connection, name: str) -> None:
        """Join without replay: live from now on (after the running replay, if the socket is held)."""
        connection.rooms.add(name)
        connection.cover(name, self.resumer.delivered_seq)
        if connection.held is None:
            self.transport.enter_room(connection.sid, name)
        self.people.entered(connection, name)

    async def _leave(self, connection: Connection, payload: Any) -> Ack:
        if not isinstance(payload, dict):
            raise InvalidPayload("room:leave takes {room}")
        name = str(Room.parse(payload.get("room")))
        if name in connection.automatic:
            return _fail("forbidden", f"{name} is joined automatically and cannot be left")
        if name in connection.rooms:
            connection.rooms.discard(name)
            connection.uncover(name)
            self.transport.leave_room(connection.sid, name)
            self.people.left(connection, name)
        return {"ok": True}
