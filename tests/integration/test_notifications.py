"""The notification inbox: inbox events stored per recipient user, ``notification:created``, and REST.

Events the catalog marks ``inbox`` are stored once per ``user:{id}`` room of their audience, in the
transaction that publishes them, and announced to that user as ``notification:created``. Proofs that a
socket got nothing use a later event to every socket (the fence: delivery is in ``seq`` order), never
timing.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import (
    PASSWORD,
    Api,
    Listener,
    ServerProcess,
    User,
    _user_token,
    assert_problem,
    open_audience,
)

pytestmark = pytest.mark.integration

NOTIFICATION_FIELDS = {"id", "event_id", "type", "title", "summary", "data", "created_at", "read_at"}


async def inbox(api: Api, user: User, **params: Any) -> dict[str, Any]:
    response = await api.http.get("/notifications", headers=user.headers, params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    assert set(page) == {"items", "next_cursor", "unread_count"}, page
    return page


async def everything(api: Api, user: User, **params: Any) -> list[dict[str, Any]]:
    """Every notification of ``user`` (following ``next_cursor``), newest first."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = await inbox(api, user, **params, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def logged(listener: Listener) -> list[str]:
    """The names of the logged events (those with a ``seq``) ``listener`` got; ephemeral ones such as
    ``presence:joined`` are not in the log and say nothing of what was published."""
    return [name for name, data in listener.events if isinstance(data, dict) and "seq" in data]


