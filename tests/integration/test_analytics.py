"""Analytics: a sale event per paid order to its seller, coalesced metrics to seller and admin, and
``GET /analytics/summary``. Orders are paid through the dev payment endpoint (a signed webhook)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support import (
    Api,
    Listener,
    ServerProcess,
    User,
    _user_token,
    assert_envelope,
    listen,
    open_audience,
)

pytestmark = pytest.mark.integration

INTERVAL = 0.5  # the service's coalescing interval (AnalyticsService default)


def today() -> str:
    return datetime.now(UTC).date().isoformat()


async def paid_order(api: Api, buyer: User, variant_id: str, quantity: int = 1) -> dict[str, Any]:
    """Place an order and pay it through ``POST /dev/payments/{id}``."""
    placed = await api.order(buyer, variant_id, quantity)
    assert placed.status_code == 201, placed.text
    order: dict[str, Any] = placed.json()
    await pay(api, buyer, order["id"])
    return order


async def pay(api: Api, buyer: User, order_id: str) -> None:
    paid = await api.http.post(
        f"/dev/payments/{order_id}", headers=buyer.headers, json={"outcome": "succeeded"}
    )
    assert paid.status_code in (200, 201, 202, 204), paid.text


def analytics_events(listener: Listener) -> list[tuple[str, Any]]:
    return [(name, data) for name, data in listener.events if name.startswith("analytics:")]


def metrics_for(listener: Listener, seller_id: str) -> list[dict[str, Any]]:
    return [e for e in listener.of("analytics:metrics_updated") if e["data"]["seller_id"] == seller_id]


async def test_sale_and_metrics_reach_exactly_their_audience(
    server: ServerProcess, api: Api, transports: list[str]
) -> None:
    seller, other_seller, buyer = (
        await api.register("seller"),
        await api.register("seller"),
        await api.register("buyer"),
    )
    admin_token = await _user_token(server, api, "admin")
    product = await api.product(seller, stock=5)
    tokens = {"seller": seller.token, "admin": admin_token, "other": other_seller.token, "buyer": buyer.token}
    crowd = await open_audience(server.url, api, tokens, transports)
    seller_socket, admin_socket = crowd["seller"], crowd["admin"]
    try:
        day_before = today()
        order = await paid_order(api, buyer, product["variants"][0]["id"], 2)

        (sale,) = await seller_socket.wait_for("analytics:sale_completed")
        assert_envelope(sale, "analytics:sale_completed")
        assert sale["data"] == {
            "order_id": order["id"],
            "seller_id": seller.id,
            "total_cents": 2500,
            "currency": "EUR",
        }
        assert sale["invalidate"] == []

        mine = await seller_socket.wait_for_match(
            "analytics:metrics_updated", lambda e: e["data"]["seller_id"] == seller.id
        )
        seen_by_admin = await admin_socket.wait_for_match(
            "analytics:metrics_updated", lambda e: e["data"]["seller_id"] == seller.id
        )
        assert mine == seen_by_admin  # one event, one envelope
        assert_envelope(mine, "analytics:metrics_updated")
        assert mine["data"]["date"] in {day_before, today()}
        assert mine["data"] == {
            "seller_id": seller.id,
            "date": mine["data"]["date"],
            "orders_today": 1,
            "orders_by_currency": {"EUR": 1},
            "revenue_today_cents": {"EUR": 2500},
            "average_order_value_cents": {"EUR": 2500},
        }
        assert mine["invalidate"] == [["analytics", "summary"]]

        # Everything sent before the fence is in: exactly once each, and nothing for the others.
        await crowd.settle()
        assert crowd.assert_reached("analytics:sale_completed", {"seller"}) == [sale]
        assert crowd.assert_reached(
            "analytics:metrics_updated", {"seller", "admin"}, seller_id=seller.id
        ) == [mine]
        assert analytics_events(crowd["other"]) == []
        assert analytics_events(crowd["buyer"]) == []
    finally:
        await crowd.close()


async def test_a_burst_of_sales_is_coalesced(server: ServerProcess, api: Api) -> None:
    sales = 200
    seller, buyer = await api.register("seller"), await api.register("buyer")
    product = await api.product(seller, stock=sales)
    variant = product["variants"][0]["id"]
    gate = asyncio.Semaphore(8)

    async def place() -> str:
        async with gate:
            placed = await api.order(buyer, variant, 1)
        assert placed.status_code == 201, placed.text
        order_id: str = placed.json()["id"]
        return order_id

    async def pay_gated(order_id: str) -> None:
        async with gate:
            await pay(api, buyer, order_id)

    order_ids = await asyncio.gather(*(place() for _ in range(sales)))
    seller_socket = await listen(server.url, seller.token, ["websocket"])
    try:
        started = time.monotonic()
        await asyncio.gather(*(pay_gated(order_id) for order_id in order_ids))
        elapsed = time.monotonic() - started

        done = await seller_socket.wait_for_match(
            "analytics:metrics_updated", lambda e: e["data"]["orders_today"] == sales, timeout=60
        )
        sold = await seller_socket.wait_for("analytics:sale_completed", sales, timeout=60)
        assert sorted(e["data"]["order_id"] for e in sold) == sorted(order_ids)
        assert done["data"]["revenue_today_cents"] == {"EUR": sales * 1250}
        assert done["data"]["average_order_value_cents"] == {"EUR": 1250}

        updates = metrics_for(seller_socket, seller.id)
        # The coalescer rests INTERVAL after each update: at most one per interval during the burst,
        # plus the one that picks up the last sale (a bound by construction, not a latency). A burst
        # of 200 payments, 8 in flight at a time like a busy shop's, yields far fewer updates.
        assert len(updates) <= elapsed / INTERVAL + 2, (len(updates), elapsed)
        assert len(updates) < sales / 5, len(updates)
        counts = [e["data"]["orders_today"] for e in updates]
        assert counts == sorted(counts)  # totals only grow, and arrive in seq order
        assert [e["seq"] for e in updates] == sorted(e["seq"] for e in updates)
        assert updates[-1]["data"]["orders_today"] == sales  # the last one has the final totals
    finally:
        await seller_socket.close()


async def test_summary_is_computed_on_demand_for_sellers_and_admins(server: ServerProcess, api: Api) -> None:
    seller, other_seller, buyer = (
        await api.register("seller"),
        await api.register("seller"),
        await api.register("buyer"),
    )
    admin = {"Authorization": f"Bearer {await _user_token(server, api, 'admin')}"}
    euros = (await api.product(seller, stock=10))["variants"][0]["id"]
    dollars = await api.http.post(
        "/products",
        headers=seller.headers,
        json={
            "name": "Mug",
            "status": "published",
            "variants": [{"price_cents": 999, "currency": "USD", "stock": 5}],
        },
    )
    assert dollars.status_code == 201, dollars.text

    empty = await api.http.get("/analytics/summary", headers=seller.headers)
    assert empty.status_code == 200, empty.text
    assert empty.json()["orders_today"] == 0 and empty.json()["revenue_today_cents"] == {}
    assert [s["seller_id"] for s in empty.json()["sellers"]] == [seller.id]

    await paid_order(api, buyer, euros, 1)  # 1250
    await paid_order(api, buyer, euros, 3)  # 3750
    await paid_order(api, buyer, dollars.json()["variants"][0]["id"], 1)  # 999 USD
    unpaid = await api.order(buyer, euros, 1)  # placed, never paid: not a sale
    assert unpaid.status_code == 201

    expected = {
        "orders_today": 3,
        "orders_by_currency": {"EUR": 2, "USD": 1},
        "revenue_today_cents": {"EUR": 5000, "USD": 999},
        "average_order_value_cents": {"EUR": 2500, "USD": 999},
    }
    own = await api.http.get("/analytics/summary", headers=seller.headers)
    assert own.status_code == 200, own.text
    body = own.json()
    assert set(body) == {"date", "sellers", *expected}
    assert {key: body[key] for key in expected} == expected
    (row,) = body["sellers"]
    assert row == {"seller_id": seller.id, "date": body["date"], **expected}

    by_admin = await api.http.get("/analytics/summary", headers=admin, params={"seller_id": seller.id})
    assert by_admin.status_code == 200 and by_admin.json()["sellers"] == [row]
    everyone = (await api.http.get("/analytics/summary", headers=admin)).json()
    assert row in everyone["sellers"]
    assert other_seller.id not in {s["seller_id"] for s in everyone["sellers"]}  # no sales today
    assert everyone["orders_today"] == sum(s["orders_today"] for s in everyone["sellers"])

    for headers, params, status, code in [
        (buyer.headers, {}, 403, "forbidden"),
        (seller.headers, {"seller_id": other_seller.id}, 403, "forbidden"),
        (admin, {"seller_id": buyer.id}, 404, "not_found"),
        (admin, {"seller_id": ""}, 422, "invalid_payload"),
        (admin, {"limit": 0}, 422, "invalid_payload"),
        ({}, {}, 401, "auth_required"),
    ]:
        refused = await api.http.get("/analytics/summary", headers=headers, params=params)
        assert refused.status_code == status, (params, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == code
