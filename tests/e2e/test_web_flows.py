"""The web UI end to end (issue 15): real browsers (Playwright on Debian's headless Chromium), a real
demo server process, several people at once, each in their own browser context.

Times from an action in one browser to its effect in another are printed (run with ``-s``), never
asserted: the machines are shared and noisy. The waits are generous; what is asserted is that the
effect arrives, in the right place, in the right order.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import BAKERY, DEMO_PASSWORD, KITCHEN, PHONE, context_for, screenshot
from tests.support import ServerProcess

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]

CSRF = {"x-storewire-csrf": "1"}
WAIT = 15_000  # ms: what a page may take to show a live change here


async def api(
    context: BrowserContext, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any
) -> Any:
    """A REST call with the context's session cookie (and the CSRF header a write needs)."""
    response = await context.request.fetch(
        f"/api/v1{path}", method=method, headers={**CSRF, **(headers or {})}, **kwargs
    )
    assert response.ok, f"{method} {path}: {response.status} {await response.text()}"
    return await response.json() if response.status != 204 else None


async def new_buyer(browser: Browser, server: ServerProcess, **kwargs: Any) -> BrowserContext:
    """A browser signed in as a buyer registered for this test (an empty cart, no orders)."""
    context = await context_for(browser, server, None, **kwargs)
    email = f"e2e-{secrets.token_hex(5)}@example.com"
    await api(
        context,
        "POST",
        "/auth/register",
        data={"email": email, "password": DEMO_PASSWORD, "name": "Eve Browser", "role": "buyer"},
    )
    await api(context, "POST", "/auth/session", data={"email": email, "password": DEMO_PASSWORD})
    return context


@dataclass
class Bakery:
    """The demo bakery's seller and a new buyer, each in their own browser."""

    seller: BrowserContext
    seller_id: str
    buyer: BrowserContext


@pytest.fixture
async def bakery(browser: Browser, demo: ServerProcess) -> AsyncIterator[Bakery]:
    seller = await context_for(browser, demo, BAKERY)
    buyer = await new_buyer(browser, demo)
    try:
        yield Bakery(seller, (await api(seller, "GET", "/me"))["id"], buyer)
    finally:
        await seller.close()
        await buyer.close()


async def opened(context: BrowserContext, path: str) -> Page:
    """A page at ``path`` once its socket is connected."""
    page = await context.new_page()
    await page.goto(path)
    status = page.get_by_test_id("conn-status")
    await expect(status).to_have_text(re.compile("connected|resumed"), timeout=WAIT)
    return page


async def until_text(page: Page, testid: str, pattern: str | re.Pattern[str], since: float) -> float:
    """Wait for ``testid`` to show ``pattern``; the seconds since ``since`` it took."""
    await expect(page.get_by_test_id(testid)).to_have_text(pattern, timeout=WAIT)
    return time.monotonic() - since


async def add_first_in_stock(store: Page) -> str:
    """Click the first enabled "Add to cart" on a storefront; the variant id."""
    button = store.locator('[data-testid^="add-var_"]:enabled').first
    testid = await button.get_attribute("data-testid")
    assert testid is not None
    await button.click()
    return testid.removeprefix("add-")