async def login(api: Api, user: User) -> User:
    """Log ``user`` in afresh, as a person coming back would."""
    response = await api.http.post("/auth/login", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return User(user.id, user.email, user.role, response.json()["access_token"])


async def paid_order(api: Api, seller: User, buyer: User) -> str:
    """``buyer`` orders one unit of a new product of ``seller`` (stock far above its threshold: no stock
    alerts) and pays it: two inbox events, ``order:created`` and ``order:payment_succeeded``."""
    product = await api.product(seller, stock=50)
    placed = await api.order(buyer, product["variants"][0]["id"])
    assert placed.status_code == 201, placed.text
    order_id: str = placed.json()["id"]
    paid = await api.http.post(
        f"/dev/payments/{order_id}", headers=buyer.headers, json={"outcome": "succeeded"}
    )
    assert paid.status_code == 200, paid.text
    return order_id


async def test_an_offline_user_finds_their_notifications_after_logging_in(
    server: ServerProcess, api: Api
) -> None:
    seller, buyer, stranger = (
        await api.register("seller"),
        await api.register("buyer"),
        await api.register("buyer"),
    )
    admin = User("admin", "", "admin", await _user_token(server, api, "admin"))
    order_id = await paid_order(api, seller, buyer)  # nobody has a socket open

    for person in (await login(api, buyer), await login(api, seller)):
        page = await inbox(api, person)
        assert page["unread_count"] == 2 and page["next_cursor"] is None, page
        items = page["items"]
        assert {item["type"] for item in items} == {"order:created", "order:payment_succeeded"}
        assert [item["id"] for item in items] == sorted((item["id"] for item in items), reverse=True)
        for item in items:
            assert set(item) == NOTIFICATION_FIELDS, item
            assert item["id"].startswith("ntf_") and item["event_id"].startswith("evt_")
            assert item["read_at"] is None and item["created_at"].endswith(("Z", "+00:00"))
            assert item["data"]["order_id"] == order_id and item["data"]["buyer_id"] == buyer.id
            assert order_id in item["summary"] and item["summary"].startswith(item["title"])
        paid = next(item for item in items if item["type"] == "order:payment_succeeded")
        assert (paid["title"], paid["data"]["payment_status"]) == ("Payment received", "paid")
        assert "12.50 EUR" in paid["summary"], paid["summary"]
        # One event, one id: the buyer's and the seller's notifications of it name the same event.
    buyer_events = {item["event_id"] for item in await everything(api, buyer)}
    assert buyer_events == {item["event_id"] for item in await everything(api, seller)}

    # Paging: one at a time, newest first, the same two.
    first = await inbox(api, buyer, limit=1)
    assert len(first["items"]) == 1 and first["next_cursor"] == first["items"][0]["id"]
    second = await inbox(api, buyer, limit=1, cursor=first["next_cursor"])
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    assert first["items"][0]["id"] > second["items"][0]["id"]
    assert second["unread_count"] == 2  # of the whole inbox, whatever the page

    # Only user: rooms have inboxes: the admin heard order:created in the admin room, and has none.
    # A stranger has none either, and sees nothing of others'.
    for person in (admin, stranger):
        assert await inbox(api, person) == {"items": [], "next_cursor": None, "unread_count": 0}

    bad_limit = await api.http.get("/notifications", headers=buyer.headers, params={"limit": 0})
    assert_problem(bad_limit, 422, "invalid_payload")
    assert_problem(await api.http.get("/notifications"), 401, "auth_required")


async def test_read_and_read_all_adjust_the_unread_count_of_the_owner_only(api: Api) -> None:
    seller, buyer, stranger = (
        await api.register("seller"),
        await api.register("buyer"),
        await api.register("buyer"),
    )
    await paid_order(api, seller, buyer)
    await paid_order(api, seller, buyer)
    items = await everything(api, buyer)
    assert len(items) == 4
    target = items[-1]

    # Another user's notification does not exist for them: reading it is 404 and changes nothing.
    for intruder in (stranger, seller):
        refused = await api.http.post(f"/notifications/{target['id']}/read", headers=intruder.headers)
        assert_problem(refused, 404, "not_found")
    assert_problem(
        await api.http.post("/notifications/ntf_nope/read", headers=buyer.headers), 404, "not_found"
    )
    assert (await inbox(api, buyer))["unread_count"] == 4

    read = await api.http.post(f"/notifications/{target['id']}/read", headers=buyer.headers)
    assert read.status_code == 200, read.text
    marked = read.json()
    assert marked["id"] == target["id"] and marked["read_at"] is not None
    again = await api.http.post(f"/notifications/{target['id']}/read", headers=buyer.headers)
    assert again.status_code == 200 and again.json()["read_at"] == marked["read_at"]  # idempotent

    page = await inbox(api, buyer)
    assert page["unread_count"] == 3
    unread = await everything(api, buyer, unread="true")
    assert len(unread) == 3 and target["id"] not in {item["id"] for item in unread}
    assert (await inbox(api, seller))["unread_count"] == 4  # the seller's copies are its own

    done = await api.http.post("/notifications/read-all", headers=buyer.headers)
    assert done.status_code == 200, done.text
    assert done.json() == {"marked_read": 3, "unread_count": 0}
    assert await everything(api, buyer, unread="true") == []
    assert all(item["read_at"] is not None for item in await everything(api, buyer))
    assert (await inbox(api, seller))["unread_count"] == 4
    again_all = await api.http.post("/notifications/read-all", headers=buyer.headers)
    assert again_all.json() == {"marked_read": 0, "unread_count": 0}


async def test_a_connected_user_gets_notification_created_once_per_inbox_event(
    server: ServerProcess, api: Api, transports: list[str]
) -> None:
    seller, buyer, outsider = (
        await api.register("seller"),
        await api.register("buyer"),
        await api.register("buyer"),
    )
    tokens = {"seller": seller.token, "buyer": buyer.token, "outsider": outsider.token}
    audience = await open_audience(server.url, api, tokens, transports)
    try:
        order_id = await paid_order(api, seller, buyer)
        await audience.settle()
        for who, user in (("buyer", buyer), ("seller", seller)):
            stored = {item["type"]: item for item in await everything(api, user)}
            assert set(stored) == {"order:created", "order:payment_succeeded"}
            for inbox_event in stored:
                # Exactly this user's socket, once, with the full envelope; nobody else.
                envelope = audience.assert_reached(
                    "notification:created", {who}, 1, user_id=user.id, type=inbox_event
                )[0]
                item = stored[inbox_event]
                assert envelope["data"] == {
                    "notification_id": item["id"],
                    "user_id": user.id,
                    "type": inbox_event,
                    "summary": item["summary"],
                    "created_at": item["created_at"],
                }
                assert envelope["invalidate"] == [["notifications"]]
                # The notification follows the event it records, in the same log.
                source = audience.assert_reached(inbox_event, {"buyer", "seller"}, 1, order_id=order_id)[0]
                assert source["id"] == item["event_id"] and source["seq"] < envelope["seq"]
            assert len(audience[who].of("notification:created")) == 2
        assert logged(audience["outsider"]) == ["product:created"]  # the fence only
    finally:
        await audience.close()


async def test_a_failed_mutation_leaves_no_notification(
    server: ServerProcess, api: Api, transports: list[str]
) -> None:
    buyer = await api.register("buyer")
    first, second = await api.register("seller"), await api.register("seller")
    # A checkout places one order per seller, in seller id order: the first seller's order (and its
    # order:created, an inbox event) is written before the second's line is found short.
    ample, short = sorted((first, second), key=lambda seller: seller.id)
    ample_product = await api.product(ample, stock=50)
    short_product = await api.product(short, stock=1)
    for product in (ample_product, short_product):
        added = await api.http.post(
            "/cart/items",
            headers=buyer.headers,
            json={"variant_id": product["variants"][0]["id"], "quantity": 1},
        )
        assert added.status_code == 201, added.text
    emptied = await api.http.put(
        f"/variants/{short_product['variants'][0]['id']}/stock", headers=short.headers, json={"quantity": 0}
    )
    assert emptied.status_code == 200, emptied.text  # stock:out, an inbox event of the short seller
    before = {user.id: await everything(api, user) for user in (buyer, ample, short)}
    assert [item["type"] for item in before[short.id]] == ["stock:out"]

    tokens = {"buyer": buyer.token, "ample": ample.token, "short": short.token}
    audience = await open_audience(server.url, api, tokens, transports)
    try:
        checkout = await api.http.post("/cart/checkout", headers=buyer.headers)
        assert_problem(checkout, 409, "insufficient_stock")
        direct = await api.order(buyer, short_product["variants"][0]["id"])
        assert_problem(direct, 409, "insufficient_stock")
        await audience.settle()
        for who in ("buyer", "ample", "short"):
            assert logged(audience[who]) == ["product:created"], who  # the fence only
    finally:
        await audience.close()
    for user in (buyer, ample, short):
        assert await everything(api, user) == before[user.id]
    left = await api.http.get(f"/products/{ample_product['id']}", headers=ample.headers)
    assert left.json()["variants"][0]["stock"] == 50  # the first order was rolled back too
