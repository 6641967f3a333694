"""Order events reach exactly their audience, in one envelope, with strictly increasing seq."""

from __future__ import annotations

import asyncio
import itertools
import re

import pytest

from tests.support import Api, ServerProcess, _user_token, close_all, listen

pytestmark = pytest.mark.integration

TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


async def test_order_created_reaches_buyer_seller_admin_and_kitchen_only(
    server: ServerProcess, api: Api, transports: list[str]
) -> None:
    seller, buyer, other = (
        await api.register("seller"),
        await api.register("buyer"),
        await api.register("buyer"),
    )
    product = await api.product(seller, stock=5)
    variant = product["variants"][0]["id"]
    buyer_socket = await listen(server.url, buyer.token, transports)
    seller_socket = await listen(server.url, seller.token, transports)
    other_socket = await listen(server.url, other.token, transports)
    try:
        placed = await api.order(buyer, variant, 2)
        assert placed.status_code == 201, placed.text
        order = placed.json()

        (buyer_event,) = await buyer_socket.wait_for("order:created")
        (seller_event,) = await seller_socket.wait_for("order:created")
        assert buyer_event == seller_event  # one event, one envelope
        assert set(buyer_event) == {"id", "type", "epoch", "seq", "ts", "data", "invalidate"}
        assert buyer_event["type"] == "order:created"
        assert buyer_event["id"].startswith("evt_")
        assert isinstance(buyer_event["seq"], int) and buyer_event["seq"] > 0
        assert re.fullmatch(r"[0-9a-f]{16}", buyer_event["epoch"])
        assert TS.match(buyer_event["ts"]), buyer_event["ts"]
        assert buyer_event["data"] == {
            "order_id": order["id"],
            "buyer_id": buyer.id,
            "seller_id": seller.id,
            "status": "pending",
            "payment_status": "unpaid",
            "total_cents": 2500,
            "currency": "EUR",
            "tracking_number": None,
        }
        assert buyer_event["invalidate"] == [["orders", order["id"]], ["orders"]]

        # A later event to the other buyer proves its socket works and got nothing before.
        own = await api.order(other, variant, 1)
        assert own.status_code == 201
        (other_event,) = await other_socket.wait_for("order:created")
        assert other_event["data"]["order_id"] == own.json()["id"]
        assert other_event["seq"] > buyer_event["seq"]
        assert [e for e, _ in other_socket.events if e != "notification:created"] == ["order:created"]
        assert len(buyer_socket.of("order:created")) == 1
    finally:
        await close_all(buyer_socket, seller_socket, other_socket)


async def test_admin_and_kitchen_staff_receive_and_a_socket_in_many_rooms_gets_one_copy(
    server: ServerProcess, api: Api
) -> None:
    seller, buyer = await api.register("seller"), await api.register("buyer")
    admin_token = await _user_token(server, api, "admin")
    staff_token = await _user_token(server, api, "staff", seller_id=seller.id)
    product = await api.product(seller)
    admin_socket = await listen(server.url, admin_token, ["websocket"])
    staff_socket = await listen(server.url, staff_token, ["websocket"])
    seller_socket = await listen(server.url, seller.token, ["websocket"])
    try:
        # The seller is also in its kitchen room: an event to user:{seller} and kitchen:{seller} comes once.
        assert (await seller_socket.join(f"kitchen:{seller.id}"))["ok"] is True
        placed = await api.order(buyer, product["variants"][0]["id"])
        assert placed.status_code == 201
        order_id = placed.json()["id"]
        (admin_event,) = await admin_socket.wait_for("order:created")
        (staff_event,) = await staff_socket.wait_for("order:created")
        assert admin_event["data"]["order_id"] == staff_event["data"]["order_id"] == order_id
        # Only the admin room hears order:created beyond the order's parties; status changes skip it.
        seller_http = {"Authorization": f"Bearer {seller.token}"}
        moved = await api.http.post(
            f"/orders/{order_id}/status", headers=seller_http, json={"status": "confirmed"}
        )
        assert moved.status_code == 200, moved.text
        await staff_socket.wait_for("order:status_changed")
        await seller_socket.wait_for("order:status_changed")
        assert len(seller_socket.of("order:created")) == 1
        assert len(seller_socket.of("order:status_changed")) == 1
        assert admin_socket.of("order:status_changed") == []
    finally:
        await close_all(admin_socket, staff_socket, seller_socket)


async def test_status_changes_reach_order_room_members_with_increasing_seq(
    server: ServerProcess, api: Api, transports: list[str]
) -> None:
    seller, buyer = await api.register("seller"), await api.register("buyer")
    product = await api.product(seller)
    placed = await api.order(buyer, product["variants"][0]["id"])
    order_id = placed.json()["id"]
    buyer_socket = await listen(server.url, buyer.token, transports)
    try:
        assert await buyer_socket.join(f"order:{order_id}") == {"ok": True, "room": f"order:{order_id}"}
        steps = ["confirmed", "preparing", "ready", "shipped", "delivered"]
        for step in steps:
            body = {"status": step, **({"tracking_number": "TRACK-1"} if step == "shipped" else {})}
            moved = await api.http.post(f"/orders/{order_id}/status", headers=seller.headers, json=body)
            assert moved.status_code == 200, moved.text
        events = await buyer_socket.wait_for("order:status_changed", len(steps))
        assert [e["data"]["status"] for e in events] == steps
        assert [e["data"]["previous_status"] for e in events] == ["pending", *steps[:-1]]
        seqs = [e["seq"] for e in events]
        assert all(a < b for a, b in itertools.pairwise(seqs)), seqs
        assert events[-1]["data"]["tracking_number"] == "TRACK-1"
        # user:{buyer} and order:{id} both match, yet each event arrives once
        assert len({e["id"] for e in events}) == len(events)
        backwards = await api.http.post(
            f"/orders/{order_id}/status", headers=seller.headers, json={"status": "ready"}
        )
        assert backwards.status_code == 409 and backwards.json()["code"] == "invalid_transition"
        await asyncio.sleep(0)
    finally:
        await buyer_socket.close()


async def test_x_socket_id_excludes_the_acting_socket_only(server: ServerProcess, api: Api) -> None:
    seller, buyer = await api.register("seller"), await api.register("buyer")
    product = await api.product(seller)
    acting = await listen(server.url, buyer.token, ["websocket"])
    other_device = await listen(server.url, buyer.token, ["websocket"])
    try:
        placed = await api.order(
            buyer, product["variants"][0]["id"], **{"X-Socket-Id": acting.client.get_sid()}
        )
        assert placed.status_code == 201
        await other_device.wait_for("order:created")
        second = await api.order(buyer, product["variants"][0]["id"])
        assert second.status_code == 201
        (only,) = await acting.wait_for("order:created")
        assert only["data"]["order_id"] == second.json()["id"]
    finally:
        await close_all(acting, other_device)
