"""Store settings: typed categories, their events and audiences, secret masking, and storefronts."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest

from tests.support import Api, Listener, ServerProcess, User, _user_token, assert_envelope, close_all, listen

pytestmark = pytest.mark.integration

PUBLIC = {"branding", "contact", "store_status", "shipping", "theme"}

# One realistic body per category, and the secrets in it (which must never leave the server whole).
SAMPLES: dict[str, dict[str, Any]] = {
    "branding": {
        "store_name": "Bean There",
        "tagline": "Fresh roasts",
        "logo_url": "https://cdn.example.com/logo.png",
    },
    "contact": {
        "email": "shop@example.com",
        "phone": "+49 30 1234567",
        "address": {
            "line1": "Main St 1",
            "line2": "",
            "city": "Berlin",
            "postal_code": "10115",
            "region": "",
            "country": "DE",
        },
    },
    "store_status": {"status": "open", "message": "Back on Monday"},
    "warehouse": {"name": "Hall 3", "handling_days": 2},
    "payment": {
        "provider": "stripe",
        "publishable_key": "pk_test_51Hpublic1234",
        "secret_key": "sk_test_51Hsecret9876",
        "webhook_secret": "whsec_abcdefgh5555",
    },
    "tax": {"tax_id": "DE123456789", "default_rate_bps": 1900},
    "shipping": {
        "currency": "EUR",
        "rates": [{"name": "EU", "countries": ["DE", "FR"], "rate_cents": 499, "free_over_cents": 5000}],
    },
    "domain": {"custom_domain": "shop.example.com", "verification_token": "verify-0123456789abcd"},
    "wholesale": {"enabled": True, "minimum_order_cents": 50000, "deposit_percent": 30},
    "subscription": {
        "plan": "pro",
        "billing_email": "billing@example.com",
        "api_key": "sub_live_zzzzyyyy7777",
    },
    "analytics": {"tracking_enabled": True, "google_analytics_id": "G-ABC123"},
    "theme": {"primary_color": "#112233", "layout": "list"},
}
SECRETS: dict[str, dict[str, str]] = {
    "payment": {
        "publishable_key": "••••1234",
        "secret_key": "••••9876",
        "webhook_secret": "••••5555",
    },
    "domain": {"verification_token": "••••abcd"},
    "subscription": {"api_key": "••••7777"},
}


def expected_values(category: str) -> dict[str, Any]:
    """What the sample looks like once stored and shown: as sent, secrets masked."""
    return {**SAMPLES[category], **SECRETS.get(category, {})}


def shown(values: dict[str, Any], sample: dict[str, Any]) -> dict[str, Any]:
    """The fields of ``values`` that ``sample`` sets."""
    return {key: values[key] for key in sample}


async def put(api: Api, user: User, category: str, body: dict[str, Any]) -> Any:
    return await api.http.put(f"/settings/{category}", headers=user.headers, json=body)


@pytest.mark.parametrize("category", list(SAMPLES))
async def test_each_category_event_reaches_exactly_its_rooms(
    server: ServerProcess, api: Api, category: str
) -> None:
    seller, buyer, other = (
        await api.register("seller"),
        await api.register("buyer"),
        await api.register("seller"),
    )
    seller_socket = await listen(server.url, seller.token, ["websocket"])
    buyer_socket = await listen(server.url, buyer.token, ["websocket"])
    other_socket = await listen(server.url, other.token, ["websocket"])
    name = f"settings:{category}_updated"
    try:
        assert (await buyer_socket.join(f"storefront:{seller.id}"))["ok"] is True
        assert (await other_socket.join(f"storefront:{other.id}"))["ok"] is True

        response = await put(api, seller, category, SAMPLES[category])
        assert response.status_code == 200, response.text
        assert shown(response.json(), SAMPLES[category]) == expected_values(category)

        (event,) = await seller_socket.wait_for(name)
        assert_envelope(event, name)
        assert event["data"] == {"seller_id": seller.id, "category": category, "values": response.json()}
        for secret in ("sk_test_51Hsecret9876", "whsec_abcdefgh5555", "verify-0123456789abcd"):
            assert secret not in json.dumps(event, ensure_ascii=False)
        keys = [["settings", category], ["settings"]]
        if category in PUBLIC:
            keys += [["storefronts", seller.id], ["storefronts"]]
        assert event["invalidate"] == keys

        # A public event after it: once it has arrived, everything before it has too (seq order).
        sentinel = "branding" if category == "theme" else "theme"
        assert (await put(api, seller, sentinel, SAMPLES[sentinel])).status_code == 200
        (after,) = await buyer_socket.wait_for(f"settings:{sentinel}_updated")
        await seller_socket.wait_for(f"settings:{sentinel}_updated")
        assert after["seq"] > event["seq"]
        assert len(seller_socket.of(name)) == 1
        if category in PUBLIC:
            assert buyer_socket.of(name) == [event]  # the same envelope: id, epoch and seq
        else:
            assert buyer_socket.of(name) == []
        assert [e for e, _ in buyer_socket.events] == (
            [name, after["type"]] if category in PUBLIC else [after["type"]]
        )

        # The other seller's socket (own user room and own storefront) got none of it.
        assert (await put(api, other, "branding", {"store_name": "Other"})).status_code == 200
        await other_socket.wait_for("settings:branding_updated")
        assert [e for e, _ in other_socket.events] == ["settings:branding_updated"]
    finally:
        await close_all(seller_socket, buyer_socket, other_socket)


async def test_public_event_over_every_transport(
    server: ServerProcess, api: Api, transports: list[str]
) -> None:
    seller, buyer = await api.register("seller"), await api.register("buyer")
    buyer_socket = await listen(server.url, buyer.token, transports)
    seller_socket = await listen(server.url, seller.token, transports)
    try:
        assert (await buyer_socket.join(f"storefront:{seller.id}"))["ok"] is True
        assert (
            await put(api, seller, "store_status", {"status": "open", "message": "hi"})
        ).status_code == 200
        (to_buyer,) = await buyer_socket.wait_for("settings:store_status_updated")
        (to_seller,) = await seller_socket.wait_for("settings:store_status_updated")
        assert to_buyer == to_seller
        assert_envelope(to_buyer, "settings:store_status_updated")
        assert isinstance(to_buyer["invalidate"], list) and to_buyer["invalidate"]
        assert to_buyer["data"]["values"] == {"status": "open", "message": "hi"}
    finally:
        await close_all(buyer_socket, seller_socket)


async def test_get_settings_defaults_masking_and_round_trip(server: ServerProcess, api: Api) -> None:
    seller = await api.register("seller")
    fresh = await api.http.get("/settings", headers=seller.headers)
    assert fresh.status_code == 200, fresh.text
    body = fresh.json()
    assert set(body) == {"seller_id", *SAMPLES}
    assert body["seller_id"] == seller.id
    assert body["store_status"] == {"status": "open", "message": None}
    assert body["payment"]["secret_key"] is None

    seller_socket = await listen(server.url, seller.token, ["websocket"])
    try:
        for category in ("payment", "domain", "subscription"):
            assert (await put(api, seller, category, SAMPLES[category])).status_code == 200
        read = (await api.http.get("/settings", headers=seller.headers)).json()
        for category, masks in SECRETS.items():
            assert shown(read[category], SAMPLES[category]) == expected_values(category)
            assert all(read[category][field] == mask for field, mask in masks.items())

        # Saving the form as loaded (masks and all) with one change keeps every stored secret.
        form = {**read["payment"], "currency": "USD"}
        saved = await put(api, seller, "payment", form)
        assert saved.status_code == 200, saved.text
        assert saved.json() == form
        events = await seller_socket.wait_for("settings:payment_updated", 2)
        assert events[-1]["data"]["values"] == form
        assert stored(server, seller.id, "payment") == {**SAMPLES["payment"], "currency": "USD"}

        # A mask that is not the stored secret's is refused; a new full secret replaces it.
        stale = await put(api, seller, "payment", {**form, "secret_key": "••••0000"})
        assert stale.status_code == 422 and stale.json()["code"] == "invalid_payload"
        changed = await put(api, seller, "payment", {**form, "secret_key": "sk_live_brandnew4242"})
        assert changed.status_code == 200 and changed.json()["secret_key"] == "••••4242"
        assert stored(server, seller.id, "payment")["secret_key"] == "sk_live_brandnew4242"
        # Short secrets are not shown at all.
        short = await put(api, seller, "subscription", {"api_key": "abc123"})
        assert short.json()["api_key"] == "••••"
    finally:
        await seller_socket.close()


def stored(server: ServerProcess, seller_id: str, category: str) -> dict[str, Any]:
    """A category's values as the server stored them (read from its SQLite file)."""
    with sqlite3.connect(server.tmp / "storewire.db") as db:
        (data,) = db.execute(
            "SELECT data FROM store_setting WHERE seller_id = ? AND category = ?", (seller_id, category)
        ).fetchone()
    result: dict[str, Any] = json.loads(data)
    return {key: value for key, value in result.items() if key in SAMPLES[category] or key == "currency"}


