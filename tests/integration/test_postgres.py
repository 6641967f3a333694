"""Orders on a real PostgreSQL server: concurrency, status races, 64-bit money, NUL bytes, the relay.

SQLite serialises every writer, so these paths only show their bugs on PostgreSQL (DESIGN §6).
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from typing import Any

import httpx
import pytest

from tests.postgres import PostgresCluster, cluster_and_server_fixtures
from tests.support import PASSWORD, Api, ServerProcess, User, _user_token, close_all, listen

# One worker runs the whole module: one cluster and one server, and nothing else publishes meanwhile.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("postgres")]

FLOW = ["pending", "confirmed", "preparing", "ready", "shipped", "delivered"]


postgres, server = cluster_and_server_fixtures("pg-server")


async def stock_of(api: Api, seller: User, product: dict[str, Any]) -> int:
    response = await api.http.get(f"/products/{product['id']}", headers=seller.headers)
    assert response.status_code == 200, response.text
    stock: int = response.json()["variants"][0]["stock"]
    return stock


def unexpected(results: list[httpx.Response], *allowed: int) -> str:
    """The responses whose status is not allowed, one a line (empty when all are)."""
    return "\n".join(f"{r.status_code} {r.text}" for r in results if r.status_code not in allowed)


async def test_concurrent_checkouts_never_oversell(server: ServerProcess, api: Api) -> None:
    seller = await api.register("seller")
    buyers = await asyncio.gather(*(api.register("buyer") for _ in range(6)))
    product = await api.product(seller, stock=7)
    variant = product["variants"][0]["id"]
    seller_socket = await listen(server.url, seller.token, ["websocket"])
    try:
        results = await asyncio.gather(*(api.order(buyers[i % 6], variant, 1 + i % 2) for i in range(40)))
        assert not (bad := unexpected(results, 201, 409)), bad
        placed = [r.json() for r in results if r.status_code == 201]
        assert {r.json()["code"] for r in results if r.status_code == 409} <= {"insufficient_stock"}
        sold = sum(order["items"][0]["quantity"] for order in placed)
        assert sold <= 7
        assert await stock_of(api, seller, product) == 7 - sold
        # 40 attempts of 1 or 2 units must sell out: at most one unit can be stranded.
        assert 7 - sold <= 1
        events = await seller_socket.wait_for("order:created", len(placed))
        assert sorted(e["data"]["order_id"] for e in events) == sorted(order["id"] for order in placed)
        seqs = [e["seq"] for e in events]
        assert all(a < b for a, b in itertools.pairwise(seqs)), seqs
    finally:
        await seller_socket.close()


async def test_two_item_orders_in_either_item_order_never_fail_with_500(api: Api) -> None:
    seller = await api.register("seller")
    buyers = await asyncio.gather(*(api.register("buyer") for _ in range(4)))
    first, second = await asyncio.gather(api.product(seller, stock=30), api.product(seller, stock=30))
    a, b = first["variants"][0]["id"], second["variants"][0]["id"]

    async def order(i: int) -> httpx.Response:
        # Half lock A then B, half B then A: the reservation must not deadlock between them.
        lines = [a, b] if i % 2 == 0 else [b, a]
        return await api.http.post(
            "/orders",
            headers=buyers[i % 4].headers,
            json={"items": [{"variant_id": vid, "quantity": 1} for vid in lines]},
        )

    results = await asyncio.gather(*(order(i) for i in range(40)))
    assert not (bad := unexpected(results, 201, 409)), bad
    assert {r.json()["code"] for r in results if r.status_code == 409} <= {"insufficient_stock"}
    placed = [r.json() for r in results if r.status_code == 201]
    sold = {a: 0, b: 0}
    for placed_order in placed:
        assert sorted(item["variant_id"] for item in placed_order["items"]) == sorted([a, b])
        for item in placed_order["items"]:
            sold[item["variant_id"]] += item["quantity"]
    # Every order takes one of each and both hold 30: exactly 30 orders fit, and both sell out.
    assert len(placed) == 30
    assert await stock_of(api, seller, first) == 30 - sold[a] == 0
    assert await stock_of(api, seller, second) == 30 - sold[b] == 0


async def test_concurrent_status_changes_never_move_an_order_backwards(
    server: ServerProcess, postgres: PostgresCluster, api: Api
) -> None:
    seller, buyer = await api.register("seller"), await api.register("buyer")
    staff_token = await _user_token(server, api, "staff", seller_id=seller.id)
    staff = {"Authorization": f"Bearer {staff_token}"}
    product = await api.product(seller, stock=20)
    orders = [await api.order(buyer, product["variants"][0]["id"]) for _ in range(20)]
    assert not (bad := unexpected(orders, 201)), bad
    ids = [r.json()["id"] for r in orders]
    seller_socket = await listen(server.url, seller.token, ["websocket"])
    try:

        async def move(order_id: str, headers: dict[str, str], status: str) -> httpx.Response:
            return await api.http.post(f"/orders/{order_id}/status", headers=headers, json={"status": status})

        # Per order, the seller ships while its staff confirms, all orders at once.
        moves = await asyncio.gather(
            *(move(i, h, s) for i in ids for h, s in ((seller.headers, "shipped"), (staff, "confirmed")))
        )
        assert not (bad := unexpected(moves, 200, 409)), bad
        assert {r.json()["code"] for r in moves if r.status_code == 409} <= {"invalid_transition"}
        accepted = [r for r in moves if r.status_code == 200]
        events = await seller_socket.wait_for("order:status_changed", len(accepted))
        problems = []
        for order_id, (shipped, confirmed) in zip(
            ids, zip(moves[::2], moves[1::2], strict=True), strict=True
        ):
            reported = [r.json()["status"] for r in (shipped, confirmed) if r.status_code == 200]
            final = (await api.http.get(f"/orders/{order_id}", headers=seller.headers)).json()["status"]
            chain = sorted((e for e in events if e["data"]["order_id"] == order_id), key=lambda e: e["seq"])
            steps = [(e["data"]["previous_status"], e["data"]["status"]) for e in chain]
            # The first change to commit always succeeds; "confirmed" after "shipped" must be refused.
            if not reported or FLOW.index(final) < max(FLOW.index(s) for s in reported):
                problems.append(f"{order_id}: final {final!r}, but 200 responses reported {reported}")
            # The events tell the order's history: each change starts where the one before ended.
            elif [s for _, s in steps] != sorted(reported, key=FLOW.index) or any(
                prev != (steps[n - 1][1] if n else "pending") for n, (prev, _) in enumerate(steps)
            ):
                problems.append(f"{order_id}: 200 responses {reported}, events {steps}")
        assert not problems, "\n".join(problems)
    finally:
        await seller_socket.close()


async def test_money_beyond_32_bits(api: Api) -> None:
    seller, buyer = await api.register("seller"), await api.register("buyer")
    created = await api.http.post(
        "/products",
        headers=seller.headers,
        json={
            "name": "Grand Piano",
            "status": "published",
            "variants": [{"name": "concert", "price_cents": 3_000_000_000, "currency": "EUR", "stock": 10}],
        },
    )
    assert created.status_code == 201, created.text
    product = created.json()
    assert product["variants"][0]["price_cents"] == 3_000_000_000
    placed = await api.order(buyer, product["variants"][0]["id"], 5)
    assert placed.status_code == 201, placed.text
    assert placed.json()["total_cents"] == 15_000_000_000
    assert placed.json()["items"][0]["unit_price_cents"] == 3_000_000_000
    # Read back from the database, not from the objects the request built.
    stored = await api.http.get(f"/orders/{placed.json()['id']}", headers=buyer.headers)
    assert stored.status_code == 200, stored.text
    assert stored.json()["total_cents"] == 15_000_000_000
    assert stored.json()["items"][0]["unit_price_cents"] == 3_000_000_000
    assert await stock_of(api, seller, product) == 5


async def test_nul_bytes_get_problem_json_not_500(api: Api) -> None:
    """PostgreSQL text cannot hold NUL: a request carrying one is the client's error (4xx), never a 500."""
    buyer = await api.register("buyer")
    email = f"nul-{secrets.token_hex(4)}@example.com"
    probes: dict[str, tuple[str, str, dict[str, Any]]] = {
        "GET order": ("GET", "/orders/a%00b", {}),
        "GET product": ("GET", "/products/a%00b", {}),
        "register name": (
            "POST",
            "/auth/register",
            {"json": {"email": email, "password": PASSWORD, "name": "a\u0000b", "role": "buyer"}},
        ),
        "login email": ("POST", "/auth/login", {"json": {"email": "a\u0000@x.com", "password": PASSWORD}}),
        "order variant": (
            "POST",
            "/orders",
            {"json": {"items": [{"variant_id": "a\u0000b", "quantity": 1}]}},
        ),
    }
    wrong = {}
    for what, (method, path, body) in probes.items():
        # A connection of its own each, so one probe's failure cannot spill into the next.
        headers = {**buyer.headers, "Connection": "close"}
        try:
            r = await api.http.request(method, path, headers=headers, **body)
        except httpx.TransportError as exc:
            wrong[what] = f"no response: {exc!r}"
            continue
        if not (
            400 <= r.status_code < 500
            and r.headers.get("content-type") == "application/problem+json"
            and isinstance(r.json().get("code"), str)
        ):
            wrong[what] = f"{r.status_code} {r.headers.get('content-type')} {r.text}"
    assert not wrong, "\n".join(f"{what}: {answer}" for what, answer in wrong.items())