async def test_buyer_orders_and_pays_seller_sees_it_kitchen_moves_it_buyer_sees_the_status(
    browser: Browser, demo: ServerProcess, bakery: Bakery
) -> None:
    seller, buyer, bakery_id = bakery.seller, bakery.buyer, bakery.seller_id
    kitchen = await context_for(browser, demo, KITCHEN)

    dashboard = await opened(seller, "/seller")
    board = await opened(kitchen, "/kitchen")
    orders_before = int(await dashboard.get_by_test_id("metric-orders-today").inner_text())

    store = await opened(buyer, f"/store/{bakery_id}")
    await add_first_in_stock(store)
    await expect(store.get_by_test_id("cart-count")).to_have_text("1", timeout=WAIT)
    await store.get_by_test_id("cart-button").click()
    started = time.monotonic()
    await store.get_by_test_id("checkout").click()
    pay = store.locator('[data-testid^="pay-ord_"]')
    await expect(pay).to_have_count(1, timeout=WAIT)
    order_id = (await pay.get_attribute("data-testid") or "").removeprefix("pay-")

    # The seller: a toast, the badge and the row; the kitchen: a card.
    row = dashboard.get_by_test_id(f"order-row-{order_id}")
    await expect(row).to_be_visible(timeout=WAIT)
    seen_by_seller = time.monotonic() - started
    await expect(dashboard.get_by_test_id("new-order-toast")).to_be_visible(timeout=WAIT)
    await expect(dashboard.get_by_test_id("new-orders-badge")).to_have_text(re.compile(r"[1-9]"))
    await expect(board.get_by_test_id(f"kitchen-card-{order_id}")).to_be_visible(timeout=WAIT)

    # Pay (demo payment): the buyer lands on the order page; the seller's metrics move.
    paid_at = time.monotonic()
    await pay.click()
    await store.wait_for_url(f"**/orders/{order_id}", timeout=WAIT)
    order_page = store
    await expect(order_page.get_by_test_id("order-payment")).to_have_text("paid", timeout=WAIT)
    metrics_moved = await until_text(dashboard, "metric-orders-today", str(orders_before + 1), paid_at)
    await expect(dashboard.get_by_test_id(f"order-payment-{order_id}")).to_have_text("paid", timeout=WAIT)
    await expect(dashboard.get_by_test_id("metric-revenue")).not_to_have_text("")
    await screenshot(dashboard, "seller-dashboard")
    await screenshot(board, "kitchen")

    # The kitchen moves it on; the buyer's order page follows, live.
    await expect(order_page.get_by_test_id("order-status")).to_have_text("pending")
    moved_at = time.monotonic()
    await board.get_by_test_id(f"kitchen-advance-{order_id}").click()
    confirmed = await until_text(order_page, "order-status", "confirmed", moved_at)
    await board.get_by_test_id(f"kitchen-advance-{order_id}").click()
    await expect(order_page.get_by_test_id("order-status")).to_have_text("preparing", timeout=WAIT)
    await expect(dashboard.get_by_test_id(f"order-status-{order_id}")).to_have_text("preparing", timeout=WAIT)
    await screenshot(order_page, "order")
    print(
        f"\nbrowser to browser: checkout -> seller's row {seen_by_seller * 1000:.0f} ms; "
        f"pay -> seller's metrics {metrics_moved * 1000:.0f} ms; "
        f"kitchen -> buyer's status {confirmed * 1000:.0f} ms"
    )
    await kitchen.close()


async def test_two_tabs_of_one_buyer_keep_the_cart_in_sync(browser: Browser, demo: ServerProcess) -> None:
    buyer = await new_buyer(browser, demo)
    stores = await api(buyer, "GET", "/storefronts?limit=100")
    seller_id = (stores["items"] if isinstance(stores, dict) else stores)[0]["seller_id"]
    first = await opened(buyer, f"/store/{seller_id}")
    second = await opened(buyer, f"/store/{seller_id}")

    variant = await add_first_in_stock(first)
    await expect(first.get_by_test_id("cart-count")).to_have_text("1", timeout=WAIT)
    await expect(second.get_by_test_id("cart-count")).to_have_text("1", timeout=WAIT)

    await second.get_by_test_id("cart-button").click()
    await expect(second.get_by_test_id(f"cart-item-{variant}")).to_be_visible(timeout=WAIT)
    await screenshot(second, "cart-drawer")
    await second.get_by_test_id(f"cart-remove-{variant}").click()
    await expect(first.get_by_test_id("cart-count")).to_have_text("0", timeout=WAIT)
    await buyer.close()


async def test_a_chat_message_arrives_after_the_typing_indicator(bakery: Bakery) -> None:
    seller, buyer, bakery_id = bakery.seller, bakery.buyer, bakery.seller_id

    store = await opened(buyer, f"/store/{bakery_id}")
    await store.get_by_test_id("open-chat").click()
    await store.wait_for_url(re.compile(r"/chat\?room="), timeout=WAIT)
    room_id = store.url.split("room=")[1].split("&")[0]
    inbox = await opened(seller, "/chat")
    await expect(inbox.get_by_test_id(f"chat-room-{room_id}")).to_contain_text("Eve Browser", timeout=WAIT)
    await inbox.get_by_test_id(f"chat-room-{room_id}").click()
    # Typing is ephemeral (never replayed): type once each side sees the other in the room.
    await expect(inbox.get_by_test_id("chat-present")).to_contain_text("Eve Browser", timeout=WAIT)

    text = f"Is the sourdough vegan? {secrets.token_hex(3)}"
    await store.get_by_test_id("chat-input").press_sequentially(text[:8], delay=30)
    typing = inbox.get_by_test_id("typing-indicator")
    await expect(typing).to_contain_text("typing", timeout=WAIT)
    assert not await inbox.get_by_text(text).count(), "the message came before it was sent"
    await store.get_by_test_id("chat-input").fill(text)
    await store.get_by_test_id("chat-send").click()
    await expect(inbox.get_by_test_id("chat-messages")).to_contain_text(text, timeout=WAIT)
    await screenshot(inbox, "chat")

    # The unread count moves live for a seller who is elsewhere (with the room closed: an open room
    # marks what arrives as read).
    await inbox.close()
    elsewhere = await opened(seller, "/seller")
    await store.get_by_test_id("chat-input").fill("Also: do you deliver?")
    await store.get_by_test_id("chat-send").click()
    await expect(elsewhere.get_by_test_id("nav-chat-unread")).to_have_text(re.compile(r"[1-9]"), timeout=WAIT)


