"""A server with guests allowed and small connection limits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
import socketio

from tests.conftest import start_server
from tests.support import Api, ServerProcess, close_all, listen, refusal

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def guest_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = start_server(
        tmp_path_factory.mktemp("guests"), STOREWIRE_ALLOW_GUESTS="true", STOREWIRE_MAX_CONNECTIONS_PER_IP="3"
    )
    yield proc
    proc.stop()


@pytest.fixture
async def guest_api(guest_server: ServerProcess) -> AsyncIterator[Api]:
    client = Api(guest_server.url)
    yield client
    await client.close()


async def test_guests_join_public_rooms_only(guest_server: ServerProcess, guest_api: Api) -> None:
    seller, buyer = await guest_api.register("seller"), await guest_api.register("buyer")
    product = await guest_api.product(seller)
    draft = await guest_api.product(seller, status="draft")
    order = (await guest_api.order(buyer, product["variants"][0]["id"])).json()
    guest = await listen(guest_server.url, None, ["websocket"])
    try:
        assert (await guest.join(f"product:{product['id']}"))["ok"] is True
        assert (await guest.join(f"storefront:{seller.id}"))["ok"] is True
        assert (await guest.join(f"product:{draft['id']}"))["error"]["code"] == "forbidden"
        assert (await guest.join(f"order:{order['id']}"))["error"]["code"] == "forbidden"
        assert (await guest.join(f"user:{buyer.id}"))["error"]["code"] == "forbidden"
        assert (await guest.join("admin"))["error"]["code"] == "forbidden"
    finally:
        await guest.close()


async def test_per_address_limit(guest_server: ServerProcess) -> None:
    sockets = [await listen(guest_server.url, None, ["websocket"]) for _ in range(3)]
    try:
        data = await refusal(guest_server.url, ["websocket"])
        assert data == {"code": "too_many_connections", "message": "too many connections from this address"}
    finally:
        await close_all(*sockets)
    # Closing frees the places again (the server notices each close on its own schedule).
    for _ in range(50):
        try:
            again = await listen(guest_server.url, None, ["websocket"])
        except socketio.exceptions.ConnectionError:
            await asyncio.sleep(0.1)
        else:
            await again.close()
            return
    raise AssertionError("closed connections were never released")
