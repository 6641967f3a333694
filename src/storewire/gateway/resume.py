"""Resume: replay the event log to a socket that says where it was, then hand it over to live delivery.

A socket that resumes (``auth.resume`` at the handshake, or ``room:join`` with ``since``) is first
*held*: it is taken out of the transport's rooms, and every live event for any of its rooms is kept
in its hold buffer instead of being sent. The replay then sends, page by page and paced by the
socket's unsent bytes, every logged event after the position for the rooms concerned, up to the
*bound*: the last ``seq`` this gateway had delivered when the hold began. Every later event reaches
this gateway after the hold began, so it is in the buffer. The hand-over sends the buffer's events
past the bound, puts the socket back in its rooms and sends ``sync:recovered``, all without an
``await`` in between, so no live event can slip between the replay and live delivery (no gap) and
none is sent twice (no duplicate). A socket's replays run one at a time.

A replay only reads events addressed to rooms the socket is in (joined under the same policy as
live delivery) and skips events excluded for this very socket (``X-Socket-Id``), like live delivery.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Collection, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from storewire.delivery.brokers.base import BrokerMessage
from storewire.delivery.event_log import EventLog
from storewire.errors import InvalidPayload
from storewire.gateway.connections import Connection
from storewire.gateway.transport import Transport

__all__ = ["Position", "Resumer", "parse_position"]

logger = logging.getLogger(__name__)

SYNC_EVENT = "sync:recovered"
_MAX_WAIT = 0.05  # longest pause between checks of a slow socket's unsent bytes


@dataclass(frozen=True, slots=True)
class Position:
    """A place in the event log: a client has handled every event of its rooms up to ``seq``."""

    epoch: str
    seq: int


class BadPosition(Exception):
    """Not ``{epoch: string, seq: integer >= 0}``."""


def _nothing(_message: BrokerMessage) -> bool:
    return False


def _position(value: Any) -> tuple[Position | None, bool]:
    """(position, whether it was malformed)."""
    try:
        return parse_position(value), False
    except BadPosition:
        return None, True


def parse_position(value: Any) -> Position | None:
    """``{epoch, seq}`` as a ``Position``; ``None`` for "no position yet" (``{}`` or ``epoch: null``).

    Raises ``BadPosition`` for anything else.
    """
    if not isinstance(value, dict):
        raise BadPosition
    epoch, seq = value.get("epoch"), value.get("seq")
    if epoch is None:
        return None
    if not isinstance(epoch, str) or not 0 < len(epoch) <= 40:
        raise BadPosition
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise BadPosition
    return Position(epoch, seq)


class _Gone(Exception):
    """The socket disconnected during its replay."""


@dataclass(slots=True)
class _Plan:
    """What a resume will do: replay ``(after, bound]`` of ``rooms``, or refuse with ``reason``."""

    bound: int
    after: int = 0
    reason: str | None = None


class Resumer:
    """Holds resuming sockets, replays the log to them, and hands them over to live delivery."""

    def __init__(
        self,
        transport: Transport,
        log: EventLog,
        *,
        max_events: int,
        page_size: int,
        low_water_bytes: int,
    ) -> None:
        self._transport = transport
        self._log = log
        self.max_events = max_events
        self.page_size = page_size
        self.low_water_bytes = low_water_bytes
        self.epoch = ""
        self.delivered_seq = 0
        """The last ``seq`` this gateway has delivered (every event up to it is in the log)."""
        self._held: dict[str, Connection] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.outcomes: Counter[str] = Counter()
        """``sync:recovered`` answers sent: ``recovered`` or the reason it was not (for ``/metrics``)."""

    def start(self, epoch: str, seq: int) -> None:
        """The log's epoch, and how far it has been fanned out when the node starts."""
        self.epoch = epoch
        self.delivered_seq = max(self.delivered_seq, seq)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5.0)

    # -- the live path -----------------------------------------------------------------------

    def observe(self, batch: Sequence[BrokerMessage]) -> None:
        """Called with every delivered batch, before it is emitted: buffer it for held sockets."""
        if batch and batch[-1].seq > self.delivered_seq:
            self.delivered_seq = batch[-1].seq
        if not self._held:
            return
        # Who is held in each room, built once per batch: each message then reaches its rooms'
        # held sockets directly (O(held + batch), not O(held x batch) during a resume storm).
        by_room: dict[str, list[Connection]] = {}
        for connection in self._held.values():
            if connection.held is not None and not connection.overflow:
                for room in connection.automatic | connection.rooms:
                    by_room.setdefault(room, []).append(connection)
        if not by_room:
            return
        touched: dict[str, Connection] = {}
        for message in batch:
            reached: set[str] = set()
            for room in message.rooms:
                for connection in by_room.get(room, ()):
                    sid = connection.sid
                    if sid in reached or sid == message.exclude_sid:
                        continue
                    reached.add(sid)
                    assert connection.held is not None
                    connection.held.append(message)
                    touched[sid] = connection
        for connection in touched.values():
            if connection.held is not None and len(connection.held) > self.max_events:
                connection.overflow = True
                connection.held.clear()

    # -- holding and handing over ------------------------------------------------------------

    def hold(self, connection: Connection) -> int:
        """Take a socket out of live delivery; return the bound (events after it are buffered)."""
        if connection.gone:
            raise _Gone
        if connection.held is None:
            connection.held = []
            connection.overflow = False
            self._held[connection.sid] = connection
            for room in connection.automatic | connection.rooms:
                self._transport.leave_room(connection.sid, room)
        return self.delivered_seq

    def release(self, connection: Connection, after: int) -> int:
        """Send the buffered events past ``after``, and put the socket back in its rooms. No await:
        nothing can be delivered in between. Returns the position the socket has reached."""
        held = connection.held or []
        connection.held = None
        self._held.pop(connection.sid, None)
        rooms = connection.automatic | connection.rooms
        last = after
        if not connection.overflow:
            for message in held:
                if message.seq > last and not rooms.isdisjoint(message.rooms):
                    self._transport.send(connection.sid, message.type, message.envelope)
                    last = message.seq
        for room in rooms:
            self._transport.enter_room(connection.sid, room)
        return max(last, self.delivered_seq)

    def forget(self, connection: Connection) -> None:
        """The socket disconnected."""
        connection.gone = True
        self._held.pop(connection.sid, None)
        connection.held = None

    # -- resuming ----------------------------------------------------------------------------

    def resume_connect(self, connection: Connection, resume: Any) -> None:
        """At the handshake (before the CONNECT ack): hold the socket; replay once the ack is sent."""
        position, bad = _position(resume)
        bound = self.hold(connection)
        connection.covered_from = bound
        self._spawn(connection, self._run_connect(connection, position, bad, bound))

    async def _run_connect(
        self, connection: Connection, position: Position | None, bad: bool, bound: int
    ) -> None:
        lock = connection.sync_lock()
        async with lock:
            plan = _Plan(bound, reason="unavailable")
            after = bound
            try:
                plan = await self._plan(position, bad, connection.automatic, bound)
                if plan.reason is None and position is not None:
                    rooms = connection.automatic
                    if await self._replay(connection, rooms, plan.after, bound, _nothing) is None:
                        return
                    connection.covered_from = position.seq
                    after = max(position.seq, bound)
            except Exception:
                logger.exception("replay at connect failed; the client is told to refetch")
                plan = _Plan(bound, reason="unavailable")
            self._finish(connection, plan, after, room=None)

    async def join_since(
        self, connection: Connection, room: str, since: Any, *, add: bool
    ) -> tuple[bool, Callable[[], None]]:
        """``room:join`` with ``since``: hold the socket, add ``room`` (if ``add``) and decide whether
        it can be recovered (for the ack). Returns that and the replay to start once the ack is sent.
        The socket stays held (and its replays serialized) until that replay has handed it over."""
        position, bad = _position(since)
        lock = connection.sync_lock()
        await lock.acquire()
        bound: int | None = None
        try:
            if connection.gone:  # it disconnected while waiting for the lock: hold nothing
                raise InvalidPayload("this socket has disconnected")
            bound = self.hold(connection)
            # What this socket has already been sent through its other rooms (and this one, if it
            # was in it already): a replay of this room skips those events.
            sent = connection.coverage()
            if add:
                connection.rooms.add(room)
                connection.cover(room, bound)
            plan = await self._plan(position, bad, (room,), bound)
        except BaseException:
            if add:  # the join failed: the socket is not in the room
                connection.rooms.discard(room)
                connection.uncover(room)
            if connection.held is not None and bound is not None:
                self.release(connection, bound)  # what its other rooms got meanwhile goes out
            lock.release()
            raise

        def start() -> None:
            self._spawn(connection, self._run_join(connection, room, position, plan, sent, lock))

        return plan.reason is None, start

    async def _run_join(
        self,
        connection: Connection,
        room: str,
        position: Position | None,
        plan: _Plan,
        sent: dict[str, int],
        lock: asyncio.Lock,
    ) -> None:
        def already_sent(message: BrokerMessage) -> bool:
            return any(message.seq > sent[r] for r in message.rooms if r in sent)

        try:
            if plan.reason is None and position is not None:
                try:
                    if await self._replay(connection, (room,), plan.after, plan.bound, already_sent) is None:
                        return
                    connection.cover(room, min(position.seq, connection.coverage().get(room, position.seq)))
                except Exception:
                    logger.exception("replay of %s failed; the client is told to refetch", room)
                    plan = _Plan(plan.bound, reason="unavailable")
            self._finish(connection, plan, plan.bound, room=room)
        finally:
            lock.release()

    def _finish(self, connection: Connection, plan: _Plan, after: int, room: str | None) -> None:
        overflow = connection.overflow
        seq = self.release(connection, after)
        reason = "overflow" if overflow and plan.reason is None else plan.reason
        if plan.reason is None and self._log.pruned_here > plan.after:
            reason = "expired"  # retention pruned what the replay was reading: it may be short
        payload: dict[str, Any] = {"recovered": reason is None, "epoch": self.epoch, "seq": seq}
        if reason is not None:
            payload["reason"] = reason
        if room is not None and not overflow:
            # An overflow dropped the live events of every room the socket is in, not only this
            # one's: the answer is for the whole connection, so the client refetches everything.
            payload["room"] = room
        self.outcomes[reason or "recovered"] += 1
        self._transport.send(connection.sid, SYNC_EVENT, payload)

    async def _plan(self, position: Position | None, bad: bool, rooms: Collection[str], bound: int) -> _Plan:
        if bad:
            return _Plan(bound, reason="invalid")
        if position is None:
            return _Plan(bound, reason="no_position")
        if position.epoch != self.epoch:
            return _Plan(bound, reason="epoch_changed")
        state, backlog = await self._log.backlog(rooms, position.seq, bound, cap=self.max_events + 1)
        if position.seq > state.last_seq:
            return _Plan(bound, reason="invalid")
        if position.seq < state.pruned_seq:
            return _Plan(bound, reason="expired")
        if backlog > self.max_events:
            return _Plan(bound, reason="too_many")
        return _Plan(bound, after=position.seq)

    async def _replay(
        self,
        connection: Connection,
        rooms: Collection[str],
        after: int,
        bound: int,
        skip: Callable[[BrokerMessage], bool],
    ) -> int | None:
        """Send the events of ``rooms`` in ``(after, bound]``, a page at a time; ``None`` if the socket
        left (or its live buffer overflowed: then the caller answers ``recovered: false``)."""
        sid = connection.sid
        cursor = after
        try:
            while cursor < bound and not connection.overflow:
                page = await self._log.page(rooms, cursor, bound, self.page_size, self.epoch)
                if connection.held is None:
                    raise _Gone
                for message in page:
                    if message.exclude_sid != sid and not skip(message):
                        self._transport.send(sid, message.type, message.envelope)
                if len(page) < self.page_size:
                    break
                cursor = page[-1].seq
                await self._drained(sid)
        except _Gone:
            return None
        return cursor

    async def _drained(self, sid: str) -> None:
        """Wait until the socket's unsent bytes fall to the low-water mark (backpressure)."""
        delay = 0.001
        while True:
            pending = self._transport.pending_bytes(sid)
            if pending is None:
                raise _Gone
            if pending <= self.low_water_bytes:
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, _MAX_WAIT)

    def _spawn(self, connection: Connection, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro, name=f"storewire-resume-{connection.sid}")
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("a resume failed", exc_info=task.exception())
