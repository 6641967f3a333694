"""Every event of the catalog, over real sockets, from both the official JS client and python-socketio.

One scripted day of a store triggers every event the catalog declares. Each role listens twice (a JS
``socket.io-client`` over WebSocket, a python-socketio client over long-polling), in the rooms a real
client of that role would be in. ``EXPECTED`` says, by hand, which roles each event must reach; the test
proves each of them got every instance exactly once with the full envelope, and every other role got
none. A last event to a room everyone is in (the fence) proves nothing more was on its way.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest

from storewire.commerce.registry import build_catalog
from tests.js_driver import NODE, JsClient, JsDriver, connect
from tests.support import Api, Listener, ServerProcess, User, _user_token, close_all, listen

pytestmark = [
    pytest.mark.integration,
    pytest.mark.node,
    pytest.mark.skipif(NODE is None, reason="Node.js is needed for the JS client"),
]

ENVELOPE = {"id", "type", "epoch", "seq", "ts", "data", "invalidate"}
SELLER, STAFF, BUYER, ADMIN = "seller", "staff", "buyer", "admin"
PRODUCT_ROOM, STOREFRONT = (
    "product_room",
    "storefront",
)  # buyers who joined product:{id} / storefront:{seller}
OUTSIDER, OTHER_SELLER = "outsider", "other_seller"  # must never hear anything of this store
ROLES = (SELLER, STAFF, BUYER, ADMIN, PRODUCT_ROOM, STOREFRONT, OUTSIDER, OTHER_SELLER)

ORDER_PARTIES = {BUYER, SELLER, STAFF, ADMIN}  # buyer, seller, kitchen, and the admin via the order room
PUBLIC_PRODUCT = {SELLER, PRODUCT_ROOM, STOREFRONT}
PUBLIC_SETTINGS = ("branding", "contact", "store_status", "shipping", "theme")
PRIVATE_SETTINGS = ("warehouse", "payment", "tax", "domain", "wholesale", "subscription", "analytics")

PER_USER = {"chat:room_updated", "notification:created"}  # data.user_id names the recipient

EXPECTED: dict[str, set[str]] = {
    "product:created": {SELLER, STOREFRONT},  # nobody can be in product:{id} before it exists
    "product:updated": PUBLIC_PRODUCT,
    "product:deleted": PUBLIC_PRODUCT,
    "product:price_changed": PUBLIC_PRODUCT,
    "product:stock_changed": PUBLIC_PRODUCT,
    "product:low_stock": {SELLER, ADMIN},
    "stock:out": PUBLIC_PRODUCT | {ADMIN},
    "stock:restocked": PUBLIC_PRODUCT | {ADMIN},
    **{f"settings:{name}_updated": {SELLER, STOREFRONT} for name in PUBLIC_SETTINGS},
    **{f"settings:{name}_updated": {SELLER} for name in PRIVATE_SETTINGS},
    "cart:updated": {BUYER},
    "cart:inventory_warning": {BUYER},
    "cart:price_changed": {BUYER},
    "order:created": ORDER_PARTIES,  # the admin through the admin room
    "order:status_changed": ORDER_PARTIES,
    "order:fulfillment_updated": ORDER_PARTIES,
    "order:payment_succeeded": ORDER_PARTIES,
    "order:payment_failed": ORDER_PARTIES,
    "order:payment_canceled": ORDER_PARTIES,
    "order:refunded": ORDER_PARTIES,
    "order:cancelled": ORDER_PARTIES,
    "wholesale:invitation_sent": {SELLER, BUYER},
    "wholesale:invitation_accepted": {SELLER, BUYER},
    "wholesale:invitation_rejected": {SELLER, BUYER},
    "wholesale:order_placed": {SELLER, BUYER},
    "wholesale:deposit_paid": {SELLER, BUYER},
    "quotation:created": {SELLER},  # a draft is the seller's alone
    "quotation:updated": {SELLER},
    "quotation:sent": {SELLER, BUYER},
    "quotation:accepted": {SELLER, BUYER},
    "quotation:rejected": {SELLER, BUYER},
    "quotation:paid": {SELLER, BUYER},
    "analytics:sale_completed": {SELLER},
    "analytics:metrics_updated": {SELLER, ADMIN},
    "system:announcement": {SELLER, OTHER_SELLER},  # one to "sellers"; to everyone: test_announcements.py
    "chat:message_created": {SELLER, BUYER},  # the participants, who joined chat:{id}
    "chat:room_updated": {SELLER, BUYER},  # each participant's own user: room
    "notification:created": {SELLER, BUYER},  # one per recipient user: room of each inbox event
}


@dataclass
class Role:
    """One role's two sockets: the JS client and the python-socketio one."""

    name: str
    user: User | None
    js: JsClient
    py: Listener

    async def join(self, room: str) -> None:
        for ack in (await self.js.join(room), await self.py.join(room)):
            assert ack == {"ok": True, "room": room}, (self.name, ack)

    def received(self, name: str) -> dict[str, list[dict[str, Any]]]:
        return {"js": self.js.of(name), "python": self.py.of(name)}


