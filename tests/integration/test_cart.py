"""The cart: its events reach the owner's devices only, checkout orders per seller, all or nothing."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta
from typing import Any

import httpx
import pytest

from storewire.commerce.accounts.security import TokenService
from tests.support import (
    PASSWORD,
    Api,
    Audience,
    Listener,
    ServerProcess,
    User,
    assert_envelope,
    listen,
    one_each,
    open_audience,
)

pytestmark = pytest.mark.integration

CART_EVENTS = ("cart:updated", "cart:inventory_warning", "cart:price_changed")


def assert_cart_event(event: dict[str, Any], name: str) -> None:
    assert_envelope(event, name)
    assert event["invalidate"] == [["cart"]]


def cart_events(listener: Listener) -> list[tuple[str, Any]]:
    return [(name, data) for name, data in listener.events if name in CART_EVENTS]


async def quiet_audience(server: ServerProcess, api: Api, **users: User) -> Audience:
    """Websocket clients of ``users`` behind a fence, the events of requests made before they connected
    let in (the relay may fan them out after a connect) and forgotten: what they record from here on
    is new."""
    crowd = await open_audience(
        server.url, api, {who: user.token for who, user in users.items()}, ["websocket"]
    )
    try:
        await crowd.settle()
    except BaseException:
        await crowd.close()
        raise
    for listener in crowd.sockets.values():
        listener.events.clear()
    return crowd


async def product(
    api: Api, seller: User, *, stock: int = 10, price: int = 1250, currency: str = "EUR"
) -> tuple[str, str]:
    """A published product with one variant: (product id, variant id)."""
    response = await api.http.post(
        "/products",
        headers=seller.headers,
        json={
            "name": "Cart Beans",
            "status": "published",
            "variants": [{"name": "1 kg", "price_cents": price, "currency": currency, "stock": stock}],
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return body["id"], body["variants"][0]["id"]


async def add(api: Api, buyer: User, variant_id: str, quantity: int = 1, **headers: str) -> httpx.Response:
    return await api.http.post(
        "/cart/items",
        headers={**buyer.headers, **headers},
        json={"variant_id": variant_id, "quantity": quantity},
    )


async def checkout(api: Api, buyer: User, **headers: str) -> httpx.Response:
    return await api.http.post("/cart/checkout", headers={**buyer.headers, **headers})


async def get_cart(api: Api, buyer: User) -> dict[str, Any]:
    response = await api.http.get("/cart", headers=buyer.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def quick_buyer(server: ServerProcess, api: Api) -> User:
    """Register a buyer and mint its token as the server would (``storewire token``), skipping the
    login's second argon2 hash: fifty buyers register in half the time on a busy machine."""
    email = f"buyer-{secrets.token_hex(6)}@example.com"
    created = await api.http.post(
        "/auth/register", json={"email": email, "password": PASSWORD, "name": "buyer", "role": "buyer"}
    )
    assert created.status_code == 201, created.text
    user_id: str = created.json()["id"]
    token = TokenService(server.jwt_secret, timedelta(hours=1)).mint(user_id, "buyer")
    return User(user_id, email, "buyer", token)


async def stock_of(api: Api, seller: User, product_id: str) -> int:
    response = await api.http.get(f"/products/{product_id}", headers=seller.headers)
    stock: int = response.json()["variants"][0]["stock"]
    return stock