async def test_offline_then_back_shows_reconnecting_then_resumed_with_what_happened_meanwhile(
    bakery: Bakery,
) -> None:
    seller, buyer, bakery_id = bakery.seller, bakery.buyer, bakery.seller_id
    products = await api(buyer, "GET", f"/storefronts/{bakery_id}/products")
    variant = next(
        v["id"]
        for p in (products["items"] if isinstance(products, dict) else products)
        for v in p["variants"]
        if v["stock"] > 0
    )
    await api(buyer, "POST", "/cart/items", data={"variant_id": variant, "quantity": 1})
    checkout = await api(buyer, "POST", "/cart/checkout", headers={"idempotency-key": secrets.token_hex(8)})
    (order,) = checkout["orders"]
    page = await opened(buyer, f"/orders/{order['id']}")
    await expect(page.get_by_test_id("order-status")).to_have_text("pending")

    await buyer.set_offline(True)
    await expect(page.get_by_test_id("conn-status")).to_have_text("reconnecting", timeout=WAIT)
    await api(seller, "POST", f"/orders/{order['id']}/status", data={"status": "confirmed"})
    await api(seller, "POST", f"/orders/{order['id']}/status", data={"status": "preparing"})
    await page.wait_for_timeout(300)
    await expect(page.get_by_test_id("order-status")).to_have_text("pending")  # offline: nothing yet

    await buyer.set_offline(False)
    await expect(page.get_by_test_id("conn-status")).to_have_text("resumed", timeout=WAIT)
    await expect(page.get_by_test_id("order-status")).to_have_text("preparing", timeout=WAIT)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
async def test_every_page_renders_and_is_saved_as_a_screenshot(
    browser: Browser, demo: ServerProcess, viewport: str
) -> None:
    size = {"viewport": PHONE} if viewport == "phone" else {}
    guest = await context_for(browser, demo, None, **size)
    home = await opened(guest, "/")
    await expect(home.get_by_test_id("demo-welcome")).to_be_visible()
    await screenshot(home, f"home-{viewport}")
    signin = await opened(guest, "/signin")
    await expect(signin.get_by_test_id("demo-accounts")).to_be_visible()
    await screenshot(signin, f"signin-{viewport}")

    admin = await context_for(browser, demo, "admin@demo.storewire.dev", **size)
    seller = await context_for(browser, demo, BAKERY, **size)
    bakery_id = (await api(seller, "GET", "/me"))["id"]
    orders = await api(seller, "GET", "/orders")
    order_id = (orders["items"] if isinstance(orders, dict) else orders)[0]["id"]
    pages = {
        "ops": (admin, "/ops", "live-users"),
        "store": (guest, f"/store/{bakery_id}", "products"),
        "seller": (seller, "/seller", "orders-list"),
        "kitchen": (seller, "/kitchen", "kitchen-board"),
        "chat": (seller, "/chat", "chat-rooms"),
        "order": (seller, f"/orders/{order_id}", "order-status"),
    }
    for name, (context, path, testid) in pages.items():
        page = await opened(context, path)
        await expect(page.get_by_test_id(testid)).to_be_visible(timeout=WAIT)
        if name == "ops":  # the demo's refused and denied requests, and a working metrics link
            await expect(page.get_by_test_id("audit-entry").first).to_be_visible(timeout=WAIT)
            metrics = await page.request.get(
                await page.get_by_role("link", name=re.compile("metrics", re.I)).first.get_attribute("href")
                or ""
            )
            assert metrics.ok and "storewire_connections_active" in await metrics.text()
        overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {viewport} width"
        await screenshot(page, f"{name}-{viewport}")
        await page.close()
    for context in (guest, admin, seller):
        await context.close()