async def test_relay_seq_is_gap_free_for_concurrent_orders(server: ServerProcess, api: Api) -> None:
    seller = await api.register("seller")
    buyers = await asyncio.gather(*(api.register("buyer") for _ in range(5)))
    product = await api.product(seller, stock=100)
    variant = product["variants"][0]["id"]
    sockets = [await listen(server.url, seller.token, t) for t in (["websocket"], ["polling"])]
    buyer_sockets = [await listen(server.url, buyer.token, ["websocket"]) for buyer in buyers]
    try:
        results = await asyncio.gather(*(api.order(buyers[i % 5], variant) for i in range(30)))
        assert not (bad := unexpected(results, 201)), bad
        placed = sorted(r.json()["id"] for r in results)
        # Each order also notifies its buyer (notification:created to user:{buyer}, 6 orders each):
        # those seqs are the only ones the seller does not see.
        buyer_seqs = {e["seq"] for s in buyer_sockets for e in await s.wait_for("notification:created", 6)}
        for socket in sockets:
            events = await socket.wait_for("order:created", 30)
            assert sorted(e["data"]["order_id"] for e in events) == placed
            # Nothing else is published meanwhile, so the seller sees every other seq, in order, once:
            # each order is one order:created, one product:stock_changed and a notification:created
            # for each party, committed together.
            await socket.wait_for("product:stock_changed", 30)
            await socket.wait_for("notification:created", 30)
            # The product's own product:created may or may not reach a socket that connected just
            # after it was published (the relay may fan it out after the connect): it is not counted.
            events = [e for name, e in socket.events if name != "product:created"]
            seqs = [e["seq"] for e in events]
            assert seqs == sorted(set(seqs)) and len(seqs) == 90, seqs
            every = sorted(set(seqs) | buyer_seqs)
            assert every == list(range(every[0], every[0] + 120)), every
            names = [name for name, _ in socket.events if name != "product:created"]
            assert sorted(set(names)) == ["notification:created", "order:created", "product:stock_changed"]
    finally:
        await close_all(*sockets, *buyer_sockets)


async def test_a_resume_replays_what_was_missed_on_postgresql(server: ServerProcess, api: Api) -> None:
    # The log's room index, the per-room LIMITed union and the capped count, on PostgreSQL.
    from tests.integration.test_resume import position_of, resume, until_sync

    seller = await api.register("seller")
    start = await position_of(server.url, seller, ["websocket"])
    made = [(await api.product(seller))["id"] for _ in range(12)]
    back = await resume(server.url, seller, start, ["websocket"])
    try:
        (sync,) = await back.wait_for("sync:recovered")
        assert sync["recovered"] is True, sync
        replayed = until_sync(back)
        assert [data["data"]["product_id"] for _, data in replayed] == made
        seqs = [data["seq"] for _, data in replayed]
        assert seqs == sorted(set(seqs)) and seqs[0] > start["seq"]
    finally:
        await back.close()