async def test_cart_updated_reaches_every_device_of_its_owner_once_and_nobody_else(
    server: ServerProcess, api: Api, transports: list[str]
) -> None:
    seller, buyer, other = (
        await api.register("seller"),
        await api.register("buyer"),
        await api.register("buyer"),
    )
    product_id, variant = await product(api, seller, price=500)
    tokens = {"phone": buyer.token, "laptop": buyer.token, "other": other.token}
    crowd = await open_audience(server.url, api, tokens, transports)
    phone, laptop, other_socket = crowd["phone"], crowd["laptop"], crowd["other"]
    try:
        added = await add(api, buyer, variant, 2)
        assert added.status_code == 201, added.text
        item = added.json()["items"][0]
        assert item["quantity"] == 2 and item["available"] == 10 and item["purchasable"] is True
        assert added.json()["totals"] == [{"currency": "EUR", "total_cents": 1000}]
        first = await one_each("cart:updated", phone, laptop)  # one event, one envelope
        assert_cart_event(first, "cart:updated")
        assert first["data"] == {
            "owner_id": buyer.id,
            "action": "added",
            "variant_id": variant,
            "cart": {
                "items": [
                    {
                        "variant_id": variant,
                        "product_id": product_id,
                        "quantity": 2,
                        "unit_price_cents": 500,
                        "currency": "EUR",
                    }
                ],
                "item_count": 1,
                "totals": [{"currency": "EUR", "total_cents": 1000}],
                "truncated": False,
            },
        }

        again = await add(api, buyer, variant, 3)  # the same variant: its line grows
        assert again.status_code == 200 and again.json()["items"][0]["quantity"] == 5
        patched = await api.http.patch(
            f"/cart/items/{item['id']}", headers=buyer.headers, json={"quantity": 4}
        )
        assert patched.status_code == 200 and patched.json()["items"][0]["quantity"] == 4
        removed = await api.http.delete(f"/cart/items/{item['id']}", headers=buyer.headers)
        assert removed.status_code == 200 and removed.json() == {"items": [], "totals": []}
        assert (await add(api, buyer, variant, 1)).status_code == 201
        cleared = await api.http.delete("/cart", headers=buyer.headers)
        assert cleared.status_code == 200 and cleared.json() == {"items": [], "totals": []}

        await crowd.settle()
        for device in (phone, laptop):
            events = [data for name, data in cart_events(device)]
            assert [e["data"]["action"] for e in events] == [
                "added",
                "added",
                "updated",
                "removed",
                "added",
                "cleared",
            ]
            assert [e["data"]["cart"]["item_count"] for e in events] == [1, 1, 1, 0, 1, 0]
            assert [
                e["data"]["cart"]["items"][0]["quantity"] for e in events if e["data"]["cart"]["items"]
            ] == [
                2,
                5,
                4,
                1,
            ]
            assert len({e["id"] for e in events}) == len(events)
            seqs = [e["seq"] for e in events]
            assert seqs == sorted(seqs)
            for event in events:
                assert_cart_event(event, "cart:updated")
        assert [e["id"] for _, e in cart_events(phone)] == [e["id"] for _, e in cart_events(laptop)]
        assert cart_events(other_socket) == []
    finally:
        await crowd.close()


async def test_x_socket_id_excludes_the_acting_device_only(server: ServerProcess, api: Api) -> None:
    seller, buyer = await api.register("seller"), await api.register("buyer")
    _, variant = await product(api, seller)
    crowd = await open_audience(server.url, api, {"acting": buyer.token, "other": buyer.token}, ["websocket"])
    acting, other_device = crowd["acting"], crowd["other"]
    try:
        sid = acting.client.get_sid()
        assert sid
        assert (await add(api, buyer, variant, 1, **{"X-Socket-Id": sid})).status_code == 201
        assert_cart_event(await one_each("cart:updated", other_device), "cart:updated")
        await crowd.settle()
        assert cart_events(acting) == []
        assert len(other_device.of("cart:updated")) == 1
    finally:
        await crowd.close()