async def test_bad_input_and_who_may_write(server: ServerProcess, api: Api) -> None:
    seller, buyer = await api.register("seller"), await api.register("buyer")
    for category in SAMPLES:
        unknown = await put(api, seller, category, {**SAMPLES[category], "surprise": 1})
        assert unknown.status_code == 422, (category, unknown.text)
        assert unknown.json()["code"] == "invalid_payload"
        assert unknown.headers["content-type"] == "application/problem+json"
    for category, bad in [
        ("theme", {"primary_color": "red"}),
        ("store_status", {"status": "paused"}),
        ("tax", {"default_rate_bps": -1}),
        ("contact", {"email": "not-an-email"}),
        ("shipping", {"rates": [{"name": "x", "rate_cents": 1.5}]}),
        ("branding", {"logo_url": "javascript:alert(1)"}),
    ]:
        refused = await put(api, seller, category, bad)
        assert refused.status_code == 422 and refused.json()["code"] == "invalid_payload", (category, bad)

    by_buyer = await put(api, buyer, "branding", SAMPLES["branding"])
    assert by_buyer.status_code == 403 and by_buyer.json()["code"] == "forbidden"
    read_by_buyer = await api.http.get("/settings", headers=buyer.headers)
    assert read_by_buyer.status_code == 403 and read_by_buyer.json()["code"] == "forbidden"
    anonymous = await api.http.put("/settings/branding", json=SAMPLES["branding"])
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "auth_required"
    nowhere = await put(api, seller, "nonsense", {})
    assert nowhere.status_code == 404 and nowhere.json()["code"] == "not_found"

    # Staff read their seller's settings (secrets masked) but do not change them.
    assert (await put(api, seller, "payment", SAMPLES["payment"])).status_code == 200
    staff = User("", "", "staff", await _user_token(server, api, "staff", seller_id=seller.id))
    read = await api.http.get("/settings", headers=staff.headers)
    assert read.status_code == 200 and read.json()["seller_id"] == seller.id
    assert read.json()["payment"]["secret_key"] == "••••9876"
    by_staff = await put(api, staff, "branding", SAMPLES["branding"])
    assert by_staff.status_code == 403 and by_staff.json()["code"] == "forbidden"


