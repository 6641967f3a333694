"""The resume hand-over's pure parts: position parsing, holding live events, and the release that
sends the held ones past the replay and puts the socket back in its rooms (a recording transport)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.types import ASGIApp

from storewire.delivery.brokers.base import BrokerMessage
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
