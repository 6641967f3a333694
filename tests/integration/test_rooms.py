"""room:join and room:leave follow the policy of DESIGN §3 and always answer with an ack."""

from __future__ import annotations

import asyncio

import pytest

from tests.support import Api, ServerProcess, _user_token, close_all, listen

pytestmark = pytest.mark.integration


async def test_join_policy(server: ServerProcess, api: Api, transports: list[str]) -> None:
    seller, buyer, other = (
        await api.register("seller"),
        await api.register("buyer"),
        await api.register("buyer"),
    )
    product = await api.product(seller)
    draft = await api.product(seller, status="draft")
    order = (await api.order(buyer, product["variants"][0]["id"])).json()
    buyer_socket = await listen(server.url, buyer.token, transports)
    other_socket = await listen(server.url, other.token, transports)
    seller_socket = await listen(server.url, seller.token, transports)
    try:
        forbidden = await other_socket.join(f"user:{buyer.id}")
        assert forbidden["ok"] is False and forbidden["error"]["code"] == "forbidden"
        forbidden = await other_socket.join(f"order:{order['id']}")
        assert forbidden["ok"] is False and forbidden["error"]["code"] == "forbidden"
        assert set(forbidden["error"]) == {"code", "message"}

        assert await buyer_socket.join(f"order:{order['id']}") == {"ok": True, "room": f"order:{order['id']}"}
        assert (await seller_socket.join(f"order:{order['id']}"))["ok"] is True
        assert (await seller_socket.join(f"kitchen:{seller.id}"))["ok"] is True
        assert (await other_socket.join(f"kitchen:{seller.id}"))["error"]["code"] == "forbidden"

        assert (await other_socket.join(f"product:{product['id']}"))["ok"] is True
        assert (await other_socket.join(f"product:{draft['id']}"))["error"]["code"] == "forbidden"
        assert (await seller_socket.join(f"product:{draft['id']}"))["ok"] is True
        assert (await other_socket.join(f"storefront:{seller.id}"))["ok"] is True
        assert (await other_socket.join(f"storefront:{buyer.id}"))["error"]["code"] == "not_found"
        assert (await other_socket.join("order:ord_doesnotexist"))["error"]["code"] == "not_found"
        assert (await other_socket.join("admin"))["error"]["code"] == "forbidden"
        assert (await other_socket.join("chat:nope"))["error"]["code"] == "not_found"

        for bad in ["", "nonsense", "order:", "order:a b", "admin:1", 42, None]:
            ack = await other_socket.client.call("room:join", {"room": bad}, timeout=10)
            assert ack["ok"] is False and ack["error"]["code"] == "invalid_room", (bad, ack)
        ack = await other_socket.client.call("room:join", "not an object", timeout=10)
        assert ack["error"]["code"] == "invalid_payload"
        ack = await other_socket.client.call("no:such_event", {}, timeout=10)
        assert ack["error"]["code"] == "invalid_payload"
        ack = await other_socket.client.call("room:join", {"room": "x" * 70_000}, timeout=10)
        assert ack["error"]["code"] == "invalid_payload"

        assert await buyer_socket.client.call("room:leave", {"room": f"order:{order['id']}"}, timeout=10) == {
            "ok": True
        }
    finally:
        await close_all(buyer_socket, other_socket, seller_socket)


async def test_left_room_stops_delivery_and_automatic_rooms_stay(server: ServerProcess, api: Api) -> None:
    seller, buyer = await api.register("seller"), await api.register("buyer")
    product = await api.product(seller)
    first_order = (await api.order(buyer, product["variants"][0]["id"])).json()
    second_order = (await api.order(buyer, product["variants"][0]["id"])).json()
    # A staff member hears orders through the kitchen room; it watches the first order's room too.
    staff = await listen(
        server.url, await _user_token(server, api, "staff", seller_id=seller.id), ["websocket"]
    )
    buyer_socket = await listen(server.url, buyer.token, ["websocket"])
    try:
        left = await buyer_socket.client.call("room:leave", {"room": f"user:{buyer.id}"}, timeout=10)
        assert left["ok"] is False and left["error"]["code"] == "forbidden"
        assert (await buyer_socket.join(f"user:{buyer.id}"))["ok"] is True  # already in it: a no-op
        assert (await staff.join(f"order:{first_order['id']}"))["ok"] is True
        left = await staff.client.call("room:leave", {"room": f"order:{first_order['id']}"}, timeout=10)
        assert left == {"ok": True}
        left = await staff.client.call("room:leave", {"room": f"kitchen:{seller.id}"}, timeout=10)
        assert left["error"]["code"] == "forbidden"
        # The staff member stays in the kitchen room: it hears about both orders once each.
        for order in (first_order, second_order):
            moved = await api.http.post(
                f"/orders/{order['id']}/status", headers=seller.headers, json={"status": "confirmed"}
            )
            assert moved.status_code == 200
        events = await staff.wait_for("order:status_changed", 2)
        assert [e["data"]["order_id"] for e in events] == [first_order["id"], second_order["id"]]
        await buyer_socket.wait_for("order:status_changed", 2)  # user: room kept after the no-op join
    finally:
        await close_all(staff, buyer_socket)


async def test_leaving_an_order_room_stops_its_events(server: ServerProcess, api: Api) -> None:
    seller, buyer, other = (
        await api.register("seller"),
        await api.register("buyer"),
        await api.register("buyer"),
    )
    product = await api.product(seller)
    order = (await api.order(buyer, product["variants"][0]["id"])).json()
    admin = await listen(server.url, await _user_token(server, api, "admin"), ["websocket"])
    try:
        assert (await admin.join(f"order:{order['id']}"))["ok"] is True
        status_url = f"/orders/{order['id']}/status"
        moved = await api.http.post(status_url, headers=seller.headers, json={"status": "confirmed"})
        assert moved.status_code == 200
        await admin.wait_for("order:status_changed")
        left = await admin.client.call("room:leave", {"room": f"order:{order['id']}"}, timeout=10)
        assert left == {"ok": True}
        moved = await api.http.post(status_url, headers=seller.headers, json={"status": "ready"})
        assert moved.status_code == 200
        # A later event to the admin room proves the admin's socket is live, and events arrive in order.
        own = await api.order(other, product["variants"][0]["id"])
        assert own.status_code == 201
        await admin.wait_for("order:created")
        assert [e["data"]["status"] for e in admin.of("order:status_changed")] == ["confirmed"]
    finally:
        await admin.close()


async def test_binary_and_concurrent_joins_are_bounded(server: ServerProcess, api: Api) -> None:
    seller, buyer = await api.register("seller"), await api.register("buyer")
    products = await asyncio.gather(*(api.product(seller) for _ in range(110)))
    sock = await listen(server.url, buyer.token, ["websocket"])
    try:
        ack = await sock.client.call("room:join", b"\x00\x01", timeout=10)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload"
        ack = await sock.client.call("room:join", {"room": b"order:x"}, timeout=10)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload"
        acks = await asyncio.gather(
            *(sock.client.call("room:join", {"room": f"product:{p['id']}"}, timeout=20) for p in products)
        )
        refused = [a for a in acks if not a["ok"]]
        assert sum(1 for a in acks if a["ok"]) == 100  # max_rooms_per_connection, even when joins race
        assert {a["error"]["code"] for a in refused} == {"too_many_rooms"}
    finally:
        await sock.close()
