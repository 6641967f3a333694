"""The order state machine over REST, and each of its events reaching exactly its rooms.

Every event is checked on five real sockets: the buyer (``user:{buyer}``), the seller
(``user:{seller}``), the seller's kitchen staff (``kitchen:{seller}``), an admin that joined only the
order's room (``order:{id}``), and another buyer who must get nothing. A ``Fence`` proves that
"exactly once" and "nothing" are final, without waiting on a clock.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support import PASSWORD, Api, Fence, Listener, ServerProcess, User, _server_env, close_all, listen

pytestmark = pytest.mark.integration

TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ENVELOPE = {"id", "type", "epoch", "seq", "ts", "data", "invalidate"}
ORDER_FIELDS = {
    "order_id",
    "buyer_id",
    "seller_id",
    "status",
    "payment_status",
    "total_cents",
    "currency",
    "tracking_number",
}


@dataclass
class Crew:
    """One seller with a kitchen staff member, and an admin (created once per module: the CLI is slow)."""

    seller: User
    staff_token: str
    admin_token: str


def _cli_user(server: ServerProcess, http: httpx.Client, role: str, seller_id: str | None = None) -> str:
    email = f"{role}-{secrets.token_hex(6)}@example.com"
    command = [sys.executable, "-m", "storewire", "users", "create", "--email", email]
    command += ["--password", PASSWORD, "--role", role]
    command += ["--seller-id", seller_id] if seller_id else []
    done = subprocess.run(command, env=_server_env(server), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    login = http.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    token: str = login.json()["access_token"]
    return token


def make_crew(server: ServerProcess) -> Crew:
    with httpx.Client(base_url=f"{server.url}/api/v1", timeout=30) as http:
        email = f"seller-{secrets.token_hex(6)}@example.com"
        body = {"email": email, "password": PASSWORD, "name": "seller user", "role": "seller"}
        assert http.post("/auth/register", json=body).status_code == 201
        login = http.post("/auth/login", json={"email": email, "password": PASSWORD}).json()
        seller = User(login["user"]["id"], email, "seller", login["access_token"])
        return Crew(seller, _cli_user(server, http, "staff", seller.id), _cli_user(server, http, "admin"))


@pytest.fixture(scope="module")
def crew(server: ServerProcess) -> Crew:
    return make_crew(server)


def assert_envelope(envelope: dict[str, Any], name: str, order_id: str) -> None:
    assert set(envelope) == ENVELOPE, envelope
    assert envelope["type"] == name
    assert envelope["id"].startswith("evt_")
    assert isinstance(envelope["seq"], int) and envelope["seq"] > 0
    assert isinstance(envelope["epoch"], str) and envelope["epoch"]
    assert TS.match(envelope["ts"]), envelope["ts"]
    assert set(envelope["data"]) >= ORDER_FIELDS, envelope["data"]
    assert envelope["data"]["order_id"] == order_id
    assert envelope["invalidate"] == [["orders", order_id], ["orders"]]


@dataclass
class Audience:
    """The sockets of one order's audience, and an outsider."""

    buyer: Listener
    seller: Listener
    staff: Listener
    room: Listener  # an admin in order:{id} only (admins are not in the other rooms of these events)
    outsider: Listener
    fence: Fence
    order_id: str

    @property
    def members(self) -> list[Listener]:
        return [self.buyer, self.seller, self.staff, self.room]

    @classmethod
    async def open(
        cls, server: ServerProcess, api: Api, crew: Crew, buyer: User, order_id: str, transports: list[str]
    ) -> Audience:
        outsider = await api.register("buyer")
        tokens = [buyer.token, crew.seller.token, crew.staff_token, crew.admin_token, outsider.token]
        sockets: list[Listener] = []
        try:
            for token in tokens:
                sockets.append(await listen(server.url, token, transports))
            room = f"order:{order_id}"
            assert await sockets[3].join(room) == {"ok": True, "room": room}
            # An outsider may not join the order's room either.
            refused = await sockets[4].join(room)
            assert refused["ok"] is False and refused["error"]["code"] == "forbidden", refused
            fence = await Fence.create(api)
            await fence.join(*sockets)
        except BaseException:
            await close_all(*sockets)
            raise
        return cls(*sockets, fence=fence, order_id=order_id)

    async def close(self) -> None:
        await close_all(self.buyer, self.seller, self.staff, self.room, self.outsider)

    def of(self, listener: Listener, name: str) -> list[dict[str, Any]]:
        return [e for e in listener.of(name) if e["data"].get("order_id") == self.order_id]

    async def settle(self) -> None:
        """Everything sent so far has arrived on every socket."""
        await self.fence.wait(*self.members, self.outsider)

    async def expect(self, name: str, count: int = 1) -> list[dict[str, Any]]:
        """After ``settle``: each member got exactly ``count`` ``name`` events of this order, the same
        envelopes in the same order, and the outsider got nothing but the fences."""
        await self.settle()
        seen = [self.of(listener, name) for listener in self.members]
        assert all(len(events) == count for events in seen), [len(events) for events in seen]
        assert all(events == seen[0] for events in seen)  # one event, one envelope each
        for envelope in seen[0]:
            assert_envelope(envelope, name, self.order_id)
        assert len({e["id"] for e in seen[0]}) == count
        self.assert_outsider_clean()
        return seen[0]

    def assert_outsider_clean(self) -> None:
        assert [e for e, _ in self.outsider.events if e != "product:created"] == []