async def test_stock_and_price_changes_warn_the_carts_holding_the_variant(
    server: ServerProcess, api: Api
) -> None:
    seller = await api.register("seller")
    big, small, empty = await api.register("buyer"), await api.register("buyer"), await api.register("buyer")
    product_id, variant = await product(api, seller, stock=10, price=1000)
    assert (await add(api, big, variant, 5)).status_code == 201
    assert (await add(api, small, variant, 2)).status_code == 201
    crowd = await quiet_audience(server, api, big=big, small=small, empty=empty, seller=seller)
    big_socket, small_socket = crowd["big"], crowd["small"]
    try:
        counted = await api.http.put(
            f"/variants/{variant}/stock", headers=seller.headers, json={"quantity": 3}
        )
        assert counted.status_code == 200, counted.text
        (warning,) = await big_socket.wait_for("cart:inventory_warning")
        assert_cart_event(warning, "cart:inventory_warning")
        assert warning["data"] == {
            "owner_id": big.id,
            "product_id": product_id,
            "variant_id": variant,
            "requested": 5,
            "available": 3,
        }

        repriced = await api.http.patch(
            f"/variants/{variant}", headers=seller.headers, json={"price_cents": 900}
        )
        assert repriced.status_code == 200, repriced.text
        (big_price,) = await big_socket.wait_for("cart:price_changed")
        (small_price,) = await small_socket.wait_for("cart:price_changed")
        assert big_price["id"] != small_price["id"]  # one event per owner, each to its own room
        for event, owner in ((big_price, big), (small_price, small)):
            assert_cart_event(event, "cart:price_changed")
            assert event["data"] == {
                "owner_id": owner.id,
                "product_id": product_id,
                "variant_id": variant,
                "old_price_cents": 1000,
                "new_price_cents": 900,
                "currency": "EUR",
            }
        assert (await get_cart(api, big))["items"][0]["unit_price_cents"] == 900

        # The small cart's own order takes 2 of the 3 units: the big cart (5) is warned again; the
        # small cart's line (2 > 1 left) is warned too, which is right: its cart still holds 2.
        ordered = await api.order(small, variant, 2)
        assert ordered.status_code == 201, ordered.text
        warnings = await big_socket.wait_for("cart:inventory_warning", 2)
        assert warnings[1]["data"]["available"] == 1
        (own,) = await small_socket.wait_for("cart:inventory_warning")
        assert own["data"]["requested"] == 2 and own["data"]["available"] == 1

        # Stock going up warns nobody.
        restocked = await api.http.put(
            f"/variants/{variant}/stock", headers=seller.headers, json={"quantity": 50}
        )
        assert restocked.status_code == 200

        await crowd.settle()
        assert [name for name, _ in cart_events(big_socket)] == [
            "cart:inventory_warning",
            "cart:price_changed",
            "cart:inventory_warning",
        ]
        assert [name for name, _ in cart_events(small_socket)] == [
            "cart:price_changed",
            "cart:inventory_warning",
        ]
        assert cart_events(crowd["empty"]) == []
        assert cart_events(crowd["seller"]) == []
    finally:
        await crowd.close()


async def test_checkout_places_one_order_per_seller_and_empties_the_cart(
    server: ServerProcess, api: Api
) -> None:
    first, second, buyer = (
        await api.register("seller"),
        await api.register("seller"),
        await api.register("buyer"),
    )
    beans_id, beans = await product(api, first, stock=10, price=1000)
    mugs_id, mugs = await product(api, first, stock=10, price=300)
    tea_id, tea = await product(api, second, stock=10, price=700, currency="USD")
    for variant, quantity in ((beans, 2), (tea, 1), (mugs, 3)):
        assert (await add(api, buyer, variant, quantity)).status_code == 201
    crowd = await quiet_audience(server, api, buyer=buyer, first=first, second=second)
    buyer_socket, first_socket, second_socket = crowd["buyer"], crowd["first"], crowd["second"]
    try:
        done = await checkout(api, buyer)
        assert done.status_code == 201, done.text
        orders = {order["seller_id"]: order for order in done.json()["orders"]}
        assert set(orders) == {first.id, second.id}
        assert [(i["variant_id"], i["quantity"]) for i in orders[first.id]["items"]] == [
            (beans, 2),
            (mugs, 3),
        ]
        assert orders[first.id]["total_cents"] == 2900 and orders[first.id]["currency"] == "EUR"
        assert [(i["variant_id"], i["quantity"]) for i in orders[second.id]["items"]] == [(tea, 1)]
        assert orders[second.id]["total_cents"] == 700 and orders[second.id]["currency"] == "USD"
        assert all(o["buyer_id"] == buyer.id and o["status"] == "pending" for o in orders.values())

        (to_first,) = await first_socket.wait_for("order:created")
        (to_second,) = await second_socket.wait_for("order:created")
        assert to_first["data"]["order_id"] == orders[first.id]["id"]
        assert to_second["data"]["order_id"] == orders[second.id]["id"]
        to_buyer = await buyer_socket.wait_for("order:created", 2)
        assert {e["data"]["order_id"] for e in to_buyer} == {o["id"] for o in orders.values()}
        (cleared,) = await buyer_socket.wait_for("cart:updated")
        assert_cart_event(cleared, "cart:updated")
        assert cleared["data"]["action"] == "cleared" and cleared["data"]["cart"]["item_count"] == 0

        assert await get_cart(api, buyer) == {"items": [], "totals": []}
        assert [
            await stock_of(api, s, p) for s, p in ((first, beans_id), (first, mugs_id), (second, tea_id))
        ] == [
            8,
            7,
            9,
        ]
        await crowd.settle()
        assert len(first_socket.of("order:created")) == 1 and len(second_socket.of("order:created")) == 1
        assert len(buyer_socket.of("order:created")) == 2
        # Emptied before the orders took their units: the buyer's own lines raise no warning.
        assert [name for name, _ in cart_events(buyer_socket)] == ["cart:updated"]
        assert cart_events(first_socket) == cart_events(second_socket) == []
    finally:
        await crowd.close()


