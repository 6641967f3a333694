"""The relay's lazily stored ``published_seq``, and the SQLite transactions under it.

``published_seq`` may lag what was fanned out (a crash then re-publishes a little more) but must never
run ahead of it; a clean stop stores it, so a restart re-publishes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import pytest
from pydantic import BaseModel
from sqlalchemy import func, select, text

from storewire.delivery import relay as relay_module
from storewire.delivery.brokers.base import Broker, BrokerMessage
from storewire.delivery.publisher import Publisher
from storewire.delivery.relay import Relay
from storewire.realtime.catalog import Catalog, EventSpec
from storewire.realtime.rooms import Room
from storewire.storage.database import Database
from storewire.storage.tables import EventLogRow, OutboxRow, RelayStateRow

pytestmark = pytest.mark.integration


class Ping(BaseModel):
    n: int


CATALOG = Catalog([EventSpec("test:ping", Ping, lambda p: [Room.user(f"u{p.n}")])])


class Recorder(Broker):
    """Records batches; ``fail`` makes the fan-out fail (the process dies before it completes)."""

    def __init__(self) -> None:
        super().__init__()
        self.seqs: list[int] = []
        self.fail = False

    async def publish(self, batch: Sequence[BrokerMessage]) -> None:
        if self.fail:
            raise ConnectionError("broker down")
        self.seqs.extend(m.seq for m in batch)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'relay-state.db'}")
    await database.upgrade()
    yield database
    await database.dispose()


async def _publish(db: Database, publisher: Publisher, *numbers: int) -> None:
    async with db.transaction() as session:
        for n in numbers:
            publisher.publish(session, "test:ping", Ping(n=n))


async def _stored(db: Database) -> int:
    async with db.reading() as session:
        state = await session.get(RelayStateRow, 1)
    assert state is not None
    return state.published_seq


async def _until(condition: Callable[[], bool]) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), 10)


async def test_a_clean_stop_stores_published_seq_and_a_restart_republishes_nothing(db: Database) -> None:
    broker = Recorder()
    relay = Relay(db, broker, poll_interval=60)  # never idle during the test: only stop() stores
    await relay.start()
    publisher = Publisher(CATALOG, relay.wake)
    await _publish(db, publisher, 1, 2)
    await _publish(db, publisher, 3)
    await _until(lambda: broker.seqs == [1, 2, 3])
    assert await _stored(db) <= 3  # stored lazily: it may lag, never lead
    await relay.stop()
    assert await _stored(db) == 3

    again = Recorder()
    restarted = Relay(db, again, poll_interval=60)
    await restarted.start()
    await restarted.stop()
    assert again.seqs == []


async def test_published_seq_never_runs_ahead_of_the_fan_out(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Store it in every round that can, so the check below sees the most eager writer.
    monkeypatch.setattr(relay_module, "STORE_LAG_EVENTS", 1)
    broker = Recorder()
    # Short poll: a failed round is retried after it, and idle moments store published_seq too.
    relay = Relay(db, broker, poll_interval=0.05)
    publisher = Publisher(CATALOG, relay.wake)
    await relay.start()
    await _publish(db, publisher, 1, 2)
    await _until(lambda: broker.seqs == [1, 2])
    broker.fail = True
    await _publish(db, publisher, 3)  # logged as seq 3 (storing 2, the fan-out so far), never fanned out
    await _until(lambda: relay._last_seq == 3)
    await _publish(db, publisher, 4)  # logged as seq 4, storing no more than 2
    await _until(lambda: relay._last_seq == 4)
    # The process dies: no clean stop.
    assert relay._task is not None
    relay._task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await relay._task
    assert await _stored(db) == 2

    after = Recorder()
    restarted = Relay(db, after, poll_interval=60)
    await restarted.start()
    await restarted.stop()
    assert after.seqs == [3, 4]  # what the crash lost is re-published, nothing was skipped
    async with db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxRow)) == 0
        assert await session.scalar(select(func.max(EventLogRow.seq))) == 4


async def test_sqlite_transactions_commit_roll_back_and_isolate(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(text("CREATE TABLE t (n INTEGER PRIMARY KEY)"))
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO t (n) VALUES (1)"))
            raise RuntimeError("the request failed after its first write")
    async with db.transaction() as session:
        await session.execute(text("INSERT INTO t (n) VALUES (2)"))
        # A reader does not see uncommitted writes.
        async with db.reading() as reader:
            assert (await reader.scalars(text("SELECT n FROM t"))).all() == []
    async with db.reading() as reader:
        assert (await reader.scalars(text("SELECT n FROM t"))).all() == [2]
    # A failing statement inside a transaction surfaces as the database error and rolls back.
    with pytest.raises(Exception, match="UNIQUE"):
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO t (n) VALUES (3)"))
            await session.execute(text("INSERT INTO t (n) VALUES (2)"))
    async with db.reading() as reader:
        assert (await reader.scalars(text("SELECT n FROM t"))).all() == [2]
