"""REST: accounts, products and orders, with problem JSON errors and no overselling."""

from __future__ import annotations

import asyncio

import pytest

from tests.support import Api, ServerProcess, listen

pytestmark = pytest.mark.integration


async def test_register_login_me_and_problem_json(api: Api) -> None:
    buyer = await api.register("buyer")
    me = await api.http.get("/me", headers=buyer.headers)
    assert me.status_code == 200
    assert me.json() == {
        "id": buyer.id,
        "email": buyer.email,
        "name": "buyer user",
        "role": "buyer",
        "seller_id": None,
    }

    again = await api.http.post(
        "/auth/register", json={"email": buyer.email, "password": "whatever123", "name": "x", "role": "buyer"}
    )
    assert again.status_code == 409 and again.json()["code"] == "email_taken"
    assert again.headers["content-type"] == "application/problem+json"

    admin = await api.http.post(
        "/auth/register",
        json={"email": "a@example.com", "password": "whatever123", "name": "x", "role": "admin"},
    )
    assert admin.status_code == 422 and admin.json()["code"] == "invalid_payload"

    wrong = await api.http.post("/auth/login", json={"email": buyer.email, "password": "wrong-password"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "auth_invalid"
    anonymous = await api.http.get("/me")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "auth_required"
    bad = await api.http.get("/me", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json()["code"] == "auth_invalid"
    missing = await api.http.get("/no/such/path")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


async def test_products_visibility_and_validation(api: Api) -> None:
    seller, buyer = await api.register("seller"), await api.register("buyer")
    draft = await api.product(seller, status="draft")
    assert draft["variants"][0]["id"].startswith("var_")
    assert (await api.http.get(f"/products/{draft['id']}", headers=seller.headers)).status_code == 200
    hidden = await api.http.get(f"/products/{draft['id']}", headers=buyer.headers)
    assert hidden.status_code == 404 and hidden.json()["code"] == "not_found"
    by_buyer = await api.http.post(
        "/products",
        headers=buyer.headers,
        json={"name": "x", "variants": [{"price_cents": 1, "currency": "EUR", "stock": 1}]},
    )
    assert by_buyer.status_code == 403 and by_buyer.json()["code"] == "forbidden"
    negative = await api.http.post(
        "/products",
        headers=seller.headers,
        json={"name": "x", "variants": [{"price_cents": -1, "currency": "EUR", "stock": 1}]},
    )
    assert negative.status_code == 422 and negative.json()["code"] == "invalid_payload"
    unordered = await api.order(buyer, draft["variants"][0]["id"])
    assert unordered.status_code == 404


async def test_concurrent_checkouts_never_oversell(server: ServerProcess, api: Api) -> None:
    seller = await api.register("seller")
    buyers = await asyncio.gather(*(api.register("buyer") for _ in range(6)))
    product = await api.product(seller, stock=7)
    variant = product["variants"][0]["id"]
    seller_socket = await listen(server.url, seller.token, ["websocket"])
    try:
        attempts = [api.order(buyers[i % len(buyers)], variant, 1 + i % 2) for i in range(40)]
        results = await asyncio.gather(*attempts)
        placed = [r for r in results if r.status_code == 201]
        refused = [r for r in results if r.status_code == 409]
        assert len(placed) + len(refused) == len(results), [
            r.text for r in results if r.status_code not in (201, 409)
        ]
        assert all(r.json()["code"] == "insufficient_stock" for r in refused)
        sold = sum(r.json()["items"][0]["quantity"] for r in placed)
        assert sold <= 7
        left = (await api.http.get(f"/products/{product['id']}", headers=seller.headers)).json()
        assert left["variants"][0]["stock"] == 7 - sold
        # Small quantities against 40 attempts must sell out: at most one unit can be stranded.
        assert 7 - sold <= 1
        events = await seller_socket.wait_for("order:created", len(placed))
        assert sorted(e["data"]["order_id"] for e in events) == sorted(r.json()["id"] for r in placed)
        seqs = [e["seq"] for e in events]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    finally:
        await seller_socket.close()


async def test_idempotency_key_replays_the_same_order(api: Api) -> None:
    seller, buyer = await api.register("seller"), await api.register("buyer")
    product = await api.product(seller, stock=3)
    variant = product["variants"][0]["id"]
    first, second = await asyncio.gather(
        api.order(buyer, variant, 1, **{"Idempotency-Key": "k-1"}),
        api.order(buyer, variant, 1, **{"Idempotency-Key": "k-1"}),
    )
    assert {first.status_code, second.status_code} <= {200, 201}
    assert first.json()["id"] == second.json()["id"]
    left = (await api.http.get(f"/products/{product['id']}", headers=seller.headers)).json()
    assert left["variants"][0]["stock"] == 2
    different = await api.order(buyer, variant, 2, **{"Idempotency-Key": "k-1"})
    assert different.status_code == 409 and different.json()["code"] == "idempotency_conflict"


async def test_status_changes_are_for_the_seller_only(api: Api) -> None:
    seller, buyer = await api.register("seller"), await api.register("buyer")
    product = await api.product(seller)
    order = (await api.order(buyer, product["variants"][0]["id"])).json()
    by_buyer = await api.http.post(
        f"/orders/{order['id']}/status", headers=buyer.headers, json={"status": "confirmed"}
    )
    assert by_buyer.status_code == 403 and by_buyer.json()["code"] == "forbidden"
    unknown = await api.http.post(
        f"/orders/{order['id']}/status", headers=seller.headers, json={"status": "lost"}
    )
    assert unknown.status_code == 422


async def test_oversized_and_malformed_bodies_get_problem_json(api: Api) -> None:
    buyer = await api.register("buyer")
    huge = await api.http.post(
        "/orders", headers=buyer.headers, content=b"{" + b" " * (2 * 1024 * 1024) + b"}"
    )
    assert huge.status_code == 413 and huge.json()["code"] == "payload_too_large"

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(40):
            yield b" " * 65536

    streamed = await api.http.post(
        "/orders", headers={**buyer.headers, "Content-Type": "application/json"}, content=chunks()
    )
    assert streamed.status_code == 413 and streamed.json()["code"] == "payload_too_large"
    broken = await api.http.post(
        "/orders", headers={**buyer.headers, "Content-Type": "application/json"}, content=b"{not json"
    )
    assert broken.status_code == 422 and broken.json()["code"] == "invalid_payload"