async def test_checkout_with_a_short_line_changes_nothing(server: ServerProcess, api: Api) -> None:
    first, second, buyer = (
        await api.register("seller"),
        await api.register("seller"),
        await api.register("buyer"),
    )
    plenty_id, plenty = await product(api, first, stock=10)
    scarce_id, scarce = await product(api, second, stock=5)
    assert (await add(api, buyer, plenty, 2)).status_code == 201
    assert (await add(api, buyer, scarce, 5)).status_code == 201
    assert (
        await api.http.put(f"/variants/{scarce}/stock", headers=second.headers, json={"quantity": 4})
    ).status_code == 200
    before = await get_cart(api, buyer)
    crowd = await quiet_audience(server, api, buyer=buyer, first=first, second=second)
    try:
        refused = await checkout(api, buyer)
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "insufficient_stock"
        assert refused.json()["variant_id"] == scarce
        assert await get_cart(api, buyer) == before
        assert await stock_of(api, first, plenty_id) == 10
        assert await stock_of(api, second, scarce_id) == 4
        orders = await api.http.get("/orders", headers=buyer.headers)
        assert orders.status_code == 200 and orders.json() == []
        await crowd.settle()
        for socket in crowd.sockets.values():
            assert [name for name, _ in socket.events if not name.startswith(("product:", "stock:"))] == []
    finally:
        await crowd.close()


async def test_checkout_idempotency_key_replays_the_first_result(api: Api) -> None:
    seller, buyer = await api.register("seller"), await api.register("buyer")
    product_id, variant = await product(api, seller, stock=5)
    assert (await add(api, buyer, variant, 2)).status_code == 201
    one, two = await asyncio.gather(
        checkout(api, buyer, **{"Idempotency-Key": "co-1"}),
        checkout(api, buyer, **{"Idempotency-Key": "co-1"}),
    )
    assert sorted([one.status_code, two.status_code]) == [200, 201], (one.text, two.text)
    assert one.json() == two.json()
    replayed = one if one.status_code == 200 else two
    assert replayed.headers["Idempotent-Replayed"] == "true"
    (order,) = one.json()["orders"]
    assert await stock_of(api, seller, product_id) == 3

    later = await checkout(api, buyer, **{"Idempotency-Key": "co-1"})  # the cart is empty by now
    assert later.status_code == 200 and later.json() == one.json()
    empty = await checkout(api, buyer, **{"Idempotency-Key": "co-2"})
    assert empty.status_code == 409 and empty.json()["code"] == "cart_empty"
    orders = (await api.http.get("/orders", headers=buyer.headers)).json()
    assert [o["id"] for o in orders] == [order["id"]]


