"""The relay: nothing committed is lost when it dies, seq is gap-free and in delivery order."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from pydantic import BaseModel
from sqlalchemy import func, select

from storewire.app import StorewireApp, create_app
from storewire.delivery.brokers.base import Broker, BrokerMessage
from storewire.delivery.brokers.memory import MemoryBroker
from storewire.delivery.publisher import Publisher
from storewire.delivery.relay import Relay
from storewire.realtime.catalog import Catalog, EventSpec
from storewire.realtime.rooms import Room
from storewire.settings import Settings
from storewire.storage.database import Database
from storewire.storage.tables import EventLogRow, OutboxRow
from tests.conftest import free_port
from tests.support import Api, listen

pytestmark = pytest.mark.integration


class Ping(BaseModel):
    n: int


CATALOG = Catalog([EventSpec("test:ping", Ping, lambda p: [Room.user(f"u{p.n % 3}")])])


class ThreadedServer:
    """A real uvicorn server in a thread, so the test can reach into its node (the relay)."""

    def __init__(self, app: StorewireApp, port: int) -> None:
        self.app = app
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=port, ws=app.uvicorn_ws(), log_level="warning")  # type: ignore[arg-type]
        self.server = uvicorn.Server(config)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.loop = loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self.server.serve())
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def start(self) -> None:
        self.thread.start()
        while not self.server.started:
            await asyncio.sleep(0.05)

    async def call(self, coro: Any) -> Any:
        assert self.loop is not None
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    async def stop(self) -> None:
        self.server.should_exit = True
        await asyncio.to_thread(self.thread.join, 15)


@pytest.fixture
async def threaded(tmp_path: Path) -> Any:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'relay.db'}",
        jwt_secret="relay-test-secret-0123456789abcdef0123",
        ping_interval=2,
    )
    server = ThreadedServer(create_app(settings), free_port())
    await server.start()
    yield server
    await server.stop()


async def _outbox_size(db: Database) -> int:
    async with db.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxRow)) or 0)


async def test_killed_relay_delivers_committed_events_when_restarted(threaded: ThreadedServer) -> None:
    node = threaded.app.node
    api = Api(threaded.url)
    seller, buyer = await api.register("seller"), await api.register("buyer")
    product = await api.product(seller)
    buyer_socket = await listen(threaded.url, buyer.token, ["websocket"])
    try:
        while await threaded.call(_outbox_size(node.db)):  # product:created is relayed first
            await asyncio.sleep(0.01)
        await threaded.call(node.relay.stop())  # the relay task dies; commits go on
        assert not node.relay.running
        orders = [await api.order(buyer, product["variants"][0]["id"]) for _ in range(3)]
        assert all(o.status_code == 201 for o in orders)
        # Each order is four events (order:created, product:stock_changed, and notification:created for
        # its buyer and its seller), committed with it.
        assert await threaded.call(_outbox_size(node.db)) == 12
        assert buyer_socket.of("order:created") == []

        await threaded.call(node.relay.start())
        events = await buyer_socket.wait_for("order:created", 3)
        assert [e["data"]["order_id"] for e in events] == [o.json()["id"] for o in orders]
        seqs = [e["seq"] for e in events]
        assert seqs == list(range(seqs[0], seqs[0] + 12, 4))  # each order's other events sit between
        assert await threaded.call(_outbox_size(node.db)) == 0
    finally:
        await buyer_socket.close()
        await api.close()


class Recorder(Broker):
    """A broker that records batches and can be told to fail (a crash between log and fan-out)."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[BrokerMessage]] = []
        self.fail = False

    async def publish(self, batch: Sequence[BrokerMessage]) -> None:
        if self.fail:
            raise ConnectionError("broker down")
        self.batches.append(list(batch))

    @property
    def seqs(self) -> list[int]:
        return [m.seq for batch in self.batches for m in batch]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'log.db'}")
    await database.upgrade()
    yield database
    await database.dispose()


async def _publish(db: Database, publisher: Publisher, n: int) -> None:
    async with db.transaction() as session:
        publisher.publish(session, "test:ping", Ping(n=n))


async def test_concurrent_writers_get_gap_free_seq_in_delivery_order(db: Database) -> None:
    broker = Recorder()
    relay = Relay(db, broker, batch_size=7, poll_interval=0.05)
    publisher = Publisher(CATALOG, relay.wake)
    await relay.start()
    try:
        await asyncio.gather(*(_publish(db, publisher, n) for n in range(60)))
        while len(broker.seqs) < 60:
            await asyncio.sleep(0.02)
    finally:
        await relay.stop()
    assert broker.seqs == list(range(1, 61))
    assert sorted(m.envelope["data"]["n"] for b in broker.batches for m in b) == list(range(60))
    assert all(
        m.envelope["seq"] == m.seq and m.envelope["epoch"] == relay.epoch for b in broker.batches for m in b
    )


async def test_crash_between_log_and_fan_out_republishes_the_same_envelopes(db: Database) -> None:
    broker = Recorder()
    relay = Relay(db, broker)
    publisher = Publisher(CATALOG, relay.wake)
    for n in range(3):
        await _publish(db, publisher, n)
    await relay._load_state()
    broker.fail = True
    with pytest.raises(ConnectionError):
        await relay.drain()  # logged with seq 1..3, never fanned out
    async with db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(EventLogRow)) == 3

    restarted = Relay(db, broker)
    broker.fail = False
    await restarted.start()
    await restarted.stop()
    assert broker.seqs == [1, 2, 3]
    ids = [m.envelope["id"] for m in broker.batches[0]]
    async with db.reading() as session:
        logged = (await session.scalars(select(EventLogRow.event_id).order_by(EventLogRow.seq))).all()
    assert ids == list(logged)
    assert restarted.epoch == relay.epoch

    # Afterwards new events continue the sequence.
    again = Relay(db, broker)
    await again.start()
    await _publish(db, Publisher(CATALOG, again.wake), 9)
    while broker.seqs[-1] != 4:
        await asyncio.sleep(0.02)
    await again.stop()


async def test_memory_broker_keeps_order_and_isolates_failing_subscribers() -> None:
    broker = MemoryBroker()
    seen: list[int] = []

    def broken(_batch: Sequence[BrokerMessage]) -> None:
        raise RuntimeError("boom")

    broker.subscribe(broken)
    broker.subscribe(lambda batch: seen.extend(m.seq for m in batch))
    for seq in range(1, 4):
        await broker.publish([BrokerMessage(seq, "test:ping", {}, ("user:u1",))])
    assert seen == [1, 2, 3]
