"""@storewire/client (``clients/js``) against a real server: resume across drops, room re-joins.

pytest starts ``node tests/js/helper_client.mjs`` (see that file for its line protocol), which drives
``createStorewire`` from the built package over real sockets. A client that drops and comes back gets
every event it missed, once, in order, before ``sync:recovered``, and shows ``reconnecting`` then
``resumed``; a room it joined replays its missed events after the reconnect too (protocol.md §6).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.js_helper import NODE, HelperClient, HelperDriver, require_build
from tests.support import Api, ServerProcess, User, assert_envelope

pytestmark = [
    pytest.mark.integration,
    pytest.mark.node,
    pytest.mark.skipif(NODE is None, reason="Node.js (`node`) is not installed; the JS client tests need it"),
]

WEBSOCKET = ["websocket"]


@pytest.fixture
async def helper() -> AsyncIterator[HelperDriver]:
    require_build()
    driver = await HelperDriver.start()
    try:
        yield driver
    finally:
        await driver.close()


async def started(
    helper: HelperDriver, server: ServerProcess, user: User, transports: list[str]
) -> HelperClient:
    """A client connected from scratch: ``resume: {}`` answered by a ``no_position`` resync."""
    client = await helper.create(server.url, user.token, transports)
    await client.until(lambda: bool(client.resyncs), "the no_position resync")
    (resync,) = client.resyncs
    assert resync["recovered"] is False and resync["reason"] == "no_position", resync
    assert client.statuses == ["connected"], client.reports
    state = await client.state()
    assert state["position"] == {"epoch": resync["epoch"], "seq": resync["seq"]}, state
    return client


def created(client: HelperClient) -> list[dict[str, Any]]:
    return client.of("product:created")


def product_ids(client: HelperClient) -> list[str]:
    return [e["data"]["product_id"] for e in created(client)]


def index_of(client: HelperClient, match: Any) -> int:
    """The position in the client's reports of the first one ``match`` accepts."""
    return next(i for i, r in enumerate(client.reports) if match(r))


def event_index(client: HelperClient, name: str, product_id: str) -> int:
    return index_of(
        client,
        lambda r: (
            r["type"] == "event"
            and r["event"] == name
            and r["args"][0]["data"].get("product_id") == product_id
        ),
    )


def sync_index(client: HelperClient, nth: int, room: str | None = None) -> int:
    """Where the ``nth`` (0-based) ``sync:recovered`` [of ``room``] is among the reports."""
    indices = [
        i
        for i, r in enumerate(client.reports)
        if r["type"] == "event" and r["event"] == "sync:recovered" and r["args"][0].get("room") == room
    ]
    return indices[nth]


def assert_once_in_order(client: HelperClient, expected: list[str]) -> None:
    """The client handed the app exactly these products' ``product:created``, in ``seq`` order."""
    events = created(client)
    assert product_ids(client) == expected, client.reports
    for event in events:
        assert_envelope(event, "product:created")
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(set(seqs)), seqs


async def test_a_dropped_client_gets_what_it_missed_once_in_order_then_resumed(
    server: ServerProcess, api: Api, helper: HelperDriver, transports: list[str]
) -> None:
    seller = await api.register("seller")
    client = await started(helper, server, seller, transports)
    first = (await api.product(seller))["id"]
    await client.wait_for("product:created")

    await client.offline()
    missed = [(await api.product(seller))["id"] for _ in range(3)]
    await client.online()
    await client.wait_status("resumed")
    # The driver reports the status the client set on sync:recovered, then that sync itself.
    await client.until(lambda: len(client.syncs()) == 2, "the resume's sync:recovered")

    assert client.statuses == ["connected", "reconnecting", "resumed"], client.reports
    assert_once_in_order(client, [first, *missed])
    sync = client.syncs()[1]  # the first was no_position
    assert sync["recovered"] is True, sync
    assert all(event_index(client, "product:created", pid) < sync_index(client, 1) for pid in missed)
    assert sync["seq"] >= created(client)[-1]["seq"]
    assert client.resyncs[1:] == [], client.resyncs  # only the first no_position

    live = (await api.product(seller))["id"]
    await client.wait_for("product:created", 5)
    assert_once_in_order(client, [first, *missed, live])
    state = await client.state()
    assert state["status"] == "resumed"
    assert state["position"]["epoch"] == sync["epoch"], state
    assert state["position"]["seq"] >= created(client)[-1]["seq"], state


