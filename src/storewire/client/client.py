"""``StorewireClient``: a python-socketio client that resumes where it was after every reconnect.

Packets are handled as they arrive (position, dedupe, joins: see ``tracker.py``); the app's handlers
are called later, one at a time and in arrival order, by one dispatcher task, so a slow handler never
reorders events and ``sync:recovered`` reaches the app after every event it covers.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar, overload

from pydantic import BaseModel, ValidationError

from storewire.client.messages import (
    Event,
    Joined,
    Status,
    StorewireClientError,
    parse_ack,
    parse_connect_error,
    parse_event,
    parse_sync,
)
from storewire.client.socket import ConnectFailed, NotConnected, Socket
from storewire.client.tracker import DEFAULT_WINDOW, Position, Sync, Tracker, Verdict
from storewire.realtime.catalog import Catalog, EventSpec

__all__ = ["SYNC_EVENT", "StorewireClient"]

logger = logging.getLogger(__name__)

SYNC_EVENT = "sync:recovered"

P = TypeVar("P", bound=BaseModel)
T = TypeVar("T")

Handler = Callable[[Event[T]], Awaitable[None] | None]
"""An event handler, plain or async."""
SyncHandler = Callable[[Sync], Awaitable[None] | None]
StatusHandler = Callable[[Status], Awaitable[None] | None]
ErrorHandler = Callable[[StorewireClientError], Awaitable[None] | None]
TokenProvider = Callable[[], Awaitable[str | None] | str | None]
_Job = Callable[[], Awaitable[None]]


async def _call(handler: Callable[[T], Awaitable[None] | None], value: T) -> None:
    try:
        result = handler(value)
        if inspect.isawaitable(result):
            await result
    except Exception:
        logger.exception("a storewire client handler failed")


def _validated(payload: type[BaseModel], data: dict[str, Any], name: str) -> BaseModel | None:
    try:
        return payload.model_validate(data)
    except ValidationError as exc:
        logger.warning("%s: payload does not match the catalog: %s", name, exc.errors()[0]["msg"])
        return None


class StorewireClient:
    """A storewire Socket.IO client that resumes with ``auth.resume`` and re-joins its rooms with
    ``since`` after every reconnect, drops repeated envelopes, and hands handlers validated events.

    ``token``: a JWT, or a (possibly async) function returning the current one, asked at every
    (re)connect. ``position``: where a previous run stopped (``client.position``), to resume from.
    ``on_resync``: called when events could not be recovered (``Sync.recovered`` is false, also on
    the very first connection with ``reason="no_position"``): load what the app shows over REST (for
    ``Sync.room``, only that room's data). The reconnection options are python-socketio's.
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | TokenProvider | None = None,
        position: Position | None = None,
        transports: Sequence[str] = ("websocket",),
        on_resync: SyncHandler | None = None,
        catalog: Catalog | None = None,
        reconnection: bool = True,
        reconnection_attempts: int = 0,
        reconnection_delay: float = 1.0,
        reconnection_delay_max: float = 5.0,
        randomization_factor: float = 0.5,
        connect_timeout: float = 10.0,
        ack_timeout: float = 10.0,
        dedupe_window: int = DEFAULT_WINDOW,
    ) -> None:
        self._url = url
        self._token = token
        self._transports = tuple(transports)
        self._catalog = catalog
        self._connect_timeout = connect_timeout
        self._ack_timeout = ack_timeout
        self._tracker = Tracker(position, window=dedupe_window)
        self._handled: Position | None = position  # what the handlers are done with
        self._handlers: dict[str, list[tuple[type[BaseModel], Handler[Any]]]] = {}
        self._any: list[Handler[Any]] = []
        self._sync_handlers: list[SyncHandler] = []
        self._resync_handlers: list[SyncHandler] = [on_resync] if on_resync else []
        self._status_handlers: list[StatusHandler] = []
        self._error_handlers: list[ErrorHandler] = []
        self._queue: asyncio.Queue[_Job | None] = asyncio.Queue()
        self._dispatcher: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._requests: set[asyncio.Future[object]] = set()
        self._synced = asyncio.Event()
        self._last_sync: Sync | None = None
        self._generation = 0  # bumped whenever the client stops being synced
        self._reconnecting = False
        self._connecting = False
        self._refusal: StorewireClientError | None = None
        self._socket = Socket(
            reconnection=reconnection,
            reconnection_attempts=reconnection_attempts,
            reconnection_delay=reconnection_delay,
            reconnection_delay_max=reconnection_delay_max,
            randomization_factor=randomization_factor,
        )
        self._socket.on_connect(self._on_connect)
        self._socket.on_disconnect(self._on_disconnect)
        self._socket.on_final(self._on_final)
        self._socket.on_connect_error(self._on_connect_error)
        self._socket.on_event(self._on_event)

    # -- state -------------------------------------------------------------------------------

    @property
    def position(self) -> Position | None:
        """The position the handlers are done with (keep it to resume a later run from it). It trails
        what has been received while handlers run: a run that dies mid-handler gets those events
        again next time, instead of skipping them."""
        return self._handled

    @property
    def sid(self) -> str | None:
        """The socket's id while connected (for the ``X-Socket-Id`` header of REST requests)."""
        return self._socket.sid

    @property
    def connected(self) -> bool:
        return self._socket.connected

    @property
    def rooms(self) -> tuple[str, ...]:
        """The rooms joined with ``join`` (joined again after each reconnect)."""
        return self._tracker.rooms

    @property
    def catalog(self) -> Catalog:
        """The event catalog payloads are validated against (storewire's own unless given)."""
        if self._catalog is None:
            from storewire.commerce.registry import build_catalog  # heavy: only when first needed

            self._catalog = build_catalog()
        return self._catalog

    def spec(self, name: str, payload: type[P]) -> EventSpec[P]:
        """The catalog's spec of ``name``, typed by its payload model (checked), for ``on``."""
        spec = self._lookup(name)
        if not issubclass(spec.payload, payload):
            raise TypeError(f"{name} carries {spec.payload.__name__}, not {payload.__name__}")
        return spec

    # -- handlers ----------------------------------------------------------------------------

    @overload
    def on(self, event: EventSpec[P], handler: Handler[P]) -> Handler[P]: ...
    @overload
    def on(self, event: EventSpec[P], handler: None = None) -> Callable[[Handler[P]], Handler[P]]: ...
    @overload
    def on(self, event: str, handler: Handler[Any]) -> Handler[Any]: ...
    @overload
    def on(self, event: str, handler: None = None) -> Callable[[Handler[Any]], Handler[Any]]: ...

    def on(
        self, event: EventSpec[Any] | str, handler: Handler[Any] | None = None
    ) -> Handler[Any] | Callable[[Handler[Any]], Handler[Any]]:
        """Call ``handler`` with each ``event`` (an ``EventSpec``, or a catalog name) whose payload
        validates; usable as a decorator."""
        spec = self._lookup(event) if isinstance(event, str) else event

        def register(function: Handler[Any]) -> Handler[Any]:
            self._handlers.setdefault(spec.name, []).append((spec.payload, function))
            return function

        return register if handler is None else register(handler)

    def on_any(self, handler: Handler[Any]) -> Handler[Any]:
        """Call ``handler`` with every event; ``data`` is the payload model, or the raw JSON object for
        an event the catalog does not know (or whose payload does not validate)."""
        self._any.append(handler)
        return handler

    def on_sync(self, handler: SyncHandler) -> SyncHandler:
        """Call ``handler`` with every ``sync:recovered``, after the events it covers."""
        self._sync_handlers.append(handler)
        return handler

    def on_resync(self, handler: SyncHandler) -> SyncHandler:
        """Call ``handler`` when the app must refetch: a sync with ``recovered: false``, or a new epoch."""
        self._resync_handlers.append(handler)
        return handler

    def on_status(self, handler: StatusHandler) -> StatusHandler:
        """Call ``handler`` with each connection status change (``Status``)."""
        self._status_handlers.append(handler)
        return handler

    def on_error(self, handler: ErrorHandler) -> ErrorHandler:
        """Call ``handler`` with errors no caller awaits: a room refused when joined again after a
        reconnect (``error.room``; it is forgotten), a refused reconnect handshake."""
        self._error_handlers.append(handler)
        return handler

    # -- connecting --------------------------------------------------------------------------

    async def connect(self) -> None:
        """Connect (then python-socketio reconnects by itself). Raises ``StorewireClientError`` with
        the server's code (``auth_invalid``, ``too_many_connections``, ...) if refused."""
        if self._socket.connected:
            raise StorewireClientError("already_connected", "connect() was called on a connected client")
        self._start_dispatcher()
        self._refusal = None
        self._connecting = True
        try:
            await self._socket.connect(
                self._url, auth=self._auth, transports=self._transports, wait_timeout=self._connect_timeout
            )
        except ConnectFailed as exc:
            await self._stop_dispatcher()
            raise self._refusal or StorewireClientError("connect_failed", str(exc)) from exc
        finally:
            self._connecting = False

    async def disconnect(self) -> None:
        """Disconnect (or stop reconnecting), then let the handlers finish what has arrived."""
        for task in list(self._tasks):
            task.cancel()
        await self._socket.close()
        await self._stop_dispatcher()

    async def __aenter__(self) -> StorewireClient:
        await self.connect()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.disconnect()

    async def wait_synced(self) -> Sync:
        """Wait until the connection's ``sync:recovered`` and those of all joins have reached the
        handlers (so every missed event has too); returns the last sync. Bound it with
        ``asyncio.timeout``."""
        await self._synced.wait()
        assert self._last_sync is not None
        return self._last_sync

    # -- requests ----------------------------------------------------------------------------

    async def emit(self, event: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send a client event and return its ``{ok: true, ...}`` ack; raises ``StorewireClientError``
        with the ack's error code."""
        return parse_ack(await self._request(event, payload or {}))

    async def join(self, room: str) -> Joined:
        """Join ``room`` with ``since`` = the current position (the server replays what the room got
        meanwhile) and remember it: it is joined again after every reconnect until ``leave``.

        A refusal raises ``StorewireClientError`` (``forbidden``, ``not_found``, ...) and forgets the
        room; ``timeout`` or ``disconnected`` keep it (a reconnect joins it again).
        """
        since = self._tracker.joining(room)
        self._unsync()
        try:
            ack = parse_ack(await self._request("room:join", {"room": room, "since": since}), room=room)
        except StorewireClientError as exc:
            if exc.code not in {"timeout", "disconnected"}:
                self._tracker.forget(room)
                self._settle_later()
            exc.room = room
            raise
        return Joined(str(ack.get("room", room)), bool(ack.get("recovered", False)))

    async def leave(self, room: str) -> None:
        """Leave ``room`` and forget it."""
        self._tracker.forget(room)
        self._settle_later()
        if self.connected:
            parse_ack(await self._request("room:leave", {"room": room}), room=room)

    async def _request(self, event: str, payload: dict[str, Any]) -> object:
        not_connected = StorewireClientError("not_connected", f"{event}: the client is not connected")
        if not self._socket.connected:
            raise not_connected
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()

        def acked(reply: object) -> None:
            if not future.done():
                future.set_result(reply)

        self._requests.add(future)
        try:
            try:
                await self._socket.emit(event, payload, acked)
            except NotConnected:
                raise not_connected from None
            async with asyncio.timeout(self._ack_timeout):
                return await future
        except TimeoutError:
            raise StorewireClientError("timeout", f"{event}: no ack in time") from None
        finally:
            self._requests.discard(future)

    # -- what python-socketio reports (plain functions, in packet order) ----------------------

    async def _auth(self) -> dict[str, Any]:
        auth: dict[str, Any] = {"resume": self._tracker.resume()}
        try:
            token = self._token() if callable(self._token) else self._token
            if inspect.isawaitable(token):
                token = await token
        except Exception:
            logger.exception("the token provider failed; connecting without a token")
            token = None
        if token is not None:
            auth["token"] = token
        return auth

    def _on_connect(self) -> None:
        rejoins = self._tracker.connected()
        self._unsync()
        self._status("resumed" if self._reconnecting else "connected")
        self._reconnecting = False
        if rejoins:
            task = asyncio.create_task(self._rejoin(rejoins), name="storewire-client-rejoin")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _on_disconnect(self, will_reconnect: bool) -> None:
        self._tracker.lost()
        self._unsync()
        for future in self._requests:
            if not future.done():
                future.set_exception(StorewireClientError("disconnected", "the connection was lost"))
        if will_reconnect:
            self._reconnecting = True
            self._status("reconnecting")

    def _on_final(self) -> None:
        self._reconnecting = False
        self._status("disconnected")

    def _on_connect_error(self, raw: object) -> None:
        error = parse_connect_error(raw)
        if self._connecting:
            self._refusal = error
        else:
            self._enqueue(lambda: self._errors(error))

    def _on_event(self, name: str, raw: object) -> None:
        if name == SYNC_EVENT:
            self._on_sync(raw)
            return
        event = parse_event(name, raw)
        if event is None:
            logger.warning("ignoring %s: not an envelope: %r", name, raw)
            return
        if event.epoch is not None and event.seq is not None:
            verdict = self._tracker.accept(event.epoch, event.seq)
            if verdict is Verdict.DUPLICATE:
                return
            if verdict is Verdict.NEW_EPOCH:
                changed = Sync(False, event.epoch, event.seq, reason="epoch_changed")
                self._enqueue(lambda: self._resync(changed))
        reached = self._tracker.position
        self._enqueue(lambda: self._deliver(event, reached))

    def _on_sync(self, raw: object) -> None:
        sync = parse_sync(raw)
        if sync is None:
            logger.warning("ignoring a malformed %s: %r", SYNC_EVENT, raw)
            return
        synced = sync
        resync = self._tracker.sync(synced)
        generation = self._generation if self._tracker.synced else None
        reached = self._tracker.position
        self._enqueue(lambda: self._deliver_sync(synced, resync, generation, reached))

    # -- internals ---------------------------------------------------------------------------

    def _lookup(self, name: str) -> EventSpec[Any]:
        if name not in self.catalog:
            raise ValueError(f"unknown event {name!r}: it is not in the catalog")
        return self.catalog.get(name)

    async def _rejoin(self, rejoins: list[tuple[str, dict[str, Any]]]) -> None:
        async def one(room: str, since: dict[str, Any]) -> None:
            try:
                parse_ack(await self._request("room:join", {"room": room, "since": since}), room=room)
            except StorewireClientError as exc:
                if exc.code in {"timeout", "disconnected", "not_connected"}:
                    return  # still pending: the next connection joins it again
                self._tracker.forget(room)
                self._settle_later()
                error = exc
                self._enqueue(lambda: self._errors(error))

        await asyncio.gather(*(one(room, since) for room, since in rejoins))

    def _unsync(self) -> None:
        self._generation += 1
        self._synced.clear()

    def _settle_later(self) -> None:
        """A room stopped being pending without its sync (forgotten): maybe everything is synced."""
        if self._tracker.synced and self._last_sync is not None:
            generation = self._generation
            self._enqueue(lambda: self._settle(generation))

    async def _settle(self, generation: int | None) -> None:
        if generation is not None and generation == self._generation:
            self._synced.set()

    def _status(self, status: Status) -> None:
        self._enqueue(lambda: self._notify(self._status_handlers, status))

    def _enqueue(self, job: _Job) -> None:
        self._queue.put_nowait(job)

    async def _dispatch(self) -> None:
        while (job := await self._queue.get()) is not None:
            await job()

    def _start_dispatcher(self) -> None:
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch(), name="storewire-client-dispatch")

    async def _stop_dispatcher(self) -> None:
        if self._dispatcher is not None and not self._dispatcher.done():
            self._queue.put_nowait(None)
            await self._dispatcher
        self._dispatcher = None

    async def _deliver(self, event: Event[dict[str, Any]], reached: Position | None) -> None:
        await self._handle(event)
        if reached is not None:
            self._handled = reached

    async def _handle(self, event: Event[dict[str, Any]]) -> None:
        models: dict[type[BaseModel], BaseModel | None] = {}
        for payload, handler in self._handlers.get(event.type, ()):
            if payload not in models:
                models[payload] = _validated(payload, event.data, event.type)
            model = models[payload]
            if model is not None:
                await _call(handler, event.with_data(model))
        if self._any:
            data: Any = event.data
            if event.type in self.catalog:
                payload = self.catalog.get(event.type).payload
                model = models[payload] if payload in models else _validated(payload, event.data, event.type)
                data = model if model is not None else event.data
            for handler in self._any:
                await _call(handler, event.with_data(data))

    async def _deliver_sync(
        self, sync: Sync, resync: bool, generation: int | None, reached: Position | None
    ) -> None:
        await self._notify(self._sync_handlers, sync)
        if resync:
            await self._resync(sync)
        self._last_sync = sync
        if reached is not None:
            self._handled = reached
        await self._settle(generation)

    async def _resync(self, sync: Sync) -> None:
        await self._notify(self._resync_handlers, sync)

    async def _errors(self, error: StorewireClientError) -> None:
        await self._notify(self._error_handlers, error)

    async def _notify(self, handlers: Sequence[Callable[[T], Awaitable[None] | None]], value: T) -> None:
        for handler in list(handlers):
            await _call(handler, value)
