"""Resume (DESIGN §4, protocol.md §6): a socket that says where it was gets every event it missed, in
order, once, before ``sync:recovered``; then live delivery with no gap and no duplicate at the
hand-over. Raw python-socketio and official JS clients, over real sockets, against a real server."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import socketio

from tests.conftest import start_server
from tests.js_driver import JsDriver
from tests.support import Api, Listener, ServerProcess, User, assert_envelope, listen

pytestmark = pytest.mark.integration

PAGE = 7  # a small replay page, so every replay here crosses pages
MAX_REPLAY = 40


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = start_server(
        tmp_path_factory.mktemp("resume"),
        STOREWIRE_REPLAY_PAGE_SIZE=str(PAGE),
        STOREWIRE_REPLAY_MAX_EVENTS=str(MAX_REPLAY),
    )
    yield proc
    proc.stop()


async def resume(url: str, user: User | None, position: Any, transports: list[str]) -> Listener:
    """A raw python-socketio client connecting with ``auth.resume``."""
    listener = Listener(socketio.AsyncClient(reconnection=False))

    async def record(event: str, *args: Any) -> None:
        listener.events.append((event, args[0] if len(args) == 1 else list(args)))
        listener.arrived.set()

    listener.client.on("*", record)
    auth: dict[str, Any] = {"resume": position}
    if user is not None:
        auth["token"] = user.token
    await listener.client.connect(url, auth=auth, transports=transports, wait_timeout=10)
    return listener


async def position_of(url: str, user: User, transports: list[str]) -> dict[str, Any]:
    """The current position, as a client without one learns it (``resume: {}``)."""
    fresh = await resume(url, user, {}, transports)
    try:
        (sync,) = await fresh.wait_for("sync:recovered")
    finally:
        await fresh.close()
    assert sync["recovered"] is False and sync["reason"] == "no_position", sync
    assert isinstance(sync["epoch"], str) and sync["epoch"] and isinstance(sync["seq"], int)
    return {"epoch": sync["epoch"], "seq": sync["seq"]}


def until_sync(listener: Listener, room: str | None = None) -> list[tuple[str, Any]]:
    """Events received before the (first) ``sync:recovered`` [for ``room``]."""
    before = []
    for name, data in listener.events:
        if name == "sync:recovered" and (room is None or data.get("room") == room):
            return before
        before.append((name, data))
    raise AssertionError(f"no sync:recovered in {listener.events}")


async def products(api: Api, seller: User, n: int, **kwargs: Any) -> list[str]:
    return [(await api.product(seller, **kwargs))["id"] for _ in range(n)]


async def test_a_resuming_socket_gets_every_missed_event_once_in_order_before_sync(
    server: ServerProcess, api: Api, transports: list[str]
) -> None:
    seller = await api.register("seller")
    start = await position_of(server.url, seller, transports)
    # 30 events while away: they cross replay pages, and over polling more than one response (the
    # engine sends at most 16 packets per poll, all python-engineio's client takes).
    made = await products(api, seller, 30)
    back = await resume(server.url, seller, start, transports)
    try:
        (sync,) = await back.wait_for("sync:recovered")
        replayed = until_sync(back)
        assert [name for name, _ in replayed] == ["product:created"] * 30
        assert [data["data"]["product_id"] for _, data in replayed] == made
        seqs = [data["seq"] for _, data in replayed]
        assert seqs == sorted(set(seqs)) and seqs[0] > start["seq"]
        for _, data in replayed:
            assert_envelope(data, "product:created")
            assert data["epoch"] == start["epoch"]
        assert sync == {"recovered": True, "epoch": start["epoch"], "seq": sync["seq"]}
        assert sync["seq"] >= seqs[-1]
        # Then live, and nothing is repeated.
        (live,) = await products(api, seller, 1)
        event = await back.wait_for_match("product:created", lambda e: e["data"]["product_id"] == live)
        assert event["seq"] > sync["seq"]
        assert len(back.of("product:created")) == 31
    finally:
        await back.close()


async def test_resume_with_nothing_missed_recovers_with_no_replay(
    server: ServerProcess, api: Api, transports: list[str]
) -> None:
    seller = await api.register("seller")
    start = await position_of(server.url, seller, transports)
    back = await resume(server.url, seller, start, transports)
    try:
        (sync,) = await back.wait_for("sync:recovered")
        assert sync["recovered"] is True and until_sync(back) == []
    finally:
        await back.close()


async def test_a_replay_holds_only_the_sockets_own_rooms_events(
    server: ServerProcess, api: Api, transports: list[str]
) -> None:
    """Another seller's events in the same window are in the log, but never in this socket's replay."""
    seller, other = await api.register("seller"), await api.register("seller")
    start = await position_of(server.url, seller, transports)
    mine = await products(api, seller, 2)
    await products(api, other, 3)
    await products(api, seller, 1, status="draft")  # a draft: only the seller's own rooms
    back = await resume(server.url, seller, start, transports)
    try:
        await back.wait_for("sync:recovered")
        replayed = [data["data"]["product_id"] for name, data in until_sync(back)]
        assert replayed[:2] == mine and len(replayed) == 3
        intruder = await resume(server.url, other, start, transports)
        try:
            await intruder.wait_for("sync:recovered")
            seen = {data["data"]["seller_id"] for _, data in until_sync(intruder)}
            assert seen == {other.id}
        finally:
            await intruder.close()
    finally:
        await back.close()


async def test_live_events_during_a_replay_come_after_it_with_no_gap_and_no_duplicate(
    server: ServerProcess, api: Api, transports: list[str]
) -> None:
    seller = await api.register("seller")
    start = await position_of(server.url, seller, transports)
    before = await products(api, seller, 30)

    async def more() -> list[str]:
        return await products(api, seller, 15)

    writer = asyncio.create_task(more())
    back = await resume(server.url, seller, start, transports)
    try:
        during = await writer
        await back.wait_for("sync:recovered")
        (last,) = await products(api, seller, 1)
        await back.wait_for_match("product:created", lambda e: e["data"]["product_id"] == last)
        got = [data for name, data in back.events if name == "product:created"]
        assert [e["data"]["product_id"] for e in got] == [*before, *during, last]
        seqs = [e["seq"] for e in got]
        assert seqs == sorted(set(seqs))
    finally:
        await back.close()


async def test_join_with_since_replays_that_rooms_missed_events_after_the_ack(
    server: ServerProcess, api: Api, transports: list[str]
) -> None:
    seller, buyer = await api.register("seller"), await api.register("buyer")
    start = await position_of(server.url, buyer, transports)
    made = await products(api, seller, 9)
    await products(api, await api.register("seller"), 2)  # another storefront: not replayed
    listener = await listen(server.url, buyer.token, transports)
    try:
        room = f"storefront:{seller.id}"
        ack = await listener.client.call("room:join", {"room": room, "since": start}, timeout=10)
        assert ack == {"ok": True, "room": room, "recovered": True}
        await listener.wait_for("sync:recovered")
        replayed = until_sync(listener, room)
        assert [data["data"]["product_id"] for _, data in replayed] == made
        (sync,) = listener.of("sync:recovered")
        assert sync["recovered"] is True and sync["room"] == room and sync["epoch"] == start["epoch"]
        # Joined without since: no replay, no sync.
        plain = f"storefront:{(await api.register('seller')).id}"
        assert await listener.join(plain) == {"ok": True, "room": plain}
        (live,) = await products(api, seller, 1)
        await listener.wait_for_match("product:created", lambda e: e["data"]["product_id"] == live)
        assert len(listener.of("sync:recovered")) == 1
    finally:
        await listener.close()


async def test_join_with_since_skips_what_the_socket_already_got_through_its_other_rooms(
    server: ServerProcess, api: Api, transports: list[str]
) -> None:
    """A seller's product events are in user:{seller} and storefront:{seller}: a resumed socket that then
    joins its storefront with the same position gets none of them twice."""
    seller = await api.register("seller")
    start = await position_of(server.url, seller, transports)
    made = await products(api, seller, 3)
    back = await resume(server.url, seller, start, transports)
    try:
        await back.wait_for("sync:recovered")
        room = f"storefront:{seller.id}"
        ack = await back.client.call("room:join", {"room": room, "since": start}, timeout=10)
        assert ack["recovered"] is True
        await back.wait_for("sync:recovered", 2)
        got = [data["data"]["product_id"] for data in back.of("product:created")]
        assert got == made
    finally:
        await back.close()


async def test_a_replay_never_holds_events_of_a_room_the_socket_may_not_join(
    server: ServerProcess, api: Api, transports: list[str]
) -> None:
    seller, buyer = await api.register("seller"), await api.register("buyer")
    start = await position_of(server.url, buyer, transports)
    draft = await api.product(seller, status="draft")
    listener = await listen(server.url, buyer.token, transports)
    try:
        for room in (f"product:{draft['id']}", f"kitchen:{seller.id}", f"user:{seller.id}"):
            ack = await listener.client.call("room:join", {"room": room, "since": start}, timeout=10)
            assert ack["ok"] is False and ack["error"]["code"] == "forbidden", ack
        await asyncio.sleep(0.3)
        assert listener.events == []
    finally:
        await listener.close()


@pytest.mark.parametrize(
    ("position", "reason"),
    [
        ({"epoch": "0123456789abcdef", "seq": 1}, "epoch_changed"),
        ({"epoch": "x", "seq": -1}, "invalid"),
        ({"epoch": "x", "seq": "12"}, "invalid"),
        ("yesterday", "invalid"),
    ],
)
async def test_a_position_that_cannot_be_resumed_is_recovered_false(
    server: ServerProcess, api: Api, transports: list[str], position: Any, reason: str
) -> None:
    seller = await api.register("seller")
    current = await position_of(server.url, seller, transports)
    # An event the server has fanned out before the resume: it must not be replayed. (One still in
    # flight when the socket connects would be live, and rightly sent before the sync.)
    watcher = await listen(server.url, seller.token, ["websocket"])
    try:
        await products(api, seller, 1)
        await watcher.wait_for("product:created")
    finally:
        await watcher.close()
    back = await resume(server.url, seller, position, transports)
    try:
        (sync,) = await back.wait_for("sync:recovered")
        assert sync["recovered"] is False and sync["reason"] == reason, sync
        assert sync["epoch"] == current["epoch"] and sync["seq"] >= current["seq"]
        assert until_sync(back) == []
        (live,) = await products(api, seller, 1)  # live after all
        await back.wait_for_match("product:created", lambda e: e["data"]["product_id"] == live)
    finally:
        await back.close()


async def test_a_position_ahead_of_the_log_is_invalid(
    server: ServerProcess, api: Api, transports: list[str]
) -> None:
    seller = await api.register("seller")
    current = await position_of(server.url, seller, transports)
    back = await resume(server.url, seller, {**current, "seq": current["seq"] + 10**9}, transports)
    try:
        (sync,) = await back.wait_for("sync:recovered")
        assert sync["recovered"] is False and sync["reason"] == "invalid"
    finally:
        await back.close()


async def test_a_backlog_above_the_limit_is_recovered_false(
    server: ServerProcess, api: Api, transports: list[str]
) -> None:
    seller = await api.register("seller")
    start = await position_of(server.url, seller, transports)
    made = await products(api, seller, MAX_REPLAY + 5)
    back = await resume(server.url, seller, start, transports)
    try:
        (sync,) = await back.wait_for("sync:recovered")
        assert sync["recovered"] is False and sync["reason"] == "too_many"
        # No replay: at most the last few, still on their way at the handshake, arrive live.
        assert {data["data"]["product_id"] for _, data in until_sync(back)} <= set(made[-5:])
    finally:
        await back.close()


async def test_the_official_js_client_resumes_too(server: ServerProcess, api: Api, js: JsDriver) -> None:
    seller = await api.register("seller")
    start = await position_of(server.url, seller, ["websocket"])
    made = await products(api, seller, 10)
    client = await js.open(server.url, ["websocket"], auth={"token": seller.token, "resume": start})
    assert (await js.settle(client))["type"] == "connect"
    try:
        (sync,) = await client.wait_for("sync:recovered")
        events = [(name, args[0]) for name, args in client.events]
        cut = [name for name, _ in events].index("sync:recovered")
        assert [e["data"]["product_id"] for _, e in events[:cut]] == made
        assert sync["recovered"] is True
    finally:
        await client.close()


# -- retention and restarts: servers of their own ------------------------------------------------


@pytest.fixture
def tight(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server keeping 10 events, pruning every 0.2 s."""
    proc = start_server(
        tmp_path_factory.mktemp("retention"),
        STOREWIRE_RETENTION_EVENTS="10",
        STOREWIRE_RETENTION_INTERVAL="0.2",
        STOREWIRE_RELAY_POLL_INTERVAL="0.05",
    )
    yield proc
    proc.stop()