async def test_a_joined_room_replays_what_it_missed_after_the_reconnect(
    server: ServerProcess, api: Api, helper: HelperDriver
) -> None:
    seller, buyer = await api.register("seller"), await api.register("buyer")
    room = f"storefront:{seller.id}"  # the buyer hears the seller's products only through this room
    client = await started(helper, server, buyer, WEBSOCKET)
    assert await client.join(room) == {"ok": True, "room": room, "recovered": True}
    await client.until(lambda: len(client.syncs(room)) == 1, "the join's sync:recovered")
    first = (await api.product(seller))["id"]
    await client.wait_for("product:created")

    await client.offline()
    missed = [(await api.product(seller))["id"] for _ in range(3)]
    await client.online()
    await client.until(lambda: len(client.syncs(room)) == 2, "the re-join's sync:recovered")

    assert client.syncs(room)[1]["recovered"] is True, client.syncs(room)
    assert_once_in_order(client, [first, *missed])
    assert all(event_index(client, "product:created", pid) < sync_index(client, 1, room) for pid in missed)
    assert client.statuses == ["connected", "reconnecting", "resumed"], client.reports
    state = await client.state()
    assert state["rooms"] == [room]
    assert state["position"]["seq"] >= created(client)[-1]["seq"]

    # Left: not joined again after the next drop, and nothing more from it.
    assert await client.leave(room) == {"ok": True}
    await client.offline()
    await api.product(seller)
    await client.online()
    await client.wait_status("resumed", 2)
    assert (await client.state())["rooms"] == []
    assert product_ids(client) == [first, *missed]


async def test_socket_io_reconnecting_by_itself_loses_nothing(
    server: ServerProcess, api: Api, helper: HelperDriver
) -> None:
    seller = await api.register("seller")
    client = await started(helper, server, seller, WEBSOCKET)
    ids = []
    for n in range(8):
        ids.append((await api.product(seller))["id"])
        if n == 2:
            await client.drop()  # the engine closes; socket.io reconnects after its delay
    await client.wait_status("resumed")
    await client.wait_for("product:created", len(ids))
    await asyncio.sleep(0.3)  # a repeat would arrive by now
    assert_once_in_order(client, ids)
    assert client.statuses == ["connected", "reconnecting", "resumed"], client.reports


async def test_a_new_client_at_a_saved_position_gets_what_happened_since(
    server: ServerProcess, api: Api, helper: HelperDriver
) -> None:
    seller = await api.register("seller")
    before = await started(helper, server, seller, WEBSOCKET)
    await api.product(seller)
    await before.wait_for("product:created")
    saved = (await before.state())["position"]
    await before.close()  # a page reload: the position was kept (say, in sessionStorage)

    missed = [(await api.product(seller))["id"] for _ in range(2)]
    after = await helper.create(server.url, seller.token, WEBSOCKET, position=saved)
    await after.until(lambda: bool(after.syncs()), "sync:recovered")
    assert after.syncs()[0]["recovered"] is True, after.syncs()
    assert_once_in_order(after, missed)
    assert after.resyncs == []
    assert after.statuses == ["connected"]


async def test_a_refused_handshake_is_reported_with_its_code(
    server: ServerProcess, helper: HelperDriver
) -> None:
    client = await helper.create(server.url, "not-a-token", WEBSOCKET)
    await client.until(lambda: bool(client.failures), "connect_error")
    assert client.failures[0]["code"] == "auth_invalid", client.failures
    await client.wait_status("disconnected")