async def stock_of(api: Api, seller: User, product: dict[str, Any]) -> int:
    response = await api.http.get(f"/products/{product['id']}", headers=seller.headers)
    assert response.status_code == 200, response.text
    stock: int = response.json()["variants"][0]["stock"]
    return stock


async def place(api: Api, crew: Crew, stock: int = 5, quantity: int = 2) -> tuple[User, dict[str, Any], str]:
    buyer = await api.register("buyer")
    product = await api.product(crew.seller, stock=stock)
    placed = await api.order(buyer, product["variants"][0]["id"], quantity)
    assert placed.status_code == 201, placed.text
    return buyer, product, placed.json()["id"]


def headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def post(api: Api, path: str, token: str, body: dict[str, Any] | None = None) -> httpx.Response:
    return await api.http.post(path, headers=headers(token), json=body)


def assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code, response.text


async def test_every_forward_step_reaches_exactly_its_rooms(
    server: ServerProcess, api: Api, crew: Crew, transports: list[str]
) -> None:
    buyer, _, order_id = await place(api, crew)
    audience = await Audience.open(server, api, crew, buyer, order_id, transports)
    try:
        steps = ["confirmed", "preparing", "ready", "shipped", "delivered"]
        for step in steps:
            body = {"status": step, **({"tracking_number": "TRACK-1"} if step == "shipped" else {})}
            moved = await post(api, f"/orders/{order_id}/status", crew.seller.token, body)
            assert moved.status_code == 200, moved.text
            assert moved.json()["status"] == step
        events = await audience.expect("order:status_changed", len(steps))
        assert [e["data"]["status"] for e in events] == steps
        assert [e["data"]["previous_status"] for e in events] == ["pending", *steps[:-1]]
        assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
        assert events[-1]["data"]["tracking_number"] == "TRACK-1"
        (fulfillment,) = await audience.expect("order:fulfillment_updated")
        assert fulfillment["data"]["status"] == "shipped"
        assert fulfillment["data"]["tracking_number"] == "TRACK-1"
        assert fulfillment["data"]["carrier"] is None
    finally:
        await audience.close()


async def test_illegal_moves_get_typed_errors_and_emit_nothing(
    server: ServerProcess, api: Api, crew: Crew
) -> None:
    buyer, _, order_id = await place(api, crew)
    audience = await Audience.open(server, api, crew, buyer, order_id, ["websocket"])
    path = f"/orders/{order_id}/status"
    try:
        skipped = await post(api, path, crew.staff_token, {"status": "ready"})  # staff; steps may be skipped
        assert skipped.status_code == 200 and skipped.json()["status"] == "ready", skipped.text
        for status in ("confirmed", "preparing", "ready"):  # backwards or standing still
            assert_problem(
                await post(api, path, crew.seller.token, {"status": status}), 409, "invalid_transition"
            )
        assert_problem(await post(api, path, buyer.token, {"status": "shipped"}), 403, "forbidden")
        assert_problem(await post(api, path, crew.admin_token, {"status": "shipped"}), 403, "forbidden")
        outsider = await api.register("buyer")
        assert_problem(await post(api, path, outsider.token, {"status": "shipped"}), 404, "not_found")
        for status in ("lost", "pending", "cancelled", "refunded"):  # not a forward status at all
            assert_problem(
                await post(api, path, crew.seller.token, {"status": status}), 422, "invalid_payload"
            )
        tracked_early = {"status": "shipped", "tracking_number": "T", "eta": "soon"}
        assert_problem(await post(api, path, crew.seller.token, tracked_early), 422, "invalid_payload")
        unknown = await post(api, "/orders/ord_nope/status", crew.seller.token, {"status": "shipped"})
        assert_problem(unknown, 404, "not_found")
        (event,) = await audience.expect("order:status_changed")
        assert event["data"]["previous_status"] == "pending" and event["data"]["status"] == "ready"
        assert audience.of(audience.buyer, "order:fulfillment_updated") == []

        # A tracking number belongs to shipping; a cancelled order moves no more.
        other_buyer, _, other_id = await place(api, crew)
        early = {"status": "confirmed", "tracking_number": "T-0"}
        assert_problem(
            await post(api, f"/orders/{other_id}/status", crew.seller.token, early), 422, "invalid_payload"
        )
        assert (await post(api, f"/orders/{other_id}/cancel", other_buyer.token)).status_code == 200
        dead = await post(api, f"/orders/{other_id}/status", crew.seller.token, {"status": "confirmed"})
        assert_problem(dead, 409, "invalid_transition")
    finally:
        await audience.close()


