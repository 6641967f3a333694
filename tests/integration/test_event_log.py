"""The event log as a resume reads it (room index, pages, counts), retention pruning, and the relay's
drain on stop. Real SQLite databases, real relays; no server process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel
from sqlalchemy import func, select, update

from storewire.delivery.brokers.base import Broker, BrokerMessage
from storewire.delivery.event_log import EventLog
from storewire.delivery.publisher import Publisher
from storewire.delivery.relay import Relay
from storewire.delivery.retention import Retention
from storewire.realtime.catalog import Catalog, EventSpec
from storewire.realtime.rooms import Room
from storewire.storage.database import Database
from storewire.storage.tables import EventLogRow, EventRoomRow, OutboxRow, RelayStateRow

pytestmark = pytest.mark.integration


class Ping(BaseModel):
    n: int


# Event n goes to user:u{n % 3}; every third one also to user:shared.
CATALOG = Catalog(
    [
        EventSpec(
            "test:ping",
            Ping,
            lambda p: [Room.user(f"u{p.n % 3}"), *([Room.user("shared")] if p.n % 3 == 0 else [])],
        )
    ]
)


class Sink(Broker):
    def __init__(self) -> None:
        super().__init__()
        self.seqs: list[int] = []

    async def publish(self, batch: Sequence[BrokerMessage]) -> None:
        self.seqs.extend(m.seq for m in batch)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'log.db'}")
    await database.upgrade()
    yield database
    await database.dispose()


async def logged(db: Database, n: int, *, relay: Relay | None = None) -> Relay:
    """Publish events 0..n-1, one transaction each, and relay them all."""
    relay = relay or Relay(db, Sink())
    publisher = Publisher(CATALOG, relay.wake)
    for i in range(n):
        async with db.transaction() as session:
            publisher.publish(session, "test:ping", Ping(n=i))
    if not relay.epoch:
        await relay.start()
    await relay.drain()
    return relay


async def test_pages_and_counts_follow_the_room_index(db: Database) -> None:
    relay = await logged(db, 30)
    await relay.stop()
    log = EventLog(db)
    state = await log.state()
    assert state.epoch == relay.epoch and state.last_seq == 30 and state.pruned_seq == 0

    # u0 gets n = 0, 3, ... 27 (seq n + 1); "shared" gets the same events: once each, in seq order.
    assert await log.count(["user:u0"], 0, 30) == 10
    assert await log.count(["user:u0", "user:shared"], 0, 30) == 10
    assert await log.count(["user:u0", "user:u1"], 0, 30) == 20
    assert await log.count(["user:u0"], 10, 20) == 3  # seq 13, 16, 19
    first = await log.page(["user:u0", "user:shared"], 0, 30, 4, relay.epoch)
    assert [m.seq for m in first] == [1, 4, 7, 10]
    rest = await log.page(["user:u0", "user:shared"], first[-1].seq, 30, 100, relay.epoch)
    assert [m.seq for m in rest] == [13, 16, 19, 22, 25, 28]
    assert all(m.envelope["epoch"] == relay.epoch and m.envelope["seq"] == m.seq for m in first + rest)
    assert await log.page(["user:nobody"], 0, 30, 100, relay.epoch) == []
    assert [m.seq for m in await log.page(["user:u1"], 0, 8, 100, relay.epoch)] == [2, 5, 8]
    # A capped count stops at the cap; past 64 rooms a page is one IN scan, with the same answer.
    assert await log.count(["user:u0", "user:u1"], 0, 30, cap=5) == 5
    assert await log.count(["user:u0", "user:u1"], 0, 30, cap=50) == 20
    many = ["user:u0", "user:shared", *(f"user:x{i}" for i in range(70))]
    assert [m.seq for m in await log.page(many, 0, 30, 4, relay.epoch)] == [1, 4, 7, 10]
    assert await log.count(many, 0, 30) == 10
    # What a resume asks, in one query: the log's state and the capped count.
    assert await log.backlog(["user:u0", "user:u1"], 0, 30, cap=5) == (state, 5)


async def test_retention_by_count_prunes_in_batches_and_records_the_position(db: Database) -> None:
    relay = await logged(db, 50)
    await relay.stop()  # stores published_seq: pruning never passes it
    retention = Retention(db, max_age=timedelta(days=1), max_events=20, batch=7)
    assert await retention.prune() == 30
    async with db.reading() as session:
        assert await session.scalar(select(func.min(EventLogRow.seq))) == 31
        assert await session.scalar(select(func.min(EventRoomRow.seq))) == 31
        assert (await session.get(RelayStateRow, 1)).pruned_seq == 30  # type: ignore[union-attr]
    assert (await EventLog(db).state()).pruned_seq == 30
    assert await retention.prune() == 0  # nothing more


async def test_retention_by_age_and_never_past_what_was_fanned_out(db: Database) -> None:
    relay = await logged(db, 10)
    await relay.stop()
    async with db.transaction() as session:  # pretend the first 6 are two days old
        old = EventLogRow.logged_at - timedelta(days=2)
        await session.execute(update(EventLogRow).where(EventLogRow.seq <= 6).values(logged_at=old))
        await session.execute(update(RelayStateRow).values(published_seq=4))  # fan-out only got to 4
    retention = Retention(db, max_age=timedelta(hours=24), max_events=1000)
    assert await retention.prune() == 4
    assert (await EventLog(db).state()).pruned_seq == 4


async def test_the_background_pruner_runs_and_stops(db: Database) -> None:
    relay = await logged(db, 12)
    await relay.stop()
    retention = Retention(db, max_age=timedelta(days=1), max_events=5, interval=0.05)
    await retention.start()
    try:
        for _ in range(200):
            if (await EventLog(db).state()).pruned_seq == 7:
                break
            await asyncio.sleep(0.02)
        assert (await EventLog(db).state()).pruned_seq == 7
    finally:
        await retention.stop()


async def test_stop_relays_what_is_committed_before_stopping(db: Database) -> None:
    sink = Sink()
    relay = Relay(db, sink, poll_interval=30)  # no poll would pick rows up by itself
    await relay.start()
    publisher = Publisher(CATALOG, lambda: None)  # committed without waking the relay
    for i in range(5):
        async with db.transaction() as session:
            publisher.publish(session, "test:ping", Ping(n=i))
    await relay.stop()
    assert sink.seqs == [1, 2, 3, 4, 5]
    async with db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxRow)) == 0
        assert (await session.get(RelayStateRow, 1)).published_seq == 5  # type: ignore[union-attr]
