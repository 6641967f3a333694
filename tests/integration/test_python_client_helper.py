"""storewire.client (the Python client helper) against a real server: resume across drops, room
re-joins, typed handlers, epochs and refusals (protocol.md §5-§6).

A drop closes the client's WebSocket under it (python-socketio then reconnects by itself). While the
client is away the test holds its reconnect at the token provider (``Gate``), so the events made over
REST meanwhile are surely missed live and must come by the resume's replay.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from storewire.client import Event, Position, StorewireClient, StorewireClientError, Sync
from storewire.commerce.orders.events import OrderEvent, OrderStatusChanged
from storewire.commerce.products.events import ProductChanged
from storewire.realtime.ephemeral import PresenceChanged
from tests.support import Api, ServerProcess, User, _user_token, listen

pytestmark = pytest.mark.integration

FOREIGN_EPOCH = "0123456789abcdef"


class Gate:
    """A token provider that holds every (re)connect while closed."""

    def __init__(self, token: str) -> None:
        self._token = token
        self._open = asyncio.Event()
        self._open.set()

    def close(self) -> None:
        self._open.clear()

    def open(self) -> None:
        self._open.set()

    async def token(self) -> str:
        await self._open.wait()
        return self._token


class Recorder:
    """A ``StorewireClient`` and everything it handed the app, in one ordered log."""

    def __init__(self, server: ServerProcess, user: User, **options: Any) -> None:
        self.gate = Gate(user.token)
        options = {"reconnection_delay": 0.2, "randomization_factor": 0.0, **options}
        self.client = StorewireClient(server.url, token=self.gate.token, on_resync=self._resync, **options)
        self.log: list[tuple[str, Any]] = []
        self._changed = asyncio.Event()
        self.client.on_any(lambda event: self._add("event", event))
        self.client.on_sync(lambda sync: self._add("sync", sync))
        self.client.on_status(lambda status: self._add("status", status))
        self.client.on_error(lambda error: self._add("error", error))

    def _resync(self, sync: Sync) -> None:
        self._add("resync", sync)

    def _add(self, kind: str, value: Any) -> None:
        self.log.append((kind, value))
        self._changed.set()

    def of(self, kind: str) -> list[Any]:
        return [value for k, value in self.log if k == kind]

    def events(self, name: str) -> list[Event[Any]]:
        return [event for event in self.of("event") if event.type == name]

    def syncs(self, room: str | None = None) -> list[Sync]:
        return [sync for sync in self.of("sync") if sync.room == room]

    def index(self, match: Callable[[str, Any], bool]) -> int:
        return next(i for i, (kind, value) in enumerate(self.log) if match(kind, value))

    async def until(self, check: Callable[[], bool], what: str, timeout: float = 10) -> None:
        try:
            async with asyncio.timeout(timeout):
                while not check():
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}: {self.log}") from None

    async def start(self) -> Sync:
        """Connect from scratch: ``resume: {}`` is answered by a ``no_position`` resync."""
        await self.client.connect()
        async with asyncio.timeout(10):
            sync = await self.client.wait_synced()
        assert sync.recovered is False and sync.reason == "no_position", sync
        assert self.of("resync") == [sync]
        assert self.client.position == sync.position
        assert self.of("status") == ["connected"]
        return sync

    async def drop(self) -> None:
        """Lose the transport and hold the reconnect until ``back``."""
        drops = self.of("status").count("reconnecting")
        self.gate.close()
        await self.client._socket.drop()
        await self.until(lambda: self.of("status").count("reconnecting") > drops, "reconnecting")
        assert not self.client.connected

    async def back(self) -> Sync:
        """Let the reconnect through; returns the sync once it and every join's reached the app."""
        assert not self.client.connected, "the client reconnected early: the events were not missed"
        resumed = self.of("status").count("resumed")
        self.gate.open()
        await self.until(lambda: self.of("status").count("resumed") > resumed, "resumed")
        try:
            async with asyncio.timeout(10):
                return await self.client.wait_synced()
        except TimeoutError:
            raise AssertionError(f"not synced: {self.client._tracker.pending} {self.log}") from None


@pytest.fixture
async def recorders() -> AsyncIterator[list[Recorder]]:
    made: list[Recorder] = []
    yield made
    for recorder in made:
        recorder.gate.open()
        await recorder.client.disconnect()


async def created(api: Api, seller: User, n: int = 1) -> list[str]:
    return [(await api.product(seller))["id"] for _ in range(n)]


def product_ids(recorder: Recorder) -> list[str]:
    return [event.data.product_id for event in recorder.events("product:created")]


async def move(api: Api, seller: User, order_id: str, status: str) -> None:
    response = await api.http.post(
        f"/orders/{order_id}/status", headers=seller.headers, json={"status": status}
    )
    assert response.status_code == 200, response.text


