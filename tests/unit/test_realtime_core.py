"""The pure core: rooms, join policy, envelope and catalog."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from storewire.errors import InvalidPayload
from storewire.realtime.catalog import Catalog, EventSpec
from storewire.realtime.envelope import Envelope, format_ts
from storewire.realtime.ids import new_id
from storewire.realtime.policy import Principal, Role, RoomFacts, automatic_rooms, decide_join, needs_facts
from storewire.realtime.rooms import Room, RoomKind


@pytest.mark.parametrize(
    ("name", "kind", "ident"),
    [
        ("user:usr_1", RoomKind.USER, "usr_1"),
        ("admin", RoomKind.ADMIN, None),
        ("sellers", RoomKind.SELLERS, None),
        ("order:ord_01J-x", RoomKind.ORDER, "ord_01J-x"),
        ("chat:c1", RoomKind.CHAT, "c1"),
    ],
)
def test_room_parse_and_format(name: str, kind: RoomKind, ident: str | None) -> None:
    room = Room.parse(name)
    assert (room.kind, room.id) == (kind, ident)
    assert str(room) == name


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "user",
        "user:",
        "admin:1",
        "sellers:x",
        "nope:1",
        "order:a b",
        "order:a:b",
        "order:" + "x" * 65,
        7,
        None,
        ["order:1"],
    ],
)
def test_room_parse_rejects(bad: object) -> None:
    with pytest.raises(InvalidPayload) as caught:
        Room.parse(bad)
    assert caught.value.code == "invalid_room"


@given(
    st.sampled_from([k for k in RoomKind if k not in (RoomKind.ADMIN, RoomKind.SELLERS, RoomKind.EVERYONE)]),
    st.from_regex(r"[A-Za-z0-9_\-]{1,64}", fullmatch=True),
)
def test_room_round_trip(kind: RoomKind, ident: str) -> None:
    assert Room.parse(str(Room(kind, ident))) == Room(kind, ident)


BUYER = Principal("b1", Role.BUYER)
OTHER = Principal("b2", Role.BUYER)
SELLER = Principal("s1", Role.SELLER)
OTHER_SELLER = Principal("s2", Role.SELLER)
STAFF = Principal("t1", Role.STAFF, seller_id="s1")
ADMIN = Principal("a1", Role.ADMIN)
GUEST = Principal.guest()
ORDER = RoomFacts(exists=True, owner_id="s1", members=frozenset({"b1"}))


@pytest.mark.parametrize(
    ("principal", "room", "facts", "code"),
    [
        (BUYER, "user:b1", None, None),
        (OTHER, "user:b1", None, "forbidden"),
        (BUYER, "admin", None, "forbidden"),
        (ADMIN, "admin", None, None),
        (SELLER, "sellers", None, None),
        (BUYER, "sellers", None, "forbidden"),
        (ADMIN, "sellers", None, "forbidden"),
        (ADMIN, "kitchen:s1", None, "forbidden"),
        (SELLER, "kitchen:s1", None, None),
        (STAFF, "kitchen:s1", None, None),
        (OTHER_SELLER, "kitchen:s1", None, "forbidden"),
        (BUYER, "order:o1", ORDER, None),
        (SELLER, "order:o1", ORDER, None),
        (STAFF, "order:o1", ORDER, None),
        (ADMIN, "order:o1", ORDER, None),
        (OTHER, "order:o1", ORDER, "forbidden"),
        (OTHER_SELLER, "order:o1", ORDER, "forbidden"),
        (GUEST, "order:o1", ORDER, "forbidden"),
        (BUYER, "order:o9", RoomFacts(exists=False), "not_found"),
        (GUEST, "product:p1", RoomFacts(exists=True, owner_id="s1", public=True), None),
        (GUEST, "product:p1", RoomFacts(exists=True, owner_id="s1", public=False), "forbidden"),
        (STAFF, "product:p1", RoomFacts(exists=True, owner_id="s1", public=False), None),
        (BUYER, "storefront:s1", RoomFacts(exists=True, owner_id="s1", public=True), None),
        (BUYER, "storefront:s1", RoomFacts(exists=True, owner_id="s1", public=False), "forbidden"),
        (ADMIN, "storefront:s1", RoomFacts(exists=True, owner_id="s1", public=False), None),
        (BUYER, "chat:c1", RoomFacts(exists=True, owner_id="s1", members=frozenset({"b1"})), None),
        (
            OTHER,
            "chat:c1",
            RoomFacts(exists=True, owner_id="s1", members=frozenset({"b1"})),
            "forbidden",
        ),
        (STAFF, "chat:c1", RoomFacts(exists=True, owner_id="s1", members=frozenset({"b1"})), None),
    ],
)
def test_join_policy(principal: Principal, room: str, facts: RoomFacts | None, code: str | None) -> None:
    parsed = Room.parse(room)
    assert needs_facts(parsed) == (facts is not None)
    decision = decide_join(principal, parsed, facts)
    assert decision.allowed == (code is None)
    assert decision.code == code


def test_automatic_rooms() -> None:
    assert [str(r) for r in automatic_rooms(BUYER)] == ["user:b1", "everyone"]
    assert [str(r) for r in automatic_rooms(SELLER)] == ["user:s1", "sellers", "everyone"]
    assert [str(r) for r in automatic_rooms(STAFF)] == ["user:t1", "kitchen:s1", "everyone"]
    assert [str(r) for r in automatic_rooms(ADMIN)] == ["user:a1", "admin", "everyone"]
    assert [str(r) for r in automatic_rooms(GUEST)] == ["everyone"]


def test_ts_is_utc_with_milliseconds() -> None:
    moment = datetime(2026, 11, 22, 13, 0, 0, 123999, tzinfo=timezone(timedelta(hours=1)))
    assert format_ts(moment) == "2026-11-22T12:00:00.123Z"
    assert format_ts(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05.000Z"


class Paid(BaseModel):
    order_id: str
    buyer_id: str


SPEC = EventSpec(
    "order:test",
    Paid,
    lambda p: [Room.user(p.buyer_id), Room.order(p.order_id), Room.user(p.buyer_id)],
    lambda p: [("orders", p.order_id)],
)


def test_catalog_prepares_rooms_once_and_validates() -> None:
    catalog = Catalog([SPEC])
    prepared = catalog.get("order:test").prepare({"order_id": "o1", "buyer_id": "b1"})
    assert prepared.rooms == ("user:b1", "order:o1")
    assert prepared.invalidate == (("orders", "o1"),)
    with pytest.raises(InvalidPayload):
        SPEC.prepare({"order_id": "o1"})
    with pytest.raises(InvalidPayload) as unknown:
        catalog.get("order:nope")
    assert unknown.value.code == "unknown_event"
    with pytest.raises(ValueError, match="twice"):
        catalog.register(SPEC)
    with pytest.raises(ValueError, match="module"):
        Catalog([EventSpec("nocolon", Paid, lambda p: [])])


def test_envelope_wire_shape() -> None:
    envelope = Envelope(
        "evt_1", "order:test", "e1", 5, datetime(2026, 1, 1, tzinfo=UTC), {"a": 1}, (("orders",),)
    )
    assert envelope.to_wire() == {
        "id": "evt_1",
        "type": "order:test",
        "epoch": "e1",
        "seq": 5,
        "ts": "2026-01-01T00:00:00.000Z",
        "data": {"a": 1},
        "invalidate": [["orders"]],
    }


def test_ids_are_prefixed_unique_and_time_sorted() -> None:
    ids = [new_id("ord") for _ in range(200)]
    assert len(set(ids)) == 200
    assert all(i.startswith("ord_") and len(i) == 30 for i in ids)
    assert [i[:14] for i in ids] == sorted(i[:14] for i in ids)
