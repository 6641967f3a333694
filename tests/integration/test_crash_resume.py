"""Crashes (protocol.md §5-6): a real server process SIGKILLed in the middle of bursts of concurrent
writes, and in the middle of a resuming client's replay, loses no committed event, never sends an
uncommitted one and never gives one event two seqs. A client that resumes by hand after each restart
gets every committed event of its rooms exactly once after de-duplication by ``seq``, in ``seq`` order.

Where each kill lands (before a commit, between a commit and the relay logging it, between the log
commit and the fan-out, in the middle of a fan-out or of a replay) is not timed: the kills come at
points of the workload (after so many committed writes, or so many envelopes handled), and the proofs
hold wherever they land. ``CrashTrace`` records what state each kill left behind; it is printed (see it
with ``-s``, or in the captured output of a failure).

The client uses WebSocket only: the transports are covered by test_resume.py; here it is the kills.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sqlite3
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio

from tests.conftest import start_server
from tests.support import Api, ServerProcess, User

pytestmark = pytest.mark.integration

WRITERS = 8  # concurrent writers: 6 create products, 2 place orders
ORDER_WRITERS = 2
# Each SIGKILL in the middle of a burst comes once the writers have had so many commits (2xx) or the
# client has handled so many envelopes on its connection (the server is then amid its fan-out).
BURST_KILLS = (("commits", 240), ("envelopes", 150), ("commits", 60))
BACKLOG = 300  # committed writes on a node before the client comes back to it: a long replay
REPLAY_KILL_AFTER = 20  # replayed envelopes the client has handled when the mid-replay SIGKILL comes
MAX_WRITES = 3000  # a bound for a burst whose kill never comes (a bug): the test then fails, not hangs
PAGE = 5  # replay page size: the replay of the backlog spans many pages
LAZY = 10  # the last resume is from this many events back, like a client that saves its position lazily
FINAL = 5  # products written after the last restart, which must arrive live


# -- the resuming client --------------------------------------------------------------------------


@dataclass
class Life:
    """One connection of the resuming client: the position it resumed from and what it received."""

    resumed_from: int
    envelopes: list[dict[str, Any]] = field(default_factory=list)
    syncs: list[dict[str, Any]] = field(default_factory=list)
    other: list[tuple[str, Any]] = field(default_factory=list)


class ResumingClient:
    """A raw python-socketio client that keeps its position (epoch, last ``seq`` handled) and comes back
    with ``auth.resume`` by hand after each crash; it records every connection's events."""

    def __init__(self, token: str, epoch: str, seq: int) -> None:
        self.token = token
        self.epoch = epoch
        self.position = seq
        self.lives: list[Life] = []
        self.handled: set[int] = set()
        self.order: list[int] = []  # first-seen seqs, in arrival order
        self.tripwire: Callable[[Life], None] | None = None
        self._changed = asyncio.Event()
        self._socket: socketio.AsyncClient | None = None

    async def connect(self, url: str, seq: int | None = None) -> Life:
        """Connect with ``auth.resume`` at ``seq`` (default: the client's position)."""
        life = Life(self.position if seq is None else seq)
        self.lives.append(life)
        sock = socketio.AsyncClient(reconnection=False)

        async def record(event: str, *args: Any) -> None:
            # Synchronous up to here: events are recorded in arrival order.
            data: Any = args[0] if len(args) == 1 else list(args)
            if event == "sync:recovered":
                life.syncs.append(data)
                self.position = max(self.position, data["seq"])
            elif isinstance(data, dict) and isinstance(data.get("seq"), int):
                life.envelopes.append(data)
                if data["seq"] not in self.handled:  # de-duplication by seq
                    self.handled.add(data["seq"])
                    self.order.append(data["seq"])
                    self.position = max(self.position, data["seq"])
            else:
                life.other.append((event, data))
            if self.tripwire is not None:
                self.tripwire(life)
            self._changed.set()

        sock.on("*", record)
        position = {"epoch": self.epoch, "seq": life.resumed_from}
        await sock.connect(
            url, auth={"token": self.token, "resume": position}, transports=["websocket"], wait_timeout=10
        )
        self._socket = sock
        return life

    async def until(self, done: Callable[[], bool], what: str, timeout: float = 30) -> None:
        async def wait() -> None:
            while not done():
                self._changed.clear()
                await self._changed.wait()

        try:
            await asyncio.wait_for(wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"the client never saw {what}") from None

    async def dropped(self, timeout: float = 30) -> None:
        """The server died: wait until the socket notices, then let it go."""
        sock = self._socket
        assert sock is not None
        for _ in range(int(timeout / 0.05)):
            if not sock.connected:
                break
            await asyncio.sleep(0.05)
        assert not sock.connected, "the socket outlived its server"
        await self.close()

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.disconnect()
            self._socket = None