async def test_a_dropped_client_gets_what_it_missed_once_in_order_before_its_sync(
    server: ServerProcess, api: Api, recorders: list[Recorder]
) -> None:
    seller = await api.register("seller")
    recorder = Recorder(server, seller)
    recorders.append(recorder)
    first_sync = await recorder.start()
    (first,) = await created(api, seller)
    await recorder.until(lambda: len(recorder.events("product:created")) == 1, "the live event")

    await recorder.drop()
    missed = await created(api, seller, 3)
    sync = await recorder.back()

    assert sync.recovered is True and sync.room is None, sync
    assert sync.epoch == first_sync.epoch
    assert product_ids(recorder) == [first, *missed]  # once each, in order
    events = recorder.events("product:created")
    assert [e.seq for e in events] == sorted({e.seq for e in events if e.seq is not None})
    sync_at = recorder.index(lambda kind, value: kind == "sync" and value is sync)
    assert all(recorder.index(lambda k, v, e=e: k == "event" and v is e) < sync_at for e in events)
    assert recorder.of("status") == ["connected", "reconnecting", "resumed"]
    assert recorder.of("resync") == [first_sync]  # only the first connection's no_position
    position = recorder.client.position
    assert position is not None and position.epoch == sync.epoch
    assert position.seq >= max(e.seq for e in events if e.seq is not None)

    (live,) = await created(api, seller)
    await recorder.until(lambda: len(recorder.events("product:created")) == 5, "the live event after")
    await asyncio.sleep(0.3)  # a repeat would be here by now
    assert product_ids(recorder) == [first, *missed, live]


async def test_a_typed_handler_gets_the_catalogs_validated_model(
    server: ServerProcess, api: Api, recorders: list[Recorder], transports: list[str]
) -> None:
    seller, buyer = await api.register("seller"), await api.register("buyer")
    recorder = Recorder(server, seller, transports=transports)
    recorders.append(recorder)
    client = recorder.client
    typed: list[Event[ProductChanged]] = []
    orders: list[Event[Any]] = []
    client.on(client.spec("product:created", ProductChanged), typed.append)

    @client.on("order:created")  # by name: looked up in the catalog
    async def order_created(event: Event[Any]) -> None:
        orders.append(event)

    await recorder.start()
    product = await api.product(seller)
    placed = await api.order(buyer, product["variants"][0]["id"])
    assert placed.status_code == 201, placed.text
    await recorder.until(lambda: bool(typed) and bool(orders), "the typed events")

    (event,) = typed
    assert isinstance(event.data, ProductChanged)
    assert event.data.product_id == product["id"] and event.data.seller_id == seller.id
    assert event.type == "product:created" and event.id is not None and event.id.startswith("evt_")
    assert event.ts.tzinfo is not None
    assert event.invalidate == (("products", product["id"]), ("storefronts", seller.id, "products"))
    assert event.position == Position(event.epoch or "", event.seq or 0)
    (order,) = orders
    assert isinstance(order.data, OrderEvent) and order.data.order_id == placed.json()["id"]
    assert order.data.total_cents == 1250
    with pytest.raises(ValueError):
        client.on("no:such_event", typed.append)
    with pytest.raises(TypeError):
        client.spec("product:created", OrderEvent)


async def test_a_joined_order_room_replays_what_it_missed_after_the_reconnect(
    server: ServerProcess, api: Api, recorders: list[Recorder]
) -> None:
    seller, buyer = await api.register("seller"), await api.register("buyer")
    admin = User("admin", "", "admin", await _user_token(server, api, "admin"))
    product = await api.product(seller)
    placed = await api.order(buyer, product["variants"][0]["id"])
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    room = f"order:{order_id}"  # an admin hears status changes only through this room

    recorder = Recorder(server, admin)
    recorders.append(recorder)
    client = recorder.client
    moves: list[Event[OrderStatusChanged]] = []
    client.on(client.spec("order:status_changed", OrderStatusChanged), moves.append)
    await recorder.start()
    joined = await client.join(room)
    assert (joined.room, joined.recovered) == (room, True)
    async with asyncio.timeout(10):
        await client.wait_synced()
    assert [s.recovered for s in recorder.syncs(room)] == [True]
    await move(api, seller, order_id, "confirmed")
    await recorder.until(lambda: len(moves) == 1, "the live status change")

    await recorder.drop()
    await move(api, seller, order_id, "preparing")
    await move(api, seller, order_id, "ready")
    await recorder.back()

    assert [m.data.status for m in moves] == ["confirmed", "preparing", "ready"]  # once each, in order
    assert [m.data.previous_status for m in moves] == ["pending", "confirmed", "preparing"]
    (_, rejoin) = recorder.syncs(room)
    assert rejoin.recovered is True, rejoin
    sync_at = recorder.index(lambda kind, value: kind == "sync" and value is rejoin)
    replayed = [e for e in recorder.events("order:status_changed")][1:]
    assert all(recorder.index(lambda k, v, e=e: k == "event" and v is e) < sync_at for e in replayed)
    assert recorder.of("resync")[1:] == [] and recorder.of("error") == []
    assert client.rooms == (room,)

    # Left: not joined again after the next drop, and nothing more from it.
    await client.leave(room)
    assert client.rooms == ()
    await recorder.drop()
    await move(api, seller, order_id, "shipped")
    await recorder.back()
    assert recorder.syncs(room)[2:] == []
    await asyncio.sleep(0.3)
    assert len(moves) == 3