async def test_a_position_older_than_retention_is_recovered_false(tight: ServerProcess) -> None:
    api = Api(tight.url)
    try:
        seller = await api.register("seller")
        start = await position_of(tight.url, seller, ["websocket"])
        await products(api, seller, 25)
        for _ in range(100):  # pruning runs in the background
            back = await resume(tight.url, seller, start, ["websocket"])
            (sync,) = await back.wait_for("sync:recovered")
            await back.close()
            if sync["recovered"] is False:
                break
            await asyncio.sleep(0.1)
        assert sync == {**sync, "recovered": False, "reason": "expired"}
        # A recent position is still fine.
        recent = await position_of(tight.url, seller, ["websocket"])
        await products(api, seller, 2)
        back = await resume(tight.url, seller, recent, ["websocket"])
        (sync,) = await back.wait_for("sync:recovered")
        await back.close()
        assert sync["recovered"] is True and len(until_sync(back)) == 2
    finally:
        await api.close()


async def test_resume_across_a_full_server_restart_on_the_same_database(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    tmp = tmp_path_factory.mktemp("restart")
    env = {"STOREWIRE_JWT_SECRET": "restart-secret-" + secrets.token_hex(16)}
    first = start_server(tmp, **env)
    api = Api(first.url)
    seller = await api.register("seller")
    start = await position_of(first.url, seller, ["websocket"])
    before = await products(api, seller, 4)
    await api.close()
    first.stop()

    second = start_server(tmp, **env)
    api = Api(second.url)
    try:
        after = await products(api, seller, 3)
        back = await resume(second.url, seller, start, ["websocket"])
        try:
            (sync,) = await back.wait_for("sync:recovered")
            assert sync["recovered"] is True and sync["epoch"] == start["epoch"]
            assert [d["data"]["product_id"] for _, d in until_sync(back)] == [*before, *after]
        finally:
            await back.close()
    finally:
        await api.close()
        second.stop()
