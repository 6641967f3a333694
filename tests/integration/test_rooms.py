"""room:join and room:leave follow the policy of DESIGN §3 and always answer with an ack."""

from __future__ import annotations

import pytest

from tests.support import Api, ServerProcess, close_all, listen

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


async def test_left_room_stops_delivery(server: ServerProcess, api: Api) -> None:
    seller, buyer = await api.register("seller"), await api.register("buyer")
    admin_view = await api.register("buyer")  # a second buyer never in the order's rooms
    product = await api.product(seller)
    order = (await api.order(buyer, product["variants"][0]["id"])).json()
    seller_socket = await listen(server.url, seller.token, ["websocket"])
    watcher = await listen(server.url, admin_view.token, ["websocket"])
    try:
        assert (await seller_socket.join(f"order:{order['id']}"))["ok"] is True
        moved = await api.http.post(
            f"/orders/{order['id']}/status", headers=seller.headers, json={"status": "confirmed"}
        )
        assert moved.status_code == 200
        (first,) = await seller_socket.wait_for("order:status_changed")
        assert first["data"]["status"] == "confirmed"
        assert watcher.of("order:status_changed") == []
    finally:
        await close_all(seller_socket, watcher)