async def initial_position(url: str, token: str) -> tuple[str, int]:
    """The position a client without one learns (``resume: {}`` answers ``no_position``)."""
    sock = socketio.AsyncClient(reconnection=False)
    synced: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

    def on_sync(data: dict[str, Any]) -> None:
        if not synced.done():
            synced.set_result(data)

    sock.on("sync:recovered", on_sync)
    await sock.connect(url, auth={"token": token, "resume": {}}, transports=["websocket"], wait_timeout=10)
    try:
        sync = await asyncio.wait_for(synced, 10)
    finally:
        await sock.disconnect()
    assert sync["recovered"] is False and sync["reason"] == "no_position", sync
    return sync["epoch"], sync["seq"]


# -- the writers ----------------------------------------------------------------------------------


@dataclass
class Burst:
    """Concurrent writers until their server dies (or ``MAX_WRITES``). A 2xx write is committed; a write
    cut off by the crash may or may not be."""

    products: list[str] = field(default_factory=list)
    orders: list[str] = field(default_factory=list)
    cut_off: int = 0
    unexpected: list[str] = field(default_factory=list)

    @property
    def committed(self) -> int:
        return len(self.products) + len(self.orders)


async def burst(
    url: str, seller: User, buyers: list[User], variant: str, on_commit: Callable[[int], None]
) -> Burst:
    result = Burst()
    product = {
        "name": "Crash Beans",
        "status": "published",
        "variants": [{"name": "250 g", "price_cents": 1250, "currency": "EUR", "stock": 5}],
    }

    async def write(
        http: httpx.AsyncClient, request: Callable[[], Awaitable[httpx.Response]], into: list[str]
    ) -> None:
        while result.committed < MAX_WRITES:
            try:
                response = await request()
            except httpx.TransportError:
                result.cut_off += 1  # the server died with this request in flight
                return
            if response.status_code != 201:
                result.unexpected.append(f"{response.status_code} {response.text}")
                return
            into.append(response.json()["id"])
            on_commit(result.committed)

    async with httpx.AsyncClient(base_url=f"{url}/api/v1", timeout=30) as http:

        def create() -> Awaitable[httpx.Response]:
            return http.post("/products", headers=seller.headers, json=product)

        def order(buyer: User) -> Callable[[], Awaitable[httpx.Response]]:
            body = {"items": [{"variant_id": variant, "quantity": 1}]}
            return lambda: http.post("/orders", headers=buyer.headers, json=body)

        tasks = [write(http, create, result.products) for _ in range(WRITERS - ORDER_WRITERS)]
        tasks += [write(http, order(buyer), result.orders) for buyer in buyers]
        await asyncio.gather(*tasks)
    return result


def kill(server: ServerProcess) -> None:
    """SIGKILL, right now (called from inside an event or response handler)."""
    if server.process.poll() is None:
        server.process.kill()