async def test_the_buyer_cancels_a_pending_order_and_its_stock_comes_back(
    server: ServerProcess, api: Api, crew: Crew
) -> None:
    buyer, product, order_id = await place(api, crew, stock=5, quantity=2)
    assert await stock_of(api, crew.seller, product) == 3
    audience = await Audience.open(server, api, crew, buyer, order_id, ["websocket"])
    try:
        cancelled = await post(api, f"/orders/{order_id}/cancel", buyer.token, {"reason": "changed my mind"})
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        assert cancelled.json()["cancel_reason"] == "changed my mind"
        assert cancelled.json()["payment_status"] == "unpaid"
        assert await stock_of(api, crew.seller, product) == 5
        (event,) = await audience.expect("order:cancelled")
        assert event["data"]["status"] == "cancelled"
        assert event["data"]["previous_status"] == "pending"
        assert event["data"]["reason"] == "changed my mind"
        assert event["data"]["cancelled_by"] == "buyer"
        # The stock events are the products module's, to the seller (not to the buyer's sockets).
        changed = await audience.seller.wait_for_match(
            "product:stock_changed",
            lambda e: e["data"]["variant_id"] == product["variants"][0]["id"] and e["data"]["stock"] == 5,
        )
        assert changed["data"]["previous_stock"] == 3
        again = await post(api, f"/orders/{order_id}/cancel", buyer.token)
        assert_problem(again, 409, "invalid_transition")
        assert await stock_of(api, crew.seller, product) == 5  # given back once
        await audience.expect("order:cancelled")
    finally:
        await audience.close()


async def test_cancel_rules_per_role(api: Api, crew: Crew) -> None:
    # The buyer only while pending.
    buyer, product, order_id = await place(api, crew)
    assert (
        await post(api, f"/orders/{order_id}/status", crew.seller.token, {"status": "confirmed"})
    ).status_code == 200
    assert_problem(await post(api, f"/orders/{order_id}/cancel", buyer.token), 409, "invalid_transition")
    outsider = await api.register("buyer")
    assert_problem(await post(api, f"/orders/{order_id}/cancel", outsider.token), 404, "not_found")
    extra = await post(api, f"/orders/{order_id}/cancel", buyer.token, {"reason": "x", "refund": True})
    assert_problem(extra, 422, "invalid_payload")
    # Staff, the seller and admins before shipping.
    staff = await post(api, f"/orders/{order_id}/cancel", crew.staff_token, {"reason": "out of beans"})
    assert staff.status_code == 200 and staff.json()["status"] == "cancelled", staff.text
    assert await stock_of(api, crew.seller, product) == 5

    for canceller, step in ((crew.seller.token, "ready"), (crew.admin_token, "preparing")):
        _, product, order_id = await place(api, crew)
        assert (
            await post(api, f"/orders/{order_id}/status", crew.seller.token, {"status": step})
        ).status_code == 200
        done = await post(api, f"/orders/{order_id}/cancel", canceller)
        assert done.status_code == 200 and done.json()["status"] == "cancelled", done.text
        assert await stock_of(api, crew.seller, product) == 5

    # Nobody from shipped on; the units stay sold.
    buyer, product, order_id = await place(api, crew)
    assert (
        await post(api, f"/orders/{order_id}/status", crew.seller.token, {"status": "shipped"})
    ).status_code == 200
    for token in (crew.seller.token, crew.staff_token, crew.admin_token, buyer.token):
        assert_problem(await post(api, f"/orders/{order_id}/cancel", token), 409, "invalid_transition")
    assert await stock_of(api, crew.seller, product) == 3