async def test_concurrent_checkouts_of_the_last_units_never_oversell(server: ServerProcess, api: Api) -> None:
    scarce_seller, plenty_seller = await api.register("seller"), await api.register("seller")
    stock = 20
    scarce_id, scarce = await product(api, scarce_seller, stock=stock)
    plenty_id, plenty = await product(api, plenty_seller, stock=1000)
    buyers = list(await asyncio.gather(*(quick_buyer(server, api) for _ in range(50))))

    async def fill(buyer: User) -> None:
        assert (await add(api, buyer, scarce, 1)).status_code == 201
        assert (await add(api, buyer, plenty, 1)).status_code == 201

    await asyncio.gather(*(fill(buyer) for buyer in buyers))
    seller_socket = await listen(server.url, scarce_seller.token, ["websocket"])
    try:
        results = await asyncio.gather(*(checkout(api, buyer) for buyer in buyers))
        placed = [(b, r) for b, r in zip(buyers, results, strict=True) if r.status_code == 201]
        refused = [(b, r) for b, r in zip(buyers, results, strict=True) if r.status_code == 409]
        assert len(placed) + len(refused) == len(buyers), [r.text for r in results]
        assert len(placed) == stock  # exactly the stock is sold, every unit
        assert all(r.json()["code"] == "insufficient_stock" for _, r in refused)
        assert all(len(r.json()["orders"]) == 2 for _, r in placed)
        assert await stock_of(api, scarce_seller, scarce_id) == 0
        # All or nothing: a refused checkout did not order the plentiful line either.
        assert await stock_of(api, plenty_seller, plenty_id) == 1000 - stock
        for buyer, _ in refused:
            assert [i["variant_id"] for i in (await get_cart(api, buyer))["items"]] == [scarce, plenty]
            assert (await api.http.get("/orders", headers=buyer.headers)).json() == []
        for buyer, _ in placed[:5]:
            assert await get_cart(api, buyer) == {"items": [], "totals": []}
        events = await seller_socket.wait_for("order:created", stock)
        scarce_orders = {
            o["id"] for _, r in placed for o in r.json()["orders"] if o["seller_id"] == scarce_seller.id
        }
        assert {e["data"]["order_id"] for e in events} == scarce_orders
    finally:
        await seller_socket.close()


async def test_bad_requests_get_typed_errors(api: Api) -> None:
    seller, buyer, other = (
        await api.register("seller"),
        await api.register("buyer"),
        await api.register("buyer"),
    )
    product_id, variant = await product(api, seller)
    draft = await api.product(seller, status="draft")

    for method, path in (("GET", "/cart"), ("POST", "/cart/checkout"), ("DELETE", "/cart")):
        by_seller = await api.http.request(method, path, headers=seller.headers)
        assert by_seller.status_code == 403 and by_seller.json()["code"] == "forbidden", path
    by_seller = await add(api, seller, variant)
    assert by_seller.status_code == 403 and by_seller.json()["code"] == "forbidden"
    anonymous = await api.http.get("/cart")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "auth_required"

    for missing in ("var_nope", draft["variants"][0]["id"]):
        unknown = await add(api, buyer, missing)
        assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
        assert unknown.headers["content-type"] == "application/problem+json"
    for body in (
        {"variant_id": variant, "quantity": 0},
        {"variant_id": variant, "quantity": 10_001},
        {"variant_id": variant},
        {"variant_id": variant, "quantity": 1, "price_cents": 1},
    ):
        invalid = await api.http.post("/cart/items", headers=buyer.headers, json=body)
        assert invalid.status_code == 422 and invalid.json()["code"] == "invalid_payload", body

    line = (await add(api, buyer, variant, 6000)).json()["items"][0]
    too_many = await add(api, buyer, variant, 4001)
    assert too_many.status_code == 422 and too_many.json()["code"] == "invalid_payload"
    zero = await api.http.patch(f"/cart/items/{line['id']}", headers=buyer.headers, json={"quantity": 0})
    assert zero.status_code == 422 and zero.json()["code"] == "invalid_payload"
    for request in (
        api.http.patch(f"/cart/items/{line['id']}", headers=other.headers, json={"quantity": 1}),
        api.http.delete(f"/cart/items/{line['id']}", headers=other.headers),
        api.http.delete("/cart/items/cit_nope", headers=buyer.headers),
    ):
        not_yours = await request
        assert not_yours.status_code == 404 and not_yours.json()["code"] == "not_found"
    assert (await get_cart(api, buyer))["items"][0]["quantity"] == 6000

    # A product unpublished after it was carted: shown as not purchasable, refused at checkout.
    hidden = await api.http.patch(f"/products/{product_id}", headers=seller.headers, json={"status": "draft"})
    assert hidden.status_code == 200, hidden.text
    assert (await get_cart(api, buyer))["items"][0]["purchasable"] is False
    unavailable = await checkout(api, buyer)
    assert unavailable.status_code == 409 and unavailable.json()["code"] == "item_unavailable"
    assert unavailable.json()["variant_id"] == variant

    empty = await checkout(api, other)
    assert empty.status_code == 409 and empty.json()["code"] == "cart_empty"
