"""The client helper's wire parsing (storewire.client.messages): envelopes, syncs, acks, refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from storewire.client.messages import (
    StorewireClientError,
    parse_ack,
    parse_connect_error,
    parse_event,
    parse_sync,
)
from storewire.client.tracker import Position, Sync

ENVELOPE: dict[str, Any] = {
    "id": "evt_1",
    "type": "order:created",
    "epoch": "e8f1c2d3a4b5c6d7",
    "seq": 1042,
    "ts": "2026-11-22T12:00:00.123Z",
    "data": {"order_id": "ord_1"},
    "invalidate": [["orders", "ord_1"], ["orders"]],
}


def test_an_envelope_parses_with_its_position_and_keys() -> None:
    event = parse_event("order:created", ENVELOPE)
    assert event is not None
    assert (event.id, event.type, event.epoch, event.seq) == (
        "evt_1",
        "order:created",
        ENVELOPE["epoch"],
        1042,
    )
    assert event.ts == datetime(2026, 11, 22, 12, 0, 0, 123000, tzinfo=UTC)
    assert event.invalidate == (("orders", "ord_1"), ("orders",))
    assert event.position == Position(ENVELOPE["epoch"], 1042)
    assert event.data == {"order_id": "ord_1"}


def test_an_ephemeral_event_has_no_position() -> None:
    raw = {"type": "chat:typing", "ts": "2026-11-22T12:00:00.123Z", "data": {"room": "chat:c1"}}
    event = parse_event("chat:typing", raw)
    assert event is not None
    assert (event.id, event.epoch, event.seq, event.position, event.invalidate) == (
        None,
        None,
        None,
        None,
        (),
    )


@pytest.mark.parametrize(
    "raw",
    [
        None,
        [ENVELOPE],
        {**ENVELOPE, "data": "x"},
        {**ENVELOPE, "ts": "yesterday"},
        {**ENVELOPE, "seq": -1},
        {**ENVELOPE, "seq": True},
        {**ENVELOPE, "epoch": None},
        {**ENVELOPE, "id": 3},
        {**ENVELOPE, "invalidate": "orders"},
    ],
)
def test_what_is_not_an_envelope_is_refused(raw: object) -> None:
    assert parse_event("order:created", raw) is None


def test_sync_payloads() -> None:
    assert parse_sync({"recovered": True, "epoch": "e", "seq": 5}) == Sync(True, "e", 5)
    room = {"recovered": False, "epoch": "e", "seq": 5, "room": "order:o", "reason": "expired"}
    assert parse_sync(room) == Sync(False, "e", 5, "order:o", "expired")
    for bad in (None, {"recovered": "yes", "epoch": "e", "seq": 1}, {"recovered": True, "epoch": "e"}):
        assert parse_sync(bad) is None


def test_acks_and_their_errors() -> None:
    assert parse_ack({"ok": True, "room": "order:o"}) == {"ok": True, "room": "order:o"}
    with pytest.raises(StorewireClientError) as refused:
        parse_ack({"ok": False, "error": {"code": "forbidden", "message": "no"}}, room="order:o")
    assert (refused.value.code, refused.value.message, refused.value.room) == ("forbidden", "no", "order:o")
    with pytest.raises(StorewireClientError) as odd:
        parse_ack("ok")
    assert odd.value.code == "bad_reply"


def test_connect_errors_carry_the_servers_code() -> None:
    refused = parse_connect_error(
        {"message": "expired", "data": {"code": "auth_expired", "message": "expired"}}
    )
    assert (refused.code, refused.message) == ("auth_expired", "expired")
    assert parse_connect_error("Connection refused by the server").code == "connect_failed"
