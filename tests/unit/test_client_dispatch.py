"""StorewireClient's handling of what arrives, without a server: packets are fed to the callbacks
python-socketio would call, in the same order, and the app's handlers are watched."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import BaseModel

from storewire.client import Event, Position, StorewireClient, Sync
from storewire.realtime.catalog import Catalog, EventSpec

E1, E2 = "e1e1e1e1e1e1e1e1", "e2e2e2e2e2e2e2e2"
TS = "2026-11-22T12:00:00.123Z"


class Thing(BaseModel):
    name: str


class Blip(BaseModel):
    room: str


CATALOG = Catalog(
    [
        EventSpec("thing:done", Thing, lambda _p: []),
        EventSpec("blip:seen", Blip, lambda _p: [], ephemeral=True),
    ]
)


def envelope(seq: int, name: str = "thing", epoch: str = E1, type_: str = "thing:done") -> dict[str, Any]:
    return {"id": f"evt_{seq}", "type": type_, "epoch": epoch, "seq": seq, "ts": TS, "data": {"name": name}}


@pytest.fixture
async def client() -> AsyncIterator[StorewireClient]:
    made = StorewireClient("http://127.0.0.1:9", catalog=CATALOG, position=Position(E1, 1))
    made._start_dispatcher()
    yield made
    await made._stop_dispatcher()


async def drained(client: StorewireClient) -> None:
    """Every queued job has run (the dispatcher takes them in order)."""
    done = asyncio.Event()

    async def mark() -> None:
        done.set()

    client._enqueue(mark)
    async with asyncio.timeout(5):
        await done.wait()


async def test_handlers_get_each_envelope_once_in_order_then_the_sync(client: StorewireClient) -> None:
    seen: list[Any] = []
    client.on("thing:done", lambda event: seen.append(("thing", event.seq, event.data)))
    client.on_sync(lambda sync: seen.append(("sync", sync.seq)))
    client._on_connect()
    for seq in (3, 5, 3, 4, 5):
        client._on_event("thing:done", envelope(seq, f"n{seq}"))
    client._on_event("sync:recovered", {"recovered": True, "epoch": E1, "seq": 9})
    async with asyncio.timeout(5):
        sync = await client.wait_synced()
    assert sync == Sync(True, E1, 9)
    assert seen == [
        ("thing", 3, Thing(name="n3")),
        ("thing", 5, Thing(name="n5")),
        ("thing", 4, Thing(name="n4")),  # older, never seen: a join replay sends those
        ("sync", 9),
    ]
    assert client.position == Position(E1, 9)


async def test_a_slow_async_handler_does_not_reorder_and_a_failing_one_stops_nothing(
    client: StorewireClient,
) -> None:
    seen: list[int | None] = []

    async def slow(event: Event[Thing]) -> None:
        await asyncio.sleep(0.05 if event.seq == 2 else 0)
        seen.append(event.seq)

    def failing(event: Event[Thing]) -> None:
        raise RuntimeError("app bug")

    client.on(CATALOG.get("thing:done"), failing)
    client.on(CATALOG.get("thing:done"), slow)
    for seq in (2, 3):
        client._on_event("thing:done", envelope(seq))
    await drained(client)
    assert seen == [2, 3]


async def test_a_new_epoch_asks_for_one_refetch_and_the_servers_sync_does_not_repeat_it(
    client: StorewireClient,
) -> None:
    resyncs: list[Sync] = []
    syncs: list[Sync] = []
    client.on_resync(resyncs.append)
    client.on_sync(syncs.append)
    client._on_connect()
    client._on_event("thing:done", envelope(7, epoch=E2))
    client._on_event("sync:recovered", {"recovered": False, "epoch": E2, "seq": 8, "reason": "epoch_changed"})
    async with asyncio.timeout(5):
        await client.wait_synced()
    assert resyncs == [Sync(False, E2, 7, reason="epoch_changed")]
    assert syncs == [Sync(False, E2, 8, reason="epoch_changed")]
    assert client.position == Position(E2, 8)


async def test_a_payload_that_does_not_validate_skips_typed_handlers_but_reaches_on_any(
    client: StorewireClient,
) -> None:
    typed: list[Event[Any]] = []
    anything: list[Event[Any]] = []
    client.on("thing:done", typed.append)
    client.on_any(anything.append)
    client._on_event("thing:done", {**envelope(2), "data": {"nom": "x"}})
    client._on_event("other:thing", {**envelope(3), "type": "other:thing"})  # unknown to this catalog
    client._on_event("thing:done", envelope(4))
    await drained(client)
    assert [e.seq for e in typed] == [4]
    assert [(e.seq, e.data) for e in anything] == [
        (2, {"nom": "x"}),
        (3, {"name": "thing"}),
        (4, Thing(name="thing")),
    ]


async def test_ephemeral_events_are_typed_never_deduplicated_and_move_no_position(
    client: StorewireClient,
) -> None:
    blips: list[Event[Blip]] = []
    client.on(CATALOG.get("blip:seen"), blips.append)
    raw = {"type": "blip:seen", "ts": TS, "data": {"room": "chat:c1"}}
    client._on_event("blip:seen", raw)
    client._on_event("blip:seen", raw)
    await drained(client)
    assert [(e.seq, e.data) for e in blips] == [(None, Blip(room="chat:c1"))] * 2
    assert client.position == Position(E1, 1)


async def test_malformed_packets_are_ignored(client: StorewireClient) -> None:
    anything: list[Event[Any]] = []
    client.on_any(anything.append)
    client._on_event("thing:done", "not an envelope")
    client._on_event("sync:recovered", {"recovered": "maybe"})
    await drained(client)
    assert anything == [] and client.position == Position(E1, 1)


async def test_the_status_follows_the_connection(client: StorewireClient) -> None:
    statuses: list[str] = []
    client.on_status(statuses.append)
    client._on_connect()
    client._on_disconnect(True)
    client._on_connect()
    client._on_disconnect(False)
    client._on_final()
    await drained(client)
    assert statuses == ["connected", "reconnecting", "resumed", "disconnected"]


async def test_auth_carries_the_current_token_and_position(client: StorewireClient) -> None:
    tokens = iter(["t1", "t2"])

    async def token() -> str:
        return next(tokens)

    client._token = token
    assert await client._auth() == {"token": "t1", "resume": {"epoch": E1, "seq": 1}}
    client._on_event("thing:done", envelope(6))
    assert await client._auth() == {"token": "t2", "resume": {"epoch": E1, "seq": 6}}
    fresh = StorewireClient("http://127.0.0.1:9", catalog=CATALOG)
    assert await fresh._auth() == {"resume": {}}


def test_registering_an_unknown_name_or_a_wrong_model_fails_early() -> None:
    client = StorewireClient("http://127.0.0.1:9", catalog=CATALOG)
    with pytest.raises(ValueError):
        client.on("nope:never", print)
    with pytest.raises(TypeError):
        client.spec("thing:done", Blip)
    assert client.spec("thing:done", Thing) is CATALOG.get("thing:done")


async def test_the_position_to_save_trails_the_handlers_not_the_socket(client: StorewireClient) -> None:
    # A run that dies inside a handler must get that event again next time: the saved position only
    # moves once the handlers of an event are done with it.
    release = asyncio.Event()
    done: list[int] = []

    async def slow(event: Any) -> None:
        await release.wait()
        done.append(event.seq)

    client.on("thing:done", slow)
    client._on_connect()
    client._on_event("thing:done", envelope(2))
    client._on_event("thing:done", envelope(3))
    await asyncio.sleep(0.01)
    assert done == [] and client.position == Position(E1, 1)  # received 2 and 3, handled neither
    release.set()
    async with asyncio.timeout(5):
        while client.position != Position(E1, 3):
            await asyncio.sleep(0.005)
    assert done == [2, 3]
