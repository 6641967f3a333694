"""The publish API for other backends: service keys from the CLI, ``POST /api/v1/publish`` over the
catalog, the outbox and the log, exactly the catalog's rooms (or fewer), typed errors, idempotency."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import start_server
from tests.support import (
    Api,
    Crew,
    OrderAudience,
    ServerProcess,
    _server_env,
    assert_problem,
    make_crew,
    open_audience,
    place,
)

pytestmark = pytest.mark.integration

BURST = 20  # publishes per key before the limit; the refill is too slow to matter within a test


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """This module's server: a small publish burst per key, so the limit can be reached (per key)."""
    proc = start_server(
        tmp_path_factory.mktemp("publish"),
        STOREWIRE_PUBLISH_BURST=str(BURST),
        STOREWIRE_PUBLISH_PER_SECOND="0.001",
    )
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def crew(server: ServerProcess) -> Crew:
    return make_crew(server)


def storewire(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the storewire command against the server's database, as an operator would."""
    command = [sys.executable, "-m", "storewire", *args]
    return subprocess.run(command, env=_server_env(server), capture_output=True, text=True, timeout=60)


def create_key(server: ServerProcess, name: str = "billing backend") -> str:
    done = storewire(server, "keys", "create", "--name", name)
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip()
    assert key.startswith("swk_key_") and "\n" not in key, done.stdout
    return key


@pytest.fixture
async def key(server: ServerProcess) -> str:
    """A new key per test: each has its own publish burst."""
    return await asyncio.to_thread(create_key, server)


async def new_key(server: ServerProcess, name: str = "another backend") -> str:
    return await asyncio.to_thread(create_key, server, name)


def order_event(order: dict[str, Any], status: str = "confirmed") -> dict[str, Any]:
    """An ``order:status_changed`` payload for ``order``, as an order system elsewhere would send it."""
    return {
        "order_id": order["id"],
        "buyer_id": order["buyer_id"],
        "seller_id": order["seller_id"],
        "status": status,
        "previous_status": order["status"],
        "payment_status": order["payment_status"],
        "total_cents": order["total_cents"],
        "currency": order["currency"],
        "tracking_number": None,
    }


async def publish(api: Api, key: str, body: dict[str, Any], *, header: str = "bearer") -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if header == "bearer" else {"X-Api-Key": key}
    return await api.http.post("/publish", headers=headers, json=body)


async def get_order(api: Api, crew: Crew, order_id: str) -> dict[str, Any]:
    response = await api.http.get(f"/orders/{order_id}", headers=crew.seller.headers)
    assert response.status_code == 200, response.text
    order: dict[str, Any] = response.json()
    return order


async def test_a_published_order_event_reaches_exactly_its_catalog_rooms(
    server: ServerProcess, api: Api, crew: Crew, key: str, transports: list[str]
) -> None:
    buyer, _, order_id = await place(api, crew)
    order = await get_order(api, crew, order_id)
    audience = await OrderAudience.open(server, api, crew, buyer, order_id, transports)
    try:
        response = await publish(api, key, {"event": "order:status_changed", "data": order_event(order)})
        assert response.status_code == 202, response.text
        published = response.json()
        assert set(published) == {"event_id", "event", "rooms"}
        assert published["event"] == "order:status_changed"
        assert published["rooms"] == [
            f"user:{buyer.id}",
            f"user:{crew.seller.id}",
            f"order:{order_id}",
            f"kitchen:{crew.seller.id}",
        ]
        # buyer, seller, staff (kitchen) and the admin in order:{id}: once each; the outsider nothing.
        [envelope] = await audience.expect("order:status_changed")
        assert envelope["id"] == published["event_id"]
        assert envelope["data"] == order_event(order)
    finally:
        await audience.close()


async def test_rooms_narrow_the_audience_and_never_widen_it(
    server: ServerProcess, api: Api, crew: Crew, key: str
) -> None:
    buyer, _, order_id = await place(api, crew)
    order = await get_order(api, crew, order_id)
    outsider = await api.register("buyer")
    tokens = {"buyer": buyer.token, "seller": crew.seller.token, "outsider": outsider.token}
    audience = await open_audience(server.url, api, tokens, ["websocket"])
    try:
        data = order_event(order, "preparing")
        narrow = await publish(
            api, key, {"event": "order:status_changed", "rooms": [f"user:{buyer.id}"], "data": data}
        )
        assert narrow.status_code == 202, narrow.text
        assert narrow.json()["rooms"] == [f"user:{buyer.id}"]

        # A room the catalog does not give this payload is refused, even one of a real user.
        wider = await publish(
            api,
            key,
            {
                "event": "order:status_changed",
                "rooms": [f"user:{buyer.id}", f"user:{outsider.id}"],
                "data": data,
            },
        )
        assert_problem(wider, 422, "room_outside_audience")
        for room in ("admin", "sellers", f"storefront:{crew.seller.id}"):
            refused = await publish(
                api, key, {"event": "order:status_changed", "rooms": [room], "data": data}
            )
            assert_problem(refused, 422, "room_outside_audience")

        await audience.settle()
        audience.assert_reached("order:status_changed", {"buyer"}, order_id=order_id)
        assert audience["outsider"].of("order:status_changed") == []

        # audience "catalog" is the default spelled out: every room of the catalog.
        explicit = await publish(
            api,
            key,
            {"event": "order:status_changed", "audience": "catalog", "data": order_event(order, "ready")},
        )
        assert explicit.status_code == 202, explicit.text
        await audience.settle()
        audience.assert_reached("order:status_changed", {"buyer", "seller"}, status="ready")
    finally:
        await audience.close()


async def test_keys_are_required_and_user_tokens_are_not_keys(
    server: ServerProcess, api: Api, crew: Crew, key: str
) -> None:
    body = {
        "event": "product:updated",
        "data": {"product_id": "prd_1", "seller_id": crew.seller.id, "name": "Beans", "status": "draft"},
    }
    anonymous = await api.http.post("/publish", json=body)
    assert_problem(anonymous, 401, "auth_required")
    as_user = await publish(api, crew.seller.token, body)
    assert_problem(as_user, 401, "auth_invalid")
    as_admin = await publish(api, crew.admin_token, body)
    assert_problem(as_admin, 401, "auth_invalid")
    garbage = await publish(api, "swk_key_0000_" + "0" * 64, body)
    assert_problem(garbage, 401, "auth_invalid")
    # A well-formed key whose secret is wrong.
    forged = key[: -len("0" * 64)] + ("1" * 64 if not key.endswith("1" * 64) else "2" * 64)
    assert_problem(await publish(api, forged, body), 401, "auth_invalid")
    # A bad key is refused before its body is looked at.
    assert_problem(await publish(api, "nope", {"what": 1}), 401, "auth_invalid")


async def test_x_api_key_works_and_a_revoked_key_is_refused(server: ServerProcess, api: Api) -> None:
    seller = await api.register("seller")
    revocable = await new_key(server, "to revoke")
    body = {
        "event": "product:updated",
        "rooms": [f"user:{seller.id}"],
        "data": {"product_id": "prd_x", "seller_id": seller.id, "name": "Beans", "status": "draft"},
    }
    assert (await publish(api, revocable, body, header="x-api-key")).status_code == 202

    key_id = revocable.removeprefix("swk_").rpartition("_")[0]
    listed = await asyncio.to_thread(storewire, server, "keys", "list")
    assert listed.returncode == 0, listed.stderr
    assert key_id in listed.stdout and revocable.rpartition("_")[2] not in listed.stdout
    revoked = await asyncio.to_thread(storewire, server, "keys", "revoke", "--id", key_id)
    assert revoked.returncode == 0, revoked.stderr
    assert '"revoked_at":null' not in revoked.stdout
    assert_problem(await publish(api, revocable, body), 401, "auth_invalid")
    assert_problem(await publish(api, revocable, body, header="x-api-key"), 401, "auth_invalid")
    unknown = await asyncio.to_thread(storewire, server, "keys", "revoke", "--id", "key_nope")
    assert unknown.returncode == 1 and "not_found" in unknown.stderr

    # Only the SHA-256 of the secret is stored, never the key.
    path = server.database_url.removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT id, name, secret_hash FROM service_key WHERE id = ?", (key_id,)).fetchall()
    secret = revocable.rpartition("_")[2]
    assert rows == [(key_id, "to revoke", hashlib.sha256(bytes.fromhex(secret)).hexdigest())]


async def test_bad_events_payloads_and_rooms_get_422_and_emit_nothing(
    server: ServerProcess, api: Api, crew: Crew, key: str
) -> None:
    buyer, _, order_id = await place(api, crew)
    order = await get_order(api, crew, order_id)
    audience = await open_audience(server.url, api, {"buyer": buyer.token}, ["websocket"])
    try:
        data = order_event(order)
        cases: list[tuple[dict[str, Any], str]] = [
            ({"event": "order:teleported", "data": data}, "unknown_event"),
            ({"event": "nonsense", "data": data}, "unknown_event"),
            # Ephemeral events are the gateway's own: no outbox path, not publishable.
            (
                {
                    "event": "chat:typing",
                    "data": {"room": "chat:c1", "user": {"id": buyer.id, "name": "b", "role": "buyer"}},
                },
                "unknown_event",
            ),
            ({"event": "order:status_changed", "data": {**data, "total_cents": "lots"}}, "invalid_payload"),
            (
                {"event": "order:status_changed", "data": {k: v for k, v in data.items() if k != "buyer_id"}},
                "invalid_payload",
            ),
            (
                {"event": "order:status_changed", "data": {**data, "buyer_email": "x@example.com"}},
                "invalid_payload",
            ),
            ({"event": "order:status_changed", "data": "not an object"}, "invalid_payload"),
            ({"event": "order:status_changed"}, "invalid_payload"),
            ({"event": "order:status_changed", "data": data, "extra": 1}, "invalid_payload"),
            ({"event": "order:status_changed", "data": data, "rooms": []}, "invalid_payload"),
            ({"event": "order:status_changed", "data": data, "audience": "everyone"}, "invalid_payload"),
            (
                {
                    "event": "order:status_changed",
                    "data": data,
                    "rooms": [f"user:{buyer.id}"],
                    "audience": "catalog",
                },
                "invalid_payload",
            ),
            ({"event": "order:status_changed", "data": data, "rooms": ["nope:1"]}, "invalid_room"),
            ({"event": "order:status_changed", "data": data, "rooms": ["user:"]}, "invalid_room"),
            ({"event": "order:status_changed", "data": data, "rooms": ["admin:x"]}, "invalid_room"),
            ({"event": "order:status_changed", "data": {**data, "order_id": "bad id!"}}, "invalid_payload"),
        ]
        for body, code in cases:
            assert_problem(await publish(api, key, body), 422, code)
        await audience.settle()
        assert audience["buyer"].of("order:status_changed") == []
    finally:
        await audience.close()


async def test_a_repeated_idempotency_key_answers_the_first_result_and_emits_once(
    server: ServerProcess, api: Api, crew: Crew, key: str
) -> None:
    buyer, _, order_id = await place(api, crew)
    order = await get_order(api, crew, order_id)
    audience = await open_audience(server.url, api, {"buyer": buyer.token}, ["websocket"])
    try:
        body = {"event": "order:status_changed", "data": order_event(order), "idempotency_key": "sync-42"}
        first, second = await asyncio.gather(publish(api, key, body), publish(api, key, body))
        third = await publish(api, key, body)
        assert sorted([first.status_code, second.status_code]) == [200, 202], (first.text, second.text)
        assert third.status_code == 200 and third.headers["Idempotent-Replayed"] == "true"
        assert first.json() == second.json() == third.json()

        different = {**body, "data": order_event(order, "shipped")}
        assert_problem(await publish(api, key, different), 409, "idempotency_conflict")

        await audience.settle()
        audience.assert_reached("order:status_changed", {"buyer"}, order_id=order_id)
        assert audience["buyer"].of("order:status_changed")[0]["id"] == first.json()["event_id"]

        # Idempotency keys are per service key: another key's "sync-42" is its own publish.
        other = await publish(api, await new_key(server), body)
        assert other.status_code == 202 and other.json()["event_id"] != first.json()["event_id"]
        await audience.settle()
        audience.assert_reached("order:status_changed", {"buyer"}, count=2, order_id=order_id)
    finally:
        await audience.close()


async def test_each_key_is_rate_limited_on_its_own(server: ServerProcess, api: Api) -> None:
    seller = await api.register("seller")
    limited, fresh = await new_key(server, "busy"), await new_key(server, "quiet")
    body = {
        "event": "product:updated",
        "data": {"product_id": "prd_rl", "seller_id": seller.id, "name": "Beans", "status": "draft"},
    }
    answers = [await publish(api, limited, body) for _ in range(BURST)]
    assert [a.status_code for a in answers] == [202] * BURST, [a.text for a in answers]
    over = await publish(api, limited, body)
    assert_problem(over, 429, "rate_limited")
    assert over.json()["retry_after"] > 0
    assert (await publish(api, fresh, body)).status_code == 202
