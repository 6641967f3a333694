"""The resume hand-over's pure parts: position parsing, holding live events, and the release that
sends the held ones past the replay and puts the socket back in its rooms (a recording transport)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.types import ASGIApp

from storewire.delivery.brokers.base import BrokerMessage
from storewire.delivery.event_log import LogState
from storewire.errors import InvalidPayload
from storewire.gateway.connections import Connection
from storewire.gateway.resume import BadPosition, Position, Resumer, parse_position
from storewire.gateway.transport import Handlers, Transport
from storewire.realtime.policy import Principal, Role


class Recording(Transport):
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, Any]] = []
        self.rooms: dict[str, set[str]] = {}

    def bind(self, handlers: Handlers) -> None: ...

    def emit(self, event: str, data: Any, rooms: Any, exclude_sid: str | None = None) -> int:
        return 0

    def send(self, sid: str, event: str, data: Any) -> None:
        self.sent.append((sid, event, data))

    def enter_room(self, sid: str, room: str) -> None:
        self.rooms.setdefault(sid, set()).add(room)

    def leave_room(self, sid: str, room: str) -> None:
        self.rooms.get(sid, set()).discard(room)

    def pending_bytes(self, sid: str) -> int | None:
        return 0

    async def disconnect(self, sid: str) -> None: ...

    def asgi(self, other: ASGIApp) -> ASGIApp:
        return other


def message(seq: int, *rooms: str, exclude: str | None = None) -> BrokerMessage:
    return BrokerMessage(seq, "test:ping", {"seq": seq}, rooms, exclude)


def resumer(transport: Transport, max_events: int = 100) -> Resumer:
    return Resumer(transport, None, max_events=max_events, page_size=10, low_water_bytes=1)  # type: ignore[arg-type]


def connection(sid: str = "s1") -> Connection:
    principal = Principal(user_id="u1", role=Role.BUYER, name="u1")
    return Connection(sid, principal, "127.0.0.1", frozenset({"user:u1", "everyone"}))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"epoch": "abc", "seq": 0}, Position("abc", 0)),
        ({"epoch": "abc", "seq": 42}, Position("abc", 42)),
        ({}, None),
        ({"epoch": None}, None),
    ],
)
def test_positions_parse(value: Any, expected: Position | None) -> None:
    assert parse_position(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        None,
        3,
        {"epoch": "", "seq": 1},
        {"epoch": "a", "seq": -1},
        {"epoch": "a", "seq": True},
        {"epoch": "a", "seq": "1"},
        {"epoch": 5, "seq": 1},
        {"epoch": "a" * 41, "seq": 1},
        {"epoch": "a"},
    ],
)
def test_malformed_positions_are_refused(value: Any) -> None:
    with pytest.raises(BadPosition):
        parse_position(value)


def test_held_sockets_buffer_their_rooms_events_and_release_them_after_the_replay() -> None:
    transport = Recording()
    sync = resumer(transport)
    conn = connection()
    conn.rooms.add("order:o1")
    for room in ("user:u1", "everyone", "order:o1"):
        transport.enter_room("s1", room)
    sync.observe([message(1, "user:u1")])
    assert sync.hold(conn) == 1  # the bound: what had been delivered when the hold began
    assert transport.rooms["s1"] == set()
    sync.observe(
        [
            message(2, "user:u2"),  # not its rooms
            message(3, "order:o1", "user:u9"),
            message(4, "user:u1", exclude="s1"),  # excluded for this very socket
            message(5, "everyone"),
        ]
    )
    assert conn.held is not None and [m.seq for m in conn.held] == [3, 5]
    assert sync.delivered_seq == 5
    assert sync.release(conn, after=3) == 5  # 3 came with the replay already
    assert [data["seq"] for _, _, data in transport.sent] == [5]
    assert transport.rooms["s1"] == {"user:u1", "everyone", "order:o1"}
    assert conn.held is None
    sync.observe([message(6, "user:u1")])  # live again: no longer buffered
    assert conn.held is None


def test_a_room_left_during_the_hold_is_not_released() -> None:
    transport = Recording()
    sync = resumer(transport)
    conn = connection()
    conn.rooms.add("order:o1")
    sync.hold(conn)
    sync.observe([message(1, "order:o1")])
    conn.rooms.discard("order:o1")
    sync.release(conn, after=0)
    assert transport.sent == []


def test_a_buffer_past_the_limit_overflows_and_sends_nothing() -> None:
    transport = Recording()
    sync = resumer(transport, max_events=3)
    conn = connection()
    sync.hold(conn)
    sync.observe([message(seq, "user:u1") for seq in range(1, 6)])
    assert conn.overflow
    sync.release(conn, after=0)
    assert transport.sent == []
    assert transport.rooms["s1"] == {"user:u1", "everyone"}


def test_coverage_tracks_each_rooms_position() -> None:
    conn = connection()
    conn.covered_from = 10
    conn.rooms.update({"order:o1", "chat:c1"})
    conn.cover("order:o1", 4)
    assert conn.coverage() == {"user:u1": 10, "everyone": 10, "order:o1": 4, "chat:c1": 10}
    conn.uncover("order:o1")
    conn.rooms.discard("order:o1")
    assert "order:o1" not in conn.coverage()


class FakeLog:
    """An event log whose decisions are given: its state and backlog, a failure, a slow page."""

    def __init__(self, *, fail: bool = False, page_delay: float = 0.0) -> None:
        self.fail = fail
        self.page_delay = page_delay
        self.pruned_here = 0

    async def backlog(self, rooms: Any, after: int, upto: int, *, cap: int | None = None) -> Any:
        if self.fail:
            raise RuntimeError("database is locked")
        return LogState("ep", 0, upto), 1

    async def page(self, rooms: Any, after: int, upto: int, limit: int, epoch: str) -> list[BrokerMessage]:
        await asyncio.sleep(self.page_delay)
        return []


def started(transport: Transport, log: FakeLog, max_events: int = 100) -> Resumer:
    sync = Resumer(transport, log, max_events=max_events, page_size=10, low_water_bytes=1)  # type: ignore[arg-type]
    sync.start("ep", 10)
    return sync


async def test_a_socket_that_left_while_its_join_waited_is_never_held_again() -> None:
    transport = Recording()
    sync = started(transport, FakeLog())
    conn = connection()
    sync.forget(conn)  # it disconnected while its room:join waited for the replay lock
    with pytest.raises(InvalidPayload):
        await sync.join_since(conn, "product:p1", {"epoch": "ep", "seq": 5}, add=True)
    sync.observe([message(11, "user:u1")])
    assert not sync._held and conn.held is None and "product:p1" not in conn.rooms


async def test_a_failed_join_sends_what_the_other_rooms_got_and_leaves_the_room_out() -> None:
    transport = Recording()
    log = FakeLog(fail=True)
    sync = started(transport, log)
    conn = connection()

    async def deliver_meanwhile() -> None:
        sync.observe([message(11, "user:u1"), message(12, "everyone")])

    original = log.backlog

    async def slow_failure(*args: Any, **kwargs: Any) -> Any:
        await deliver_meanwhile()
        return await original(*args, **kwargs)

    log.backlog = slow_failure  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        await sync.join_since(conn, "product:p1", {"epoch": "ep", "seq": 5}, add=True)
    await asyncio.sleep(0)
    assert [data["seq"] for _, _, data in transport.sent] == [11, 12]  # not lost with the join
    assert "product:p1" not in conn.rooms and "product:p1" not in transport.rooms["s1"]
    assert transport.rooms["s1"] == {"user:u1", "everyone"} and conn.held is None


async def test_an_overflow_during_a_join_replay_answers_for_the_whole_connection() -> None:
    transport = Recording()
    sync = started(transport, FakeLog(page_delay=0.05), max_events=5)
    conn = connection()
    recovered, replay = await sync.join_since(conn, "product:p1", {"epoch": "ep", "seq": 9}, add=True)
    assert recovered
    replay()
    await asyncio.sleep(0.01)
    sync.observe([message(seq, "user:u1") for seq in range(11, 18)])  # 7 live events > 5: overflow
    await asyncio.sleep(0.1)
    (sync_payload,) = [data for _, event, data in transport.sent if event == "sync:recovered"]
    # Every room's live events were dropped, not only product:p1's: no "room", so the client
    # refetches everything rather than that one room.
    assert sync_payload["recovered"] is False and sync_payload["reason"] == "overflow"
    assert "room" not in sync_payload
    await sync.close()


def test_held_sockets_get_each_message_of_their_rooms_once_whoever_else_is_held() -> None:
    transport = Recording()
    sync = resumer(transport, max_events=3)
    first, second, third = connection("s1"), connection("s2"), connection("s3")
    second.rooms.add("order:o1")
    for conn in (first, second, third):
        sync.hold(conn)
    sync.observe(
        [
            message(1, "user:u1", "order:o1"),  # s2 is in both rooms: once
            message(2, "order:o1", exclude="s2"),  # not back to the socket that caused it
            message(3, "everyone"),
        ]
    )
    assert [m.seq for m in first.held or []] == [1, 3]
    assert [m.seq for m in second.held or []] == [1, 3]
    sync.observe([message(4, "order:o1"), message(5, "order:o1")])  # s2 passes max_events
    assert second.overflow and second.held == [] and [m.seq for m in third.held or []] == [1, 3]