def tripwires(
    trigger: str, count: int, server: ServerProcess, life: Life
) -> tuple[Callable[[int], None], Callable[[Life], None]]:
    """A writer's and the client's callbacks that SIGKILL ``server`` after ``count`` commits or after
    ``count`` envelopes on the client's connection ``life``, as ``trigger`` says."""

    def on_commit(committed: int) -> None:
        if trigger == "commits" and committed >= count:
            kill(server)

    def on_envelope(got: Life) -> None:
        if trigger == "envelopes" and got is life and len(life.envelopes) >= count:
            kill(server)

    return on_commit, on_envelope


def reap(server: ServerProcess) -> None:
    server.process.wait(30)
    assert server.process.returncode == -9, server.process.returncode
    server.stop()  # closes its log


# -- what the database holds ----------------------------------------------------------------------


@dataclass
class LogRow:
    seq: int
    event_id: str
    type: str
    rooms: list[str]
    data: dict[str, Any]
    exclude_sid: str | None


def read_database(path: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Rows of a query on the SQLite file of a server that is not running, opened read-only."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return connection.execute(sql, args).fetchall()
    finally:
        connection.close()


def event_log(path: Path) -> list[LogRow]:
    rows = read_database(
        path, "SELECT seq, event_id, type, rooms, data, exclude_sid FROM event_log ORDER BY seq"
    )
    return [
        LogRow(seq, eid, typ, json.loads(rooms), json.loads(data), ex)
        for seq, eid, typ, rooms, data, ex in rows
    ]


@dataclass
class CrashTrace:
    """What one kill left behind, read from the database before the restart (informational)."""

    kill: str
    log_last_seq: int
    published_seq: int
    outbox: int
    client_position: int
    unhandled: int

    @classmethod
    def read(cls, kill: str, path: Path, client: ResumingClient, rooms: set[str]) -> CrashTrace:
        ((published,),) = read_database(path, "SELECT published_seq FROM relay_state WHERE id = 1")
        ((outbox,),) = read_database(path, "SELECT count(*) FROM outbox")
        log = event_log(path)
        unhandled = sum(1 for row in log if row.seq > client.position and rooms & set(row.rooms))
        last = log[-1].seq if log else 0
        return cls(kill, last, published, outbox, client.position, unhandled)

    def __str__(self) -> str:
        return (
            f"{self.kill}: log up to seq {self.log_last_seq} (fan-out stored up to {self.published_seq}), "
            f"{self.outbox} committed events not yet logged; the client at seq {self.client_position}, "
            f"{self.unhandled} logged events of its rooms not yet handled"
        )


# -- the test -------------------------------------------------------------------------------------


async def test_sigkill_mid_burst_and_mid_replay_loses_no_committed_event_and_invents_none(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    tmp = tmp_path_factory.mktemp("crash")
    database = tmp / "storewire.db"
    env = {
        "STOREWIRE_JWT_SECRET": "crash-secret-" + secrets.token_hex(16),  # tokens survive the restarts
        "STOREWIRE_REPLAY_PAGE_SIZE": str(PAGE),
        "STOREWIRE_RELAY_BATCH_SIZE": "10",  # many log commits and fan-outs for a kill to fall between
    }
    traces: list[CrashTrace] = []
    bursts: list[Burst] = []

    # A seller and two buyers; the client learns its position (no_position), then connects with it.
    server = start_server(tmp, **env)
    try:
        api = Api(server.url)
        try:
            seller = await api.register("seller")
            buyers = [await api.register("buyer") for _ in range(ORDER_WRITERS)]
            stocked = await api.product(seller, stock=100_000)
            variant = stocked["variants"][0]["id"]
        finally:
            await api.close()
        epoch, start = await initial_position(server.url, seller.token)
    except BaseException:
        server.stop()
        raise
    rooms = {f"user:{seller.id}", "sellers", "everyone"}  # the seller's automatic rooms
    client = ResumingClient(seller.token, epoch, start)
    try:
        # 1. Bursts of concurrent writes, each cut by a SIGKILL after so many commits; after each
        # restart the client resumes from its position while the next burst already runs.
        for round_, (trigger, count) in enumerate(BURST_KILLS):
            if round_ > 0:
                server = start_server(tmp, **env)
            try:
                life = await client.connect(server.url)
                if round_ == 0:
                    await client.until(lambda: bool(client.lives[0].syncs), "sync:recovered")

                on_commit, on_envelope = tripwires(trigger, count, server, life)
                client.tripwire = on_envelope
                bursts.append(await burst(server.url, seller, buyers, variant, on_commit))
                await client.dropped()
                client.tripwire = None
            finally:
                kill(server)
                reap(server)
            traces.append(CrashTrace.read(f"kill {round_ + 1}, mid burst", database, client, rooms))
            assert bursts[-1].unexpected == [], bursts[-1].unexpected
            assert bursts[-1].cut_off > 0, (len(life.envelopes), life.syncs, life.other[:5], traces[-1])
            assert (bursts[-1].committed if trigger == "commits" else len(life.envelopes)) >= count

        # 2. Restart; a burst builds a backlog; the client resumes into it while the writers go on, and
        # the server is SIGKILLed once the client has handled a few replayed envelopes.
        server = start_server(tmp, **env)
        try:
            backlog = asyncio.Event()

            def build_backlog(committed: int) -> None:
                if committed >= BACKLOG:
                    backlog.set()

            writing = asyncio.create_task(burst(server.url, seller, buyers, variant, build_backlog))
            await asyncio.wait_for(backlog.wait(), 30)
            replaying = await client.connect(server.url)

            def mid_replay(life: Life, server: ServerProcess = server) -> None:
                if life is replaying and not life.syncs and len(life.envelopes) >= REPLAY_KILL_AFTER:
                    kill(server)

            client.tripwire = mid_replay
            bursts.append(await asyncio.wait_for(writing, 60))
            await client.dropped()
            client.tripwire = None
        finally:
            kill(server)
            reap(server)
        traces.append(CrashTrace.read(f"kill {len(traces) + 1}, mid replay", database, client, rooms))
        assert bursts[-1].unexpected == [], bursts[-1].unexpected
        # Not a timing assumption: the replay holds the whole backlog, and the kill came after a few.
        assert replaying.syncs == [] and len(replaying.envelopes) >= REPLAY_KILL_AFTER

        # 3. Restart; resume from a position LAZY events back (the repeats must be dropped by seq),
        # recover, then a few live events; read what is committed.
        server = start_server(tmp, **env)
        try:
            final = await client.connect(server.url, client.order[-LAZY])
            await client.until(lambda: bool(final.syncs), "sync:recovered after the last restart")
            api = Api(server.url)
            try:
                live = [(await api.product(seller))["id"] for _ in range(FINAL)]

                def got_live() -> bool:
                    created = [e for e in final.envelopes if e["type"] == "product:created"]
                    return set(live) <= {e["data"]["product_id"] for e in created}

                await client.until(got_live, "the live events after the last restart")
                listing = await api.http.get(f"/storefronts/{seller.id}/products", headers=seller.headers)
                assert listing.status_code == 200, listing.text
                products = {p["id"] for p in listing.json()}
            finally:
                await api.close()
        finally:
            await client.close()
            server.stop()
    finally:
        await client.close()
    orders = {
        oid for (oid,) in read_database(database, 'SELECT id FROM "order" WHERE seller_id = ?', seller.id)
    }
    log = event_log(database)
    report = "\n".join(map(str, traces))
    print(report)

    # -- the proofs -------------------------------------------------------------------------------
    received = [e for life in client.lives for e in life.envelopes]
    unique = {e["seq"]: e for e in received}

    # Every 2xx write is committed; the database holds at most the writes that were attempted.
    assert {p for b in bursts for p in b.products} | set(live) | {stocked["id"]} <= products, report
    assert {o for b in bursts for o in b.orders} <= orders, report
    attempted = sum(b.committed + b.cut_off for b in bursts) + FINAL
    assert len(products - {stocked["id"]}) + len(orders) <= attempted
    # The client's events start after its first position; the stocked product's creation may be after
    # it too (the position of a `no_position` sync may precede a commit not relayed yet).
    (stocked_seq,) = [
        r.seq for r in log if r.type == "product:created" and r.data["product_id"] == stocked["id"]
    ]
    if stocked_seq <= start:
        products -= {stocked["id"]}

    # Every resume recovered (nothing to refetch) in the one epoch.
    assert all(len(life.syncs) <= 1 for life in client.lives)
    assert client.lives[0].syncs and final.syncs
    for sync in (sync for life in client.lives for sync in life.syncs):
        assert sync["recovered"] is True and sync["epoch"] == epoch, sync

    # (c) One event, one seq: no id with two seqs, no seq with two ids, and a repeat is the same envelope.
    by_seq: dict[int, dict[str, Any]] = {}
    for envelope in received:
        assert by_seq.setdefault(envelope["seq"], envelope) == envelope, (envelope, by_seq[envelope["seq"]])
        assert envelope["epoch"] == epoch
    ids = Counter(e["id"] for e in unique.values())
    assert [i for i, n in ids.items() if n > 1] == [], "an event id with two seqs"
    assert len(received) > len(unique), "the lazy resume repeated nothing: de-duplication was not exercised"

    # (d) Order: on each connection every envelope's seq is above the position it resumed from and
    # above the previous envelope's (repeats included); first-seen seqs rise across the whole run.
    for life in client.lives:
        seqs = [e["seq"] for e in life.envelopes]
        assert seqs == sorted(set(seqs)), seqs
        assert not seqs or seqs[0] > life.resumed_from, (life.resumed_from, seqs[:5])
    assert client.order == sorted(client.order)
    assert client.order == sorted(unique)

    # (a) + (b) Every committed product and order has exactly one creation event among the handled
    # events, and every event is of a committed one.
    created = Counter(e["data"]["product_id"] for e in unique.values() if e["type"] == "product:created")
    assert [p for p, n in created.items() if n > 1] == []
    assert set(created) == products, (
        sorted(products - set(created))[:5],
        sorted(set(created) - products)[:5],
    )
    placed = Counter(e["data"]["order_id"] for e in unique.values() if e["type"] == "order:created")
    assert [o for o, n in placed.items() if n > 1] == []
    assert set(placed) == orders, (sorted(orders - set(placed))[:5], sorted(set(placed) - orders)[:5])
    mentioned = {e["data"]["product_id"] for e in unique.values() if "product_id" in e["data"]}
    assert mentioned <= products | {stocked["id"]}

    # (e) Nothing skipped: the handled seqs are exactly the logged events of the seller's rooms after
    # the starting position, each the same envelope as logged; the log itself gives each event one seq
    # and holds each committed product and order's creation once.
    mine = {
        row.seq: row for row in log if row.seq > start and rooms & set(row.rooms) and row.exclude_sid is None
    }
    assert set(unique) == set(mine), (
        sorted(set(mine) - set(unique))[:10],
        sorted(set(unique) - set(mine))[:10],
    )
    for seq, envelope in unique.items():
        row = mine[seq]
        assert (envelope["id"], envelope["type"], envelope["data"]) == (row.event_id, row.type, row.data)
    assert len({row.event_id for row in log}) == len(log)
    assert [row.seq for row in log] == list(range(log[0].seq, log[0].seq + len(log)))  # gap-free
    logged = Counter(row.data["product_id"] for row in log if row.type == "product:created")
    assert logged == Counter(products | {stocked["id"]})  # (with the stocked one, whatever its seq)
    logged_orders = Counter(row.data["order_id"] for row in log if row.type == "order:created")
    assert logged_orders == Counter(orders)
    assert read_database(database, "SELECT count(*) FROM outbox") == [(0,)]
