"""The foundation's wire contract, proven with the official JS ``socket.io-client`` 4.x.

pytest starts ``node tests/js/client.mjs`` (see that file for its line protocol) and drives real
socket.io-client instances against a real server, over WebSocket, over polling, and over polling upgraded
to WebSocket: envelopes reach exactly their audience, refused handshakes carry ``{code, message}``,
the join policy answers ``forbidden``, and ``seq`` strictly increases (DESIGN §2-4).
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from typing import Any

import jwt
import pytest

from tests.js_driver import NODE, UPGRADE, JsClient, JsDriver, connect
from tests.support import Api, ServerProcess, User

TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

pytestmark = [
    pytest.mark.integration,
    pytest.mark.node,
    pytest.mark.skipif(NODE is None, reason="Node.js (`node`) is not installed; the JS client tests need it"),
]


def assert_transport_held(client: JsClient, transports: list[str]) -> None:
    """The client stayed on the transport under test all along (upgrade case: upgraded once)."""
    upgrades = [r["transport"] for r in client.reports if r["type"] == "upgrade"]
    assert upgrades == (["websocket"] if transports == UPGRADE else []), client.reports
    assert not [r for r in client.reports if r["type"] in {"disconnect", "upgrade_error"}], client.reports


async def refused(
    js: JsDriver, server: ServerProcess, transports: list[str], auth: dict[str, Any] | None
) -> dict[str, Any]:
    client = await js.open(server.url, transports, auth=auth)
    outcome = await js.settle(client)
    assert outcome["type"] == "connect_error", f"the server accepted a client it must refuse: {outcome}"
    return outcome


async def close_all(*clients: JsClient) -> None:
    await asyncio.gather(*(client.close() for client in clients), return_exceptions=True)


def mint(secret: str, user: User, *, exp_offset: int = 3600, algorithm: str = "HS256") -> str:
    now = int(time.time())
    claims = {"iss": "storewire", "sub": user.id, "role": user.role, "iat": now, "exp": now + exp_offset}
    if algorithm == "none":
        return jwt.encode(claims, key="", algorithm="none")
    return jwt.encode(claims, secret, algorithm=algorithm)


async def test_order_created_reaches_buyer_and_seller_in_one_envelope_and_nobody_else(
    server: ServerProcess, api: Api, js: JsDriver, transports: list[str]
) -> None:
    seller, buyer, other = (
        await api.register("seller"),
        await api.register("buyer"),
        await api.register("buyer"),
    )
    product = await api.product(seller, stock=5)
    variant = product["variants"][0]["id"]
    buyer_socket = await connect(js, server, transports, buyer.token)
    seller_socket = await connect(js, server, transports, seller.token)
    other_socket = await connect(js, server, transports, other.token)
    try:
        placed = await api.order(buyer, variant, 2)
        assert placed.status_code == 201, placed.text
        order = placed.json()

        (buyer_event,) = await buyer_socket.wait_for("order:created")
        (seller_event,) = await seller_socket.wait_for("order:created")
        assert buyer_event == seller_event  # one event, one envelope
        assert set(buyer_event) == {"id", "type", "epoch", "seq", "ts", "data", "invalidate"}
        assert buyer_event["type"] == "order:created"
        assert isinstance(buyer_event["id"], str) and buyer_event["id"].startswith("evt_")
        assert isinstance(buyer_event["seq"], int) and buyer_event["seq"] > 0
        assert isinstance(buyer_event["epoch"], str) and buyer_event["epoch"]
        assert TS.match(buyer_event["ts"]), buyer_event["ts"]
        assert buyer_event["data"]["order_id"] == order["id"]
        assert buyer_event["data"]["buyer_id"] == buyer.id
        assert buyer_event["data"]["seller_id"] == seller.id
        assert buyer_event["data"]["status"] == "pending"
        assert buyer_event["data"]["total_cents"] == 2500
        assert buyer_event["invalidate"] == [["orders", order["id"]], ["orders"]]

        # The unrelated buyer's socket works (it gets its own order) and got nothing before that.
        own = await api.order(other, variant, 1)
        assert own.status_code == 201, own.text
        (other_event,) = await other_socket.wait_for("order:created")
        assert other_event["data"]["order_id"] == own.json()["id"]
        assert other_event["seq"] > buyer_event["seq"]
        assert [name for name, _ in other_socket.events if name != "notification:created"] == [
            "order:created"
        ]
        assert len(buyer_socket.of("order:created")) == 1
        for client in (buyer_socket, seller_socket, other_socket):
            assert_transport_held(client, transports)
    finally:
        await close_all(buyer_socket, seller_socket, other_socket)


async def test_refused_handshakes_carry_code_and_message(
    server: ServerProcess, api: Api, js: JsDriver, transports: list[str]
) -> None:
    buyer = await api.register("buyer")
    cases: list[tuple[str, dict[str, Any] | None, str]] = [
        ("no token", None, "auth_required"),
        ("wrong secret", {"token": mint("not-the-server-secret-0123456789abcdef", buyer)}, "auth_invalid"),
        ("expired", {"token": mint(server.jwt_secret, buyer, exp_offset=-60)}, "auth_expired"),
        ("alg=none", {"token": mint(server.jwt_secret, buyer, algorithm="none")}, "auth_invalid"),
    ]
    outcomes = await asyncio.gather(*(refused(js, server, transports, auth) for _, auth, _ in cases))
    for (label, _, code), outcome in zip(cases, outcomes, strict=True):
        data = outcome["data"]
        # socket.io-client hands the application an Error built from the CONNECT_ERROR payload:
        # `err.message` is payload.message and `err.data` is payload.data, so {code, message} must be
        # sent as the payload's `data` for a JS application to see the code at all.
        assert isinstance(data, dict), (
            f"{label}: the JS client's connect_error has no data {{code, message}} (err.data is "
            f"CONNECT_ERROR payload.data): {outcome}"
        )
        assert set(data) == {"code", "message"}, (label, outcome)
        assert data["code"] == code, (label, outcome)
        assert isinstance(data["message"], str) and data["message"], (label, outcome)
    assert outcomes[0]["data"] == {"code": "auth_required", "message": "a token is required to connect"}

    # The same client and transport connect fine with a valid token.
    accepted = await connect(js, server, transports, mint(server.jwt_secret, buyer))
    await accepted.close()


async def test_authorization_header_is_accepted(
    server: ServerProcess, api: Api, js: JsDriver, transports: list[str]
) -> None:
    buyer = await api.register("buyer")
    client = await connect(js, server, transports, headers={"Authorization": f"Bearer {buyer.token}"})
    try:
        assert await client.join(f"user:{buyer.id}") == {"ok": True, "room": f"user:{buyer.id}"}
        assert_transport_held(client, transports)
    finally:
        await client.close()


async def test_join_policy_refuses_other_peoples_rooms(
    server: ServerProcess, api: Api, js: JsDriver, transports: list[str]
) -> None:
    seller, buyer, other = (
        await api.register("seller"),
        await api.register("buyer"),
        await api.register("buyer"),
    )
    product = await api.product(seller)
    placed = await api.order(buyer, product["variants"][0]["id"])
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    buyer_socket = await connect(js, server, transports, buyer.token)
    other_socket = await connect(js, server, transports, other.token)
    try:
        for room in (f"user:{buyer.id}", f"order:{order_id}"):
            ack = await other_socket.join(room)
            assert isinstance(ack, dict) and ack["ok"] is False, (room, ack)
            assert set(ack) == {"ok", "error"}, (room, ack)
            assert set(ack["error"]) == {"code", "message"}, (room, ack)
            assert ack["error"]["code"] == "forbidden", (room, ack)

        assert await buyer_socket.join(f"order:{order_id}") == {"ok": True, "room": f"order:{order_id}"}
        assert await buyer_socket.call("room:leave", {"room": f"order:{order_id}"}) == {"ok": True}
        for client in (buyer_socket, other_socket):
            assert_transport_held(client, transports)
    finally:
        await close_all(buyer_socket, other_socket)


async def test_seq_strictly_increases_over_status_changes(
    server: ServerProcess, api: Api, js: JsDriver, transports: list[str]
) -> None:
    seller, buyer = await api.register("seller"), await api.register("buyer")
    product = await api.product(seller)
    placed = await api.order(buyer, product["variants"][0]["id"])
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    buyer_socket = await connect(js, server, transports, buyer.token)
    seller_socket = await connect(js, server, transports, seller.token)
    try:
        # In the order room and in user:{buyer}: each event still arrives once.
        assert await buyer_socket.join(f"order:{order_id}") == {"ok": True, "room": f"order:{order_id}"}
        steps = ["confirmed", "preparing", "ready", "shipped", "delivered"]
        for step in steps:
            body = {"status": step, **({"tracking_number": "TRACK-1"} if step == "shipped" else {})}
            moved = await api.http.post(f"/orders/{order_id}/status", headers=seller.headers, json=body)
            assert moved.status_code == 200, moved.text

        events = await buyer_socket.wait_for("order:status_changed", len(steps))
        seller_events = await seller_socket.wait_for("order:status_changed", len(steps))
        assert [e["data"]["status"] for e in events] == steps
        seqs = [e["seq"] for e in events]
        assert all(isinstance(seq, int) for seq in seqs), seqs
        assert all(a < b for a, b in itertools.pairwise(seqs)), seqs
        assert len({e["id"] for e in events}) == len(steps)
        assert len({e["epoch"] for e in events}) == 1
        assert seller_events == events  # the same envelopes, in the same order
        await asyncio.sleep(0.2)  # a duplicate would have arrived by now
        assert len(buyer_socket.of("order:status_changed")) == len(steps)
        for client in (buyer_socket, seller_socket):
            assert_transport_held(client, transports)
    finally:
        await close_all(buyer_socket, seller_socket)