async def test_a_position_of_a_foreign_epoch_gives_a_resync_with_epoch_changed(
    server: ServerProcess, api: Api, recorders: list[Recorder]
) -> None:
    seller = await api.register("seller")
    recorder = Recorder(server, seller, position=Position(FOREIGN_EPOCH, 12))
    recorders.append(recorder)
    await recorder.client.connect()
    async with asyncio.timeout(10):
        sync = await recorder.client.wait_synced()
    assert sync.recovered is False and sync.reason == "epoch_changed", sync
    assert recorder.of("resync") == [sync]
    assert sync.epoch != FOREIGN_EPOCH
    assert recorder.client.position == sync.position  # the server's epoch from now on

    (product_id,) = await created(api, seller)
    await recorder.until(lambda: bool(recorder.events("product:created")), "a live event")
    assert product_ids(recorder) == [product_id]
    (event,) = recorder.events("product:created")
    assert event.epoch == sync.epoch


async def test_a_client_started_at_a_saved_position_gets_what_happened_since(
    server: ServerProcess, api: Api, recorders: list[Recorder]
) -> None:
    seller = await api.register("seller")
    before = Recorder(server, seller)
    recorders.append(before)
    await before.start()
    await created(api, seller)
    await before.until(lambda: bool(before.events("product:created")), "the live event")
    await before.client.disconnect()
    assert before.of("status")[-1] == "disconnected"
    saved = before.client.position

    missed = await created(api, seller, 2)
    after = Recorder(server, seller, position=saved)
    recorders.append(after)
    await after.client.connect()
    async with asyncio.timeout(10):
        sync = await after.client.wait_synced()
    assert sync.recovered is True, sync
    assert product_ids(after) == missed
    assert after.of("resync") == []


async def test_ephemeral_events_pass_typed_and_without_a_position(
    server: ServerProcess, api: Api, recorders: list[Recorder]
) -> None:
    seller, buyer = await api.register("seller"), await api.register("buyer")
    recorder = Recorder(server, buyer)
    recorders.append(recorder)
    presence: list[Event[PresenceChanged]] = []
    recorder.client.on(recorder.client.spec("presence:joined", PresenceChanged), presence.append)
    await recorder.start()
    room = f"storefront:{seller.id}"
    await recorder.client.join(room)
    position = recorder.client.position
    seller_socket = await listen(server.url, seller.token, ["websocket"])  # present in its storefront
    try:
        await recorder.until(lambda: bool(presence), "presence:joined")
    finally:
        await seller_socket.close()
    (event,) = presence
    assert (event.id, event.epoch, event.seq, event.position) == (None, None, None, None)
    assert event.data.room == room and event.data.user.id == seller.id
    assert recorder.client.position == position  # an ephemeral event moves nothing


async def test_refusals_raise_typed_errors_and_a_refused_room_is_forgotten(
    server: ServerProcess, api: Api, recorders: list[Recorder]
) -> None:
    seller, buyer, other = [await api.register(role) for role in ("seller", "buyer", "buyer")]
    product = await api.product(seller)
    placed = await api.order(buyer, product["variants"][0]["id"])
    assert placed.status_code == 201, placed.text
    recorder = Recorder(server, other)
    recorders.append(recorder)
    await recorder.start()
    room = f"order:{placed.json()['id']}"
    with pytest.raises(StorewireClientError) as refused:
        await recorder.client.join(room)
    assert (refused.value.code, refused.value.room) == ("forbidden", room)
    assert recorder.client.rooms == ()
    with pytest.raises(StorewireClientError) as invalid:
        await recorder.client.emit("room:join", {"room": "nope"})
    assert invalid.value.code == "invalid_room"
    assert (await recorder.client.emit("page:navigate", {"path": "/orders"})) == {"ok": True}
    with pytest.raises(StorewireClientError) as twice:
        await recorder.client.connect()
    assert twice.value.code == "already_connected" and recorder.client.connected

    stranger = StorewireClient(server.url, token="not-a-jwt", reconnection=False)
    with pytest.raises(StorewireClientError) as handshake:
        async with stranger:
            pass
    assert handshake.value.code == "auth_invalid"
    assert not stranger.connected
