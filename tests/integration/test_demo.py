"""``storewire demo``: seeds stores, products near their thresholds, carts and orders, idempotently.

The command runs twice against one SQLite file, as an operator would; then a real server reads what
it seeded over REST, and ``serve --demo`` (a third seeding, in-process) adds nothing either. Last, a
demo buyer checks out the seeded cart and the seller's socket sees a variant cross its threshold.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import start_server
from tests.support import close_all, listen

pytestmark = pytest.mark.integration

PASSWORD = "storewire-demo"
SELLERS = ("seller@demo.storewire.dev", "bakery@demo.storewire.dev", "wholesale@demo.storewire.dev")
BUYERS = ("buyer1@demo.storewire.dev", "buyer2@demo.storewire.dev", "buyer3@demo.storewire.dev")
ADMIN = "admin@demo.storewire.dev"


def _demo(database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STOREWIRE_DATABASE_URL": database_url, "STOREWIRE_LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "storewire", "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def _summary(output: str) -> str:
    """What the demo holds, from the command's last line (without what this run added)."""
    line = output.strip().splitlines()[-1]
    assert line.startswith("demo data: "), output
    return line.split(";")[0]


async def _login(http: httpx.AsyncClient, email: str) -> tuple[str, dict[str, str]]:
    response = await http.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    return body["user"]["id"], {"Authorization": f"Bearer {body['access_token']}"}


async def _snapshot(url: str) -> dict[str, Any]:
    """Everything the demo seeded, as the REST API shows it to the demo accounts."""
    async with httpx.AsyncClient(base_url=f"{url}/api/v1", timeout=30) as http:
        stores = (await http.get("/storefronts", params={"limit": 100})).json()["items"]
        products: dict[str, list[dict[str, Any]]] = {}
        for email in SELLERS:
            seller_id, headers = await _login(http, email)
            listed = await http.get(f"/storefronts/{seller_id}/products", headers=headers)
            assert listed.status_code == 200, listed.text
            products[email] = listed.json()
        carts = {}
        for email in BUYERS:
            _, headers = await _login(http, email)
            carts[email] = [
                (item["name"], item["quantity"])
                for item in (await http.get("/cart", headers=headers)).json()["items"]
            ]
        _, admin = await _login(http, ADMIN)
        orders = (await http.get("/orders", headers=admin)).json()
        invitations = (await http.get("/wholesale/invitations", headers=admin)).json()
        wholesale_orders = (await http.get("/wholesale/orders", headers=admin)).json()
        quotations = (await http.get("/quotations", headers=admin)).json()
    return {
        "stores": sorted((store["name"], store["open"]) for store in stores),
        "products": {email: sorted(p["name"] for p in listed) for email, listed in products.items()},
        "variants": {email: [v for p in listed for v in p["variants"]] for email, listed in products.items()},
        "drafts": {email: sum(p["status"] == "draft" for p in listed) for email, listed in products.items()},
        "carts": carts,
        "orders": sorted((o["status"], o["payment_status"], o["tracking_number"]) for o in orders),
        "invitations": sorted((i["email"], i["status"]) for i in invitations),
        "wholesale_orders": sorted(o["status"] for o in wholesale_orders),
        "quotations": sorted((q["title"], q["status"]) for q in quotations),
    }


async def test_demo_seeds_once_and_serves(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'storewire.db'}"
    first = _demo(database_url)
    assert first.returncode == 0, first.stderr
    for email in (ADMIN, *SELLERS, *BUYERS, "kitchen@demo.storewire.dev"):
        assert email in first.stdout
    assert f"password: {PASSWORD}" in first.stdout
    assert "added now:" in first.stdout
    second = _demo(database_url)
    assert second.returncode == 0, second.stderr
    assert "already seeded, nothing added" in second.stdout, second.stdout
    assert _summary(second.stdout) == _summary(first.stdout)

    server = start_server(tmp_path, STOREWIRE_DATABASE_URL=database_url)
    try:
        seeded = await _snapshot(server.url)
    finally:
        server.stop()

    assert len(seeded["stores"]) >= 3 and all(open_ for _, open_ in seeded["stores"])
    assert {"Sam's Coffee Roasters", "Bianca's Bakery & Bistro", "Northwind Cafe Supply"} <= {
        name for name, _ in seeded["stores"]
    }
    for email in SELLERS:
        assert len(seeded["products"][email]) >= 3
        assert seeded["drafts"][email] == 1
        near = [
            v
            for v in seeded["variants"][email]
            if v["low_stock_threshold"] < v["stock"] <= v["low_stock_threshold"] + 3
        ]
        assert near, f"{email} has no variant just above its low-stock threshold"
    assert all(seeded["carts"][email] for email in BUYERS)
    statuses = Counter(status for status, _, _ in seeded["orders"])
    assert {"pending", "confirmed", "preparing", "shipped", "cancelled"} <= set(statuses)
    assert any(status == "shipped" and tracking for status, _, tracking in seeded["orders"])
    assert any(payment == "paid" for _, payment, _ in seeded["orders"])
    assert ("buyer3@demo.storewire.dev", "accepted") in seeded["invitations"]
    assert seeded["wholesale_orders"] == ["awaiting_deposit"]
    assert [status for _, status in seeded["quotations"]] == ["sent"]

    # ``serve --demo`` seeds through the same code, in the server: on this database it adds nothing.
    server = start_server(tmp_path, STOREWIRE_DATABASE_URL=database_url, STOREWIRE_DEMO="true")
    try:
        assert await _snapshot(server.url) == seeded
        assert "already seeded, nothing added" in (tmp_path / "server.log").read_text()
        await _checkout_crosses_threshold(server.url)
    finally:
        server.stop()


async def _checkout_crosses_threshold(url: str) -> None:
    """Bea's seeded cart holds a variant 2 units above its threshold: checking it out crosses it."""
    async with httpx.AsyncClient(base_url=f"{url}/api/v1", timeout=30) as http:
        seller_id, seller_headers = await _login(http, SELLERS[0])
        _, bea = await _login(http, BUYERS[0])
        _, ben = await _login(http, BUYERS[1])
        seller = await listen(url, seller_headers["Authorization"].split()[1], ["websocket"])
        other_buyer = await listen(url, ben["Authorization"].split()[1], ["websocket"])
        try:
            cart = (await http.get("/cart", headers=bea)).json()["items"]
            decaf = next(item for item in cart if item["seller_id"] == seller_id)
            checkout = await http.post("/cart/checkout", headers=bea)
            assert checkout.status_code == 201, checkout.text
            assert len(checkout.json()["orders"]) == 2  # one per seller of the cart
            low = await seller.wait_for_match(
                "product:low_stock", lambda e: e["data"]["variant_id"] == decaf["variant_id"]
            )
            assert low["data"]["stock"] == low["data"]["threshold"]
            assert not other_buyer.of("product:low_stock")
        finally:
            await close_all(seller, other_buyer)
