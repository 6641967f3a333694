"""The AsyncAPI builder: channels per room kind, messages per event, rooms from the audience functions."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel

from storewire.commerce.registry import build_catalog
from storewire.realtime.asyncapi import ROOM_FIELD_KINDS, build_asyncapi, render_asyncapi
from storewire.realtime.catalog import EventSpec
from storewire.realtime.describe import describe_event
from storewire.realtime.ephemeral import EPHEMERAL_EVENTS
from storewire.realtime.rooms import ADMIN_ROOM, Room, RoomKind

ENVELOPE = ["id", "type", "epoch", "seq", "ts", "data", "invalidate"]
KEY = re.compile(r"^[A-Za-z0-9._-]+$")  # AsyncAPI's pattern for component keys


class Line(BaseModel):
    sku: str
    quantity: int


class Placed(BaseModel):
    order_id: str
    buyer_id: str
    seller_id: str
    lines: list[Line]
    published: bool = False


def _specs() -> list[EventSpec[Any]]:
    return [
        EventSpec(
            "order:placed",
            Placed,
            lambda e: [Room.user(e.buyer_id), Room.order(e.order_id), ADMIN_ROOM],
            invalidate=lambda e: [("orders", e.order_id)],
            description="A test order.",
            inbox=True,
        ),
        EventSpec(
            "product:shown",
            Placed,
            lambda e: [Room.user(e.seller_id), *([Room.storefront(e.seller_id)] if e.published else [])],
            description="Conditional storefront.",
        ),
        *EPHEMERAL_EVENTS,
    ]


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    # A channel's message is itself a reference to components: follow it.
    return _resolve(document, node["$ref"]) if isinstance(node, dict) and "$ref" in node else node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def _received(document: dict[str, Any]) -> dict[str, set[str]]:
    """Per event name: the room kinds of the receive operations listing it."""
    out: dict[str, set[str]] = {}
    for operation in document["operations"].values():
        if operation["action"] != "receive":
            continue
        channel = _resolve(document, operation["channel"]["$ref"])
        if channel["address"] is None:  # the socket's own channel (sync:recovered), not a room
            continue
        for ref in operation["messages"]:
            out.setdefault(_resolve(document, ref["$ref"])["name"], set()).add(
                channel["address"].partition(":")[0]
            )
    return out


def test_one_channel_per_room_kind_with_its_parameter() -> None:
    document = build_asyncapi(_specs(), version="1.2.3")
    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["version"] == "1.2.3"
    addresses = {key: channel["address"] for key, channel in document["channels"].items()}
    assert addresses == {
        "user": "user:{userId}",
        "admin": "admin",
        "sellers": "sellers",
        "everyone": "everyone",
        "kitchen": "kitchen:{sellerId}",
        "order": "order:{orderId}",
        "product": "product:{productId}",
        "storefront": "storefront:{sellerId}",
        "chat": "chat:{chatRoomId}",
        "socket": None,
    }
    for channel in document["channels"].values():
        named = set(re.findall(r"\{(\w+)\}", channel["address"] or ""))
        assert named == set(channel.get("parameters", {})), channel["address"]


def test_every_event_is_a_message_with_its_envelope() -> None:
    document = build_asyncapi(_specs(), version="0")
    messages = document["components"]["messages"]
    placed = messages["order.placed"]
    assert placed["name"] == "order:placed"
    assert placed["summary"] == "A test order."
    assert placed["title"] == "Order placed"
    payload = placed["payload"]
    assert list(payload["properties"]) == ENVELOPE == payload["required"]
    assert payload["properties"]["type"] == {"type": "string", "const": "order:placed"}
    data = _resolve(document, payload["properties"]["data"]["$ref"])
    assert set(data["properties"]) == set(Placed.model_fields)
    assert placed["x-storewire"]["inbox"] is True
    assert [r["room"] for r in placed["x-storewire"]["rooms"]] == [
        "user:{buyer_id}",
        "order:{order_id}",
        "admin",
    ]
    # Ephemeral events are {type, ts, data}: nothing to resume from.
    typing = messages["chat.typing"]["payload"]
    assert list(typing["properties"]) == ["type", "ts", "data"]


def test_every_reference_resolves_and_every_key_is_valid() -> None:
    document = build_asyncapi(build_catalog(), version="0")
    for ref in _refs(document):
        _resolve(document, ref)
    for section in ("schemas", "messages", "securitySchemes"):
        assert all(KEY.match(key) for key in document["components"][section]), section
    assert all(KEY.match(key) for key in document["operations"])


def test_receive_operations_follow_the_audience_functions() -> None:
    document = build_asyncapi(_specs(), version="0")
    received = _received(document)
    assert received["order:placed"] == {"user", "order", "admin"}
    assert received["product:shown"] == {"user", "storefront"}  # a conditional room is still a channel
    assert received["presence:joined"] == {k.value for k in ROOM_FIELD_KINDS["presence:joined"]}
    assert received["chat:typing"] == {"chat"}
    assert "receive.sellers" not in document["operations"]  # nothing is sent there in this catalog
    # Each operation's messages belong to its channel.
    for operation in document["operations"].values():
        channel_ref = operation["channel"]["$ref"]
        for ref in operation["messages"]:
            assert ref["$ref"].startswith(channel_ref + "/messages/")


def test_the_real_catalog_matches_describe() -> None:
    received = _received(build_asyncapi(build_catalog(), version="0"))
    for spec in build_catalog():
        if spec.name in ROOM_FIELD_KINDS:
            expected = {kind.value for kind in ROOM_FIELD_KINDS[spec.name]}
        else:
            expected = {room.value.partition(":")[0] for room in describe_event(spec).audience}
        assert received[spec.name] == expected, spec.name
        assert expected <= {kind.value for kind in RoomKind}


def test_client_events_are_sends_with_ack_replies() -> None:
    document = build_asyncapi(_specs(), version="0")
    join = document["operations"]["send.room.join"]
    assert join["action"] == "send"
    request = _resolve(document, join["messages"][0]["$ref"])
    assert request["name"] == "room:join"
    assert request["payload"]["required"] == ["room"]
    ack = _resolve(document, join["reply"]["messages"][0]["$ref"])
    success, failure = ack["payload"]["oneOf"]
    assert success["properties"]["ok"]["const"] is True
    assert _resolve(document, failure["$ref"])["properties"]["ok"]["const"] is False
    pattern = re.compile(document["components"]["schemas"]["RoomName"]["pattern"])
    for good in ("admin", "sellers", "order:ord_1", "chat:c-2"):
        assert pattern.match(good), good
    for bad in ("admin:x", "order", "order:", "nope:1"):
        assert not pattern.match(bad), bad


def test_rendering_is_deterministic_json() -> None:
    first = render_asyncapi(build_catalog(), version="0")
    assert first == render_asyncapi(build_catalog(), version="0")
    assert json.loads(first) == build_asyncapi(build_catalog(), version="0")