async def test_openapi_names_every_category_schema(api: Api) -> None:
    document = (await api.http.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    for category in SAMPLES:
        name = "".join(part.title() for part in category.split("_")) + "Settings"
        operation = document["paths"][f"/api/v1/settings/{category}"]["put"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{name}"}, (category, body)
        assert schemas[name]["additionalProperties"] is False
    assert "SettingsOut" in schemas and "StorefrontPage" in schemas


async def test_a_closed_store_is_for_its_owner_only(server: ServerProcess, api: Api) -> None:
    seller, open_seller, buyer = (
        await api.register("seller"),
        await api.register("seller"),
        await api.register("buyer"),
    )
    admin = User("", "", "admin", await _user_token(server, api, "admin"))
    assert (await put(api, open_seller, "branding", {"store_name": "Open All Hours"})).status_code == 200
    watcher = await listen(server.url, buyer.token, ["websocket"])
    sockets: list[Listener] = [watcher]
    try:
        assert (await watcher.join(f"storefront:{seller.id}"))["ok"] is True
        closing = await put(api, seller, "store_status", {"status": "closed", "message": "Holidays"})
        assert closing.status_code == 200, closing.text
        (event,) = await watcher.wait_for("settings:store_status_updated")
        assert event["data"]["values"] == {"status": "closed", "message": "Holidays"}

        latecomer = await listen(server.url, buyer.token, ["websocket"])
        owner = await listen(server.url, seller.token, ["websocket"])
        admin_socket = await listen(server.url, admin.token, ["websocket"])
        sockets += [latecomer, owner, admin_socket]
        refused = await latecomer.join(f"storefront:{seller.id}")
        assert refused["ok"] is False and refused["error"]["code"] == "forbidden"
        assert (await owner.join(f"storefront:{seller.id}"))["ok"] is True
        assert (await admin_socket.join(f"storefront:{seller.id}"))["ok"] is True

        # REST: guests see open stores only; the owner and admins still see the closed one.
        listed = await all_storefronts(api)
        assert open_seller.id in listed and seller.id not in listed
        assert listed[open_seller.id]["name"] == "Open All Hours"
        assert listed[open_seller.id]["open"] is True
        for viewer in (None, buyer):
            hidden = await api.http.get(f"/storefronts/{seller.id}", headers=viewer.headers if viewer else {})
            assert hidden.status_code == 404 and hidden.json()["code"] == "not_found"
        for viewer in (seller, admin):
            own = await api.http.get(f"/storefronts/{seller.id}", headers=viewer.headers)
            assert own.status_code == 200 and own.json()["open"] is False
            assert own.json()["store_status"]["message"] == "Holidays"
        guest_view = await api.http.get(f"/storefronts/{open_seller.id}")
        assert (
            guest_view.status_code == 200 and guest_view.json()["branding"]["store_name"] == "Open All Hours"
        )
        not_a_store = await api.http.get(f"/storefronts/{buyer.id}")
        assert not_a_store.status_code == 404

        # Reopened: anyone may join and it is listed again.
        assert (await put(api, seller, "store_status", {"status": "open"})).status_code == 200
        assert (await latecomer.join(f"storefront:{seller.id}"))["ok"] is True
        assert seller.id in await all_storefronts(api)
    finally:
        await close_all(*sockets)


async def all_storefronts(api: Api) -> dict[str, dict[str, Any]]:
    """Every open store, walked two per page as a guest; no store appears twice."""
    found: dict[str, dict[str, Any]] = {}
    cursor: str | None = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = await api.http.get("/storefronts", params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["items"]) <= 2
        for item in body["items"]:
            assert item["seller_id"] not in found
            found[item["seller_id"]] = item
        cursor = body["next_cursor"]
        if cursor is None:
            return found


async def test_storefront_paging_validation(api: Api) -> None:
    too_many = await api.http.get("/storefronts", params={"limit": "1000"})
    assert too_many.status_code == 422 and too_many.json()["code"] == "invalid_payload"


async def test_a_sellers_me_names_its_own_store(api: Api) -> None:
    seller = await api.register("seller")
    me = (await api.http.get("/me", headers=seller.headers)).json()
    assert me["role"] == "seller" and me["seller_id"] == seller.id