@dataclass
class Store:
    api: Api
    seller: User
    buyer: User
    admin_token: str
    roles: dict[str, Role] = field(default_factory=dict)
    fence_seller: User | None = None

    async def call(self, method: str, path: str, who: User, body: Any = None, expect: int = 200) -> Any:
        response = await self.api.http.request(method, path, headers=who.headers, json=body)
        assert response.status_code == expect, (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    async def fence(self) -> None:
        """Publish to the fence storefront every socket joined; wait until all of them have it."""
        assert self.fence_seller is not None
        product = await self.api.product(self.fence_seller)
        for role in self.roles.values():

            def arrived(events: list[Any]) -> bool:
                return any(e["data"]["product_id"] == product["id"] for e in events)

            await role.js.until(lambda r=role: arrived(r.js.of("product:created")), "the fence event", 30)
            await role.py.wait_for_match(
                "product:created", lambda e: e["data"]["product_id"] == product["id"], 30
            )


async def _role(
    name: str, user: User | None, token: str, server: ServerProcess, js: JsDriver, fence_room: str
) -> Role:
    role = Role(
        name,
        user,
        await connect(js, server, ["websocket"], token),
        await listen(server.url, token, ["polling"]),
    )
    await role.join(fence_room)
    return role


async def _store_day(store: Store) -> None:
    """Trigger every event of the catalog once or more, each instance with the audience EXPECTED says."""
    seller, buyer, roles = store.seller, store.buyer, store.roles

    # Products and stock. The product room can only be joined once the product exists.
    product = await store.call(
        "POST",
        "/products",
        seller,
        {
            "name": "Coverage Beans",
            "status": "published",
            "variants": [
                {
                    "name": "1 kg",
                    "price_cents": 2000,
                    "currency": "EUR",
                    "stock": 30,
                    "low_stock_threshold": 10,
                }
            ],
        },
        expect=201,
    )
    pid, vid = product["id"], product["variants"][0]["id"]
    # Join only once product:created has been fanned out, or the join could overtake it.
    await roles[SELLER].py.wait_for_match("product:created", lambda e: e["data"]["product_id"] == pid)
    await roles[PRODUCT_ROOM].join(f"product:{pid}")
    await store.call("PATCH", f"/products/{pid}", seller, {"description": "Chocolate, plum."})

    # The cart: added, then a price change and a stock drop below the carted quantity warn its owner.
    await store.call("POST", "/cart/items", buyer, {"variant_id": vid, "quantity": 3}, expect=201)
    await store.call("PATCH", f"/variants/{vid}", seller, {"price_cents": 2200})

    # Orders: one walks the whole flow and is refunded; others fail, are canceled, are cancelled.
    orders = []
    for _ in range(4):
        placed = await store.call(
            "POST", "/orders", buyer, {"items": [{"variant_id": vid, "quantity": 1}]}, expect=201
        )
        await roles[ADMIN].join(f"order:{placed['id']}")
        orders.append(placed["id"])
    paid, failed, canceled, cancelled = orders
    await store.call("POST", f"/dev/payments/{paid}", buyer, {"outcome": "succeeded"})
    await store.call("POST", f"/orders/{paid}/status", seller, {"status": "confirmed"})
    await store.call(
        "POST", f"/orders/{paid}/status", seller, {"status": "shipped", "tracking_number": "TRK-1"}
    )
    await store.call(
        "POST", f"/orders/{paid}/fulfillment", seller, {"tracking_number": "TRK-2", "carrier": "DHL"}
    )
    await store.call("POST", f"/orders/{paid}/refund", seller)
    await store.call("POST", f"/dev/payments/{failed}", buyer, {"outcome": "failed"})
    await store.call("POST", f"/dev/payments/{canceled}", buyer, {"outcome": "canceled"})
    await store.call("POST", f"/orders/{cancelled}/cancel", buyer, {"reason": "changed my mind"})

    # Stock lines: 30 -> 8 crosses the threshold (low), -> 2 is below the carted 3 (warning), -> 0 (out),
    # -> 20 (restocked).
    for quantity in (8, 2, 0, 20):
        await store.call("PUT", f"/variants/{vid}/stock", seller, {"quantity": quantity})
    await store.call("DELETE", "/cart", buyer)

    # Store settings: every category; every field has a default.
    for name in (*PUBLIC_SETTINGS, *PRIVATE_SETTINGS):
        await store.call("PUT", f"/settings/{name}", seller, {})

    # Wholesale: an invitation rejected, another accepted, an order and its deposit.
    first = await store.call("POST", "/wholesale/invitations", seller, {"email": buyer.email}, expect=201)
    await store.call("POST", f"/wholesale/invitations/{first['id']}/reject", buyer)
    second = await store.call("POST", "/wholesale/invitations", seller, {"email": buyer.email}, expect=201)
    await store.call("POST", f"/wholesale/invitations/{second['id']}/accept", buyer)
    bulk = await store.call(
        "POST",
        "/wholesale/orders",
        buyer,
        {"seller_id": seller.id, "items": [{"variant_id": vid, "quantity": 50}]},
        expect=201,
    )
    await store.call("POST", f"/wholesale/orders/{bulk['id']}/deposit", buyer)

    # Quotations: one drafted, edited, sent, accepted and paid; another sent and rejected.
    quote = {
        "buyer_id": buyer.id,
        "title": "Office coffee, monthly",
        "items": [{"description": "Beans, 10 kg", "quantity": 1, "unit_price_cents": 15000}],
        "currency": "EUR",
    }
    accepted = await store.call("POST", "/quotations", seller, quote, expect=201)
    await store.call(
        "PATCH", f"/quotations/{accepted['id']}", seller, {"title": "Office coffee, monthly (v2)"}
    )
    for who, action in ((seller, "send"), (buyer, "accept"), (buyer, "pay")):
        await store.call("POST", f"/quotations/{accepted['id']}/{action}", who)
    rejected = await store.call("POST", "/quotations", seller, quote, expect=201)
    for who, action in ((seller, "send"), (buyer, "reject")):
        await store.call("POST", f"/quotations/{rejected['id']}/{action}", who)

    # Chat: the buyer opens a room with the seller (room_updated to both), both join it, both write,
    # the buyer reads (room_updated to the buyer only).
    room = await store.call("POST", "/chat/rooms", buyer, {"seller_id": seller.id}, expect=201)
    for name in (BUYER, SELLER):
        await roles[name].join(f"chat:{room['id']}")
    for who, text in ((buyer, "Is the 1 kg bag whole bean?"), (seller, "Yes, whole bean.")):
        await store.call("POST", f"/chat/rooms/{room['id']}/messages", who, {"body": text}, expect=201)
    await store.call("POST", f"/chat/rooms/{room['id']}/read", buyer)

    # An admin announces to every seller.
    admin = User("", "", "admin", store.admin_token)
    await store.call(
        "POST",
        "/admin/announcements",
        admin,
        {"title": "Fees", "body": "Unchanged.", "audience": "sellers"},
        expect=201,
    )

    # The product goes away last: orders refer to it until then.
    await store.call("DELETE", f"/products/{pid}", seller, expect=204)


async def test_every_catalog_event_reaches_exactly_its_rooms_on_both_clients(
    server: ServerProcess, api: Api, js: JsDriver
) -> None:
    # Ephemeral events (presence, typing, live users) never pass the outbox: test_people.py covers them.
    logged = {spec.name for spec in build_catalog() if not spec.ephemeral}
    assert set(EXPECTED) == logged, "every logged catalog event has a row here"
    seller, buyer, outsider, other_seller, fan, watcher, fence_seller = [
        await api.register(role)
        for role in ("seller", "buyer", "buyer", "seller", "buyer", "buyer", "seller")
    ]
    staff_token = await _user_token(server, api, "staff", seller_id=seller.id)
    admin_token = await _user_token(server, api, "admin")
    store = Store(api, seller, buyer, admin_token, fence_seller=fence_seller)
    fence_room = f"storefront:{fence_seller.id}"
    people = [
        (SELLER, seller, seller.token),
        (STAFF, None, staff_token),
        (BUYER, buyer, buyer.token),
        (ADMIN, None, admin_token),
        (PRODUCT_ROOM, watcher, watcher.token),
        (STOREFRONT, fan, fan.token),
        (OUTSIDER, outsider, outsider.token),
        (OTHER_SELLER, other_seller, other_seller.token),
    ]
    try:
        for name, user, token in people:
            store.roles[name] = await _role(name, user, token, server, js, fence_room)
        await store.roles[STOREFRONT].join(f"storefront:{seller.id}")

        await _store_day(store)
        await store.fence()

        seen: set[str] = set()
        for event, audience in EXPECTED.items():
            by_role = {name: role.received(event) for name, role in store.roles.items()}
            if event == "product:created":  # the fence's own products are not this store's
                by_role = {
                    name: {
                        c: [e for e in got if e["data"]["seller_id"] == seller.id]
                        for c, got in clients.items()
                    }
                    for name, clients in by_role.items()
                }
            reached = {name for name, clients in by_role.items() if any(clients.values())}
            assert reached == audience, f"{event}: reached {sorted(reached)}, expected {sorted(audience)}"
            envelopes = {e["id"]: e for clients in by_role.values() for got in clients.values() for e in got}
            for name in audience:
                expected = set(envelopes)
                if event in PER_USER:  # one instance per recipient user, to that one only
                    user = store.roles[name].user
                    assert user is not None
                    expected = {i for i, e in envelopes.items() if e["data"]["user_id"] == user.id}
                    assert expected, f"{event}: none for {name}"
                for client, got in by_role[name].items():
                    ids = [e["id"] for e in got]
                    assert len(ids) == len(set(ids)), f"{event}: {name}/{client} got an envelope twice"
                    assert set(ids) == expected, f"{event}: {name}/{client} missed an instance"
            for envelope in envelopes.values():
                assert set(envelope) == ENVELOPE and envelope["type"] == event, envelope
            seen.add(event)
        assert seen == set(EXPECTED)
        for name in (OUTSIDER, OTHER_SELLER):  # nothing but the fence, in any form
            role = store.roles[name]
            for client, events in (("js", role.js.events), ("python", role.py.events)):
                names = {event for event, _ in events}
                # The fence's product:created, and presence in the fence's storefront (people joining it).
                # ... and the other seller, as every seller, hears announcements to sellers.
                allowed = {"product:created", "presence:joined"} | (
                    {"system:announcement"} if name == OTHER_SELLER else set()
                )
                assert names <= allowed, (name, client, names)
        # One sequence: within each socket, seq only grows.
        for role in store.roles.values():
            for events in ([args[0] for _, args in role.js.events], [data for _, data in role.py.events]):
                seqs = [e["seq"] for e in events if "seq" in e]  # ephemeral events have none
                assert all(a < b for a, b in itertools.pairwise(seqs)), (role.name, seqs)
    finally:
        await close_all(*(role.py for role in store.roles.values()))