async def test_a_paid_order_is_refunded_not_cancelled(server: ServerProcess, api: Api, crew: Crew) -> None:
    buyer, product, order_id = await place(api, crew, stock=5, quantity=2)
    paid = await post(api, f"/dev/payments/{order_id}", buyer.token, {"outcome": "succeeded"})
    assert paid.status_code == 200 and paid.json()["order"]["payment_status"] == "paid", paid.text
    assert (
        await post(api, f"/orders/{order_id}/status", crew.seller.token, {"status": "confirmed"})
    ).status_code == 200
    audience = await Audience.open(server, api, crew, buyer, order_id, ["websocket"])
    try:
        for token in (buyer.token, crew.seller.token, crew.staff_token, crew.admin_token):
            assert_problem(await post(api, f"/orders/{order_id}/cancel", token), 409, "refund_required")
        # Refunds are the seller's or an admin's, never staff's or the buyer's.
        assert_problem(await post(api, f"/orders/{order_id}/refund", crew.staff_token), 403, "forbidden")
        assert_problem(await post(api, f"/orders/{order_id}/refund", buyer.token), 403, "forbidden")
        refunded = await post(api, f"/orders/{order_id}/refund", crew.seller.token)
        assert refunded.status_code == 200, refunded.text
        assert refunded.json()["status"] == "refunded"
        assert refunded.json()["payment_status"] == "refunded"
        assert await stock_of(api, crew.seller, product) == 5
        (event,) = await audience.expect("order:refunded")
        assert event["data"]["previous_status"] == "confirmed"
        assert event["data"]["stock_returned"] is True
        assert event["data"]["payment_status"] == "refunded"
        assert audience.of(audience.buyer, "order:cancelled") == []
        assert_problem(await post(api, f"/orders/{order_id}/refund", crew.seller.token), 409, "not_paid")
        assert await stock_of(api, crew.seller, product) == 5
    finally:
        await audience.close()


async def test_refund_after_shipping_keeps_the_units_sold(api: Api, crew: Crew) -> None:
    buyer, product, order_id = await place(api, crew, stock=5, quantity=2)
    assert_problem(await post(api, f"/orders/{order_id}/refund", crew.seller.token), 409, "not_paid")
    assert (
        await post(api, f"/dev/payments/{order_id}", buyer.token, {"outcome": "succeeded"})
    ).status_code == 200
    shipped = {"status": "shipped", "tracking_number": "TR-9"}
    assert (await post(api, f"/orders/{order_id}/status", crew.seller.token, shipped)).status_code == 200
    refunded = await post(api, f"/orders/{order_id}/refund", crew.admin_token)
    assert refunded.status_code == 200 and refunded.json()["status"] == "refunded", refunded.text
    assert await stock_of(api, crew.seller, product) == 3


async def test_fulfillment_updates_after_shipping(server: ServerProcess, api: Api, crew: Crew) -> None:
    buyer, _, order_id = await place(api, crew)
    path = f"/orders/{order_id}/fulfillment"
    audience = await Audience.open(server, api, crew, buyer, order_id, ["websocket"])
    try:
        assert_problem(
            await post(api, path, crew.seller.token, {"tracking_number": "T-1"}), 409, "not_shipped"
        )
        assert (
            await post(api, f"/orders/{order_id}/status", crew.seller.token, {"status": "shipped"})
        ).status_code == 200
        assert_problem(await post(api, path, buyer.token, {"tracking_number": "T-1"}), 403, "forbidden")
        assert_problem(await post(api, path, crew.seller.token, {"carrier": "DHL"}), 422, "invalid_payload")
        assert_problem(
            await post(api, path, crew.seller.token, {"tracking_number": ""}), 422, "invalid_payload"
        )

        first = await post(api, path, crew.staff_token, {"tracking_number": "T-1", "carrier": "DHL"})
        assert first.status_code == 200, first.text
        assert (first.json()["tracking_number"], first.json()["carrier"]) == ("T-1", "DHL")
        same = await post(api, path, crew.seller.token, {"tracking_number": "T-1"})  # carrier kept, no change
        assert same.status_code == 200 and same.json()["carrier"] == "DHL", same.text
        (event,) = await audience.expect("order:fulfillment_updated")
        assert (event["data"]["tracking_number"], event["data"]["carrier"]) == ("T-1", "DHL")

        changed = await post(api, path, crew.seller.token, {"tracking_number": "T-2", "carrier": "UPS"})
        assert changed.status_code == 200, changed.text
        events = await audience.expect("order:fulfillment_updated", 2)
        assert (events[1]["data"]["tracking_number"], events[1]["data"]["carrier"]) == ("T-2", "UPS")
        got = await api.http.get(f"/orders/{order_id}", headers=buyer.headers)
        assert (got.json()["tracking_number"], got.json()["carrier"]) == ("T-2", "UPS")

        # Delivered orders may still have their tracking corrected; the status event carries it.
        delivered = await post(api, f"/orders/{order_id}/status", crew.seller.token, {"status": "delivered"})
        assert delivered.json()["tracking_number"] == "T-2"
        assert (await post(api, path, crew.seller.token, {"tracking_number": "T-3"})).status_code == 200
        await audience.expect("order:fulfillment_updated", 3)
    finally:
        await audience.close()
