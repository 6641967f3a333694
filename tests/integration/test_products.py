"""Products and stock: every product and stock event reaches exactly its rooms (DESIGN §4-§5)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.support import Api, ServerProcess, User, _user_token, open_audience

pytestmark = pytest.mark.integration


async def _product(api: Api, seller: User, stock: int, threshold: int = 10, status: str = "published") -> Any:
    response = await api.http.post(
        "/products",
        headers=seller.headers,
        json={
            "name": "Beans",
            "status": status,
            "variants": [
                {
                    "name": "1 kg",
                    "price_cents": 2000,
                    "currency": "EUR",
                    "stock": stock,
                    "low_stock_threshold": threshold,
                }
            ],
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
async def audience(server: ServerProcess, api: Api) -> Any:
    """The seller, an admin, a product-room member, a storefront member, and an outsider (another seller)."""
    seller, buyer, fan, outsider = (
        await api.register("seller"),
        await api.register("buyer"),
        await api.register("buyer"),
        await api.register("seller"),
    )
    admin_token = await _user_token(server, api, "admin")
    tokens = {
        "seller": seller.token,
        "admin": admin_token,
        "product_room": buyer.token,
        "storefront": fan.token,
        "outsider": outsider.token,
    }
    crowd = await open_audience(server.url, api, tokens, ["websocket"])
    try:
        assert (await crowd["storefront"].join(f"storefront:{seller.id}"))["ok"]
        yield seller, buyer, crowd
    finally:
        await crowd.close()


async def test_product_lifecycle_events_reach_exactly_their_rooms(api: Api, audience: Any) -> None:
    seller, buyer, crowd = audience
    product = await _product(api, seller, stock=50)
    pid = product["id"]
    # Join once product:created is out, or the join could overtake its fan-out.
    await crowd["seller"].wait_for_match("product:created", lambda e: e["data"]["product_id"] == pid)
    assert (await crowd["product_room"].join(f"product:{pid}"))["ok"]
    variant = product["variants"][0]["id"]

    renamed = await api.http.patch(f"/products/{pid}", headers=seller.headers, json={"name": "Better Beans"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Better Beans"
    priced = await api.http.patch(f"/variants/{variant}", headers=seller.headers, json={"price_cents": 2500})
    assert priced.status_code == 200 and priced.json()["variants"][0]["price_cents"] == 2500
    counted = await api.http.put(f"/variants/{variant}/stock", headers=seller.headers, json={"quantity": 40})
    assert counted.status_code == 200 and counted.json()["variants"][0]["stock"] == 40
    await crowd.settle()

    public = {"seller", "product_room", "storefront"}
    (created,) = crowd.assert_reached("product:created", {"seller", "storefront"}, product_id=pid)
    assert created["data"] == {
        "product_id": pid,
        "seller_id": seller.id,
        "name": "Beans",
        "status": "published",
        "was_published": False,
    }
    assert created["invalidate"] == [["products", pid], ["storefronts", seller.id, "products"]]
    crowd.assert_reached("product:updated", public, product_id=pid)
    (price,) = crowd.assert_reached("product:price_changed", public, product_id=pid)
    assert price["data"] | {"published": True} == {
        "product_id": pid,
        "variant_id": variant,
        "seller_id": seller.id,
        "old_price_cents": 2000,
        "new_price_cents": 2500,
        "currency": "EUR",
        "published": True,
    }
    (stock,) = crowd.assert_reached("product:stock_changed", public, product_id=pid)
    assert stock["data"]["stock"] == 40 and stock["data"]["previous_stock"] == 50

    deleted = await api.http.delete(f"/products/{pid}", headers=seller.headers)
    assert deleted.status_code == 204
    await crowd.settle()
    crowd.assert_reached("product:deleted", public, product_id=pid)
    gone = await api.http.get(f"/products/{pid}", headers=seller.headers)
    assert gone.status_code == 404
    assert (await api.order(buyer, variant)).status_code == 404


async def test_stock_crossings_fire_once_each(api: Api, audience: Any) -> None:
    seller, buyer, crowd = audience
    product = await _product(api, seller, stock=12, threshold=10)
    pid, variant = product["id"], product["variants"][0]["id"]
    # Join once product:created is out, or the join could overtake its fan-out.
    await crowd["seller"].wait_for_match("product:created", lambda e: e["data"]["product_id"] == pid)
    assert (await crowd["product_room"].join(f"product:{pid}"))["ok"]

    # 12 -> 11 (nothing), -> 10 (low), -> 9 (below already: nothing), -> 0 (out), -> 5 (restocked)
    for quantity in (1, 1, 1):
        assert (await api.order(buyer, variant, quantity)).status_code == 201
    assert (await api.order(buyer, variant, 9)).status_code == 201
    sold_out = await api.order(buyer, variant, 1)
    assert sold_out.status_code == 409 and sold_out.json()["code"] == "insufficient_stock"
    restock = await api.http.put(f"/variants/{variant}/stock", headers=seller.headers, json={"quantity": 5})
    assert restock.status_code == 200
    await crowd.settle()

    (low,) = crowd.assert_reached("product:low_stock", {"seller", "admin"}, product_id=pid)
    assert low["data"] == {
        "product_id": pid,
        "variant_id": variant,
        "seller_id": seller.id,
        "stock": 10,
        "threshold": 10,
    }
    (out,) = crowd.assert_reached(
        "stock:out", {"seller", "admin", "product_room", "storefront"}, product_id=pid
    )
    assert out["data"]["stock"] == 0
    (back,) = crowd.assert_reached(
        "stock:restocked", {"seller", "admin", "product_room", "storefront"}, product_id=pid
    )
    assert back["data"]["stock"] == 5
    levels = [e["data"]["stock"] for e in crowd.got("product:stock_changed", product_id=pid)["seller"]]
    assert levels == [11, 10, 9, 0, 5]


async def test_concurrent_orders_cross_the_threshold_once_and_never_oversell(api: Api, audience: Any) -> None:
    seller, _, crowd = audience
    buyers = await asyncio.gather(*(api.register("buyer") for _ in range(5)))
    product = await _product(api, seller, stock=15, threshold=10)
    pid, variant = product["id"], product["variants"][0]["id"]
    results = await asyncio.gather(*(api.order(buyers[i % 5], variant) for i in range(30)))
    assert sorted(r.status_code for r in results) == [201] * 15 + [409] * 15
    await crowd.settle()
    assert len(crowd.got("product:low_stock", product_id=pid)["seller"]) == 1
    assert len(crowd.got("stock:out", product_id=pid)["seller"]) == 1
    levels = [e["data"]["stock"] for e in crowd.got("product:stock_changed", product_id=pid)["seller"]]
    assert sorted(levels, reverse=True) == list(range(14, -1, -1))


async def test_drafts_stay_private_and_only_the_owner_changes_products(api: Api, audience: Any) -> None:
    seller, buyer, crowd = audience
    draft = await _product(api, seller, stock=3, status="draft")
    pid, variant = draft["id"], draft["variants"][0]["id"]
    await api.http.put(f"/variants/{variant}/stock", headers=seller.headers, json={"quantity": 0})
    await crowd.settle()
    crowd.assert_reached("product:created", {"seller"}, product_id=pid)
    crowd.assert_reached("product:stock_changed", {"seller"}, product_id=pid)
    crowd.assert_reached("stock:out", {"seller", "admin"}, product_id=pid)

    for method, path, body in [
        ("PATCH", f"/products/{pid}", {"name": "mine"}),
        ("PATCH", f"/variants/{variant}", {"price_cents": 1}),
        ("PUT", f"/variants/{variant}/stock", {"quantity": 1}),
        ("DELETE", f"/products/{pid}", None),
    ]:
        hidden = await api.http.request(method, path, headers=buyer.headers, json=body)
        assert hidden.status_code == 404 and hidden.json()["code"] == "not_found", (path, hidden.text)
    published = await api.http.patch(f"/products/{pid}", headers=seller.headers, json={"status": "published"})
    assert published.status_code == 200
    taken = await api.http.patch(f"/products/{pid}", headers=buyer.headers, json={"name": "mine"})
    assert taken.status_code == 403 and taken.json()["code"] == "forbidden"
    for body in ({"quantity": -1}, {"quantity": "many"}, {"quantity": 1, "extra": 1}):
        bad = await api.http.put(f"/variants/{variant}/stock", headers=seller.headers, json=body)
        assert bad.status_code == 422 and bad.json()["code"] == "invalid_payload"
    bad_price = await api.http.patch(f"/variants/{variant}", headers=seller.headers, json={"price_cents": -5})
    assert bad_price.status_code == 422
    guest = await api.http.get(f"/products/{pid}")
    assert guest.status_code == 200  # published products are public, even without a token
