"""The relay: the one sequencer between the outbox and the broker.

Each round it takes committed outbox rows in insertion order, gives each the next ``seq`` of the
event log, moves them into the log and deletes them from the outbox in ONE transaction, then fans the
new log entries out through the broker and records how far it got (``published_seq``).

Why this order: outbox ids are not commit order under concurrent writers, so a cursor over outbox
ids could skip a row that commits late. Rows are therefore consumed (deleted) rather than tracked by
id, and ``seq`` is assigned in delivery order. A crash after the log commit but before the fan-out is
repaired on start: log entries above ``published_seq`` are fanned out again with the same envelopes
(same ids and seqs, so a client can drop a repeat); a crash before the log commit leaves the rows in
the outbox for the next round.

Latency: a round is ONE write transaction of three round trips (DELETE ... RETURNING the outbox
rows, INSERT the log entries, COMMIT). The stored ``published_seq`` is written lazily: when the relay
has been idle for ``poll_interval``, on stop, and by a round's transaction once it lags by
``STORE_LAG_EVENTS`` or ``STORE_LAG_SECONDS`` (it then names earlier rounds' fan-out, already done).
So it may lag what was fanned out, which only means a crash re-publishes a little more (the
guarantee is at-least-once), but it never runs ahead of it. A round that takes fewer rows than
``batch_size`` is the last one: rows that commit later wake the relay again (the wake-up is cleared
before the round reads the outbox), so no empty write transaction is spent checking.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storewire.delivery.brokers.base import Broker, BrokerMessage
from storewire.realtime.envelope import Envelope
from storewire.storage.database import Database
from storewire.storage.tables import EventLogRow, EventRoomRow, OutboxRow, RelayStateRow, utcnow

__all__ = ["LoggedEvent", "Relay", "log_message"]

logger = logging.getLogger(__name__)

STORE_LAG_EVENTS = 1000
"""A round also stores ``published_seq`` once the stored value lags by this many events ..."""
STORE_LAG_SECONDS = 5.0
"""... or was stored this long ago (besides when idle and on stop): what a crash may re-publish."""


def _resolve(waiter: asyncio.Future[bool], value: bool) -> None:
    if not waiter.done():
        waiter.set_result(value)


class LoggedEvent(Protocol):
    """What :func:`log_message` reads: an ``EventLogRow``, or a plain row of its table."""

    event_id: str
    type: str
    seq: int
    created_at: datetime
    data: dict[str, Any]
    invalidate: list[Any]
    rooms: list[Any]
    exclude_sid: str | None


def log_message(row: LoggedEvent, epoch: str) -> BrokerMessage:
    """The broker message (and wire envelope) of one logged event: the same for live and replay."""
    envelope = Envelope(
        id=row.event_id,
        type=row.type,
        epoch=epoch,
        seq=row.seq,
        ts=row.created_at,
        data=row.data,
        invalidate=tuple(tuple(key) for key in row.invalidate),
    )
    return BrokerMessage(row.seq, row.type, envelope.to_wire(), tuple(row.rooms), row.exclude_sid)


class Relay:
    """Moves committed outbox rows into the event log, in order, and fans them out."""

    def __init__(self, db: Database, broker: Broker, *, batch_size: int = 500, poll_interval: float = 0.5):
        self._db = db
        self._broker = broker
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._woken = False
        self._waiter: asyncio.Future[bool] | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.epoch = ""
        self.published_seq = 0
        """How far the fan-out got (in memory; the stored value may lag it, never lead it)."""
        self._stored_published_seq = 0
        self._stored_at = time.monotonic()
        self._last_seq = 0

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Load (or create) the log's epoch, repair an interrupted fan-out, and start relaying."""
        if self.running:
            return
        await self._load_state()
        await self._publish_unpublished()
        self._task = asyncio.create_task(self._run(), name="storewire-relay")

    async def stop(self, *, drain_timeout: float = 5.0) -> None:
        """Relay every committed event (for up to ``drain_timeout`` seconds), stop, and store how far
        the fan-out got (so a restart re-publishes nothing)."""
        task = self._task
        if task is None:
            return
        self._stopping = True
        self.wake()
        try:
            await asyncio.wait_for(asyncio.shield(task), drain_timeout)
        except TimeoutError:
            logger.warning("the relay did not drain in %.1f s; the next start relays the rest", drain_timeout)
        except Exception:
            logger.exception("the relay failed while draining; the next start relays the rest")
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        self._task = None
        self._stopping = False
        try:
            await self._store_published_seq()
        except Exception:
            logger.exception("could not store published_seq on stop; a restart re-publishes from it")

    def wake(self) -> None:
        """Ask for a round now (called after a transaction with events commits)."""
        self._woken = True
        if self._waiter is not None and not self._waiter.done():
            # Resolved directly: the relay resumes on the loop's next turn (no helper task to wake).
            self._waiter.set_result(True)

    async def drain(self) -> int:
        """Relay until the outbox is empty; return how many events were relayed."""
        total = 0
        while batch := await self._sequence_batch():
            await self._broker_publish(batch)
            total += len(batch)
        return total

    async def _run(self) -> None:
        while True:
            try:
                # A full batch means more rows may be waiting; a partial one emptied the outbox.
                while len(batch := await self._sequence_batch()) == self._batch_size:
                    await self._broker_publish(batch)
                if batch:
                    await self._broker_publish(batch)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("relay round failed; retrying")
                await asyncio.sleep(self._poll_interval)
                continue
            if self._stopping:
                return  # the outbox was empty at this round: nothing committed is left behind
            if not await self._wait():
                await self._idle()
            # Cleared before the next round reads the outbox: a commit after this point wakes us again.
            self._woken = False

    async def _wait(self) -> bool:
        """Wait for ``wake`` (True) or ``poll_interval`` (False)."""
        if self._woken:
            return True
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        self._waiter = waiter
        timer = loop.call_later(self._poll_interval, _resolve, waiter, False)
        try:
            return await waiter
        finally:
            timer.cancel()
            self._waiter = None

    async def _idle(self) -> None:
        """Nothing happened for ``poll_interval``: a good moment to store how far the fan-out got."""
        try:
            await self._store_published_seq()
        except Exception:
            logger.warning("could not store published_seq; retrying when idle again", exc_info=True)

    async def _load_state(self) -> None:
        async with self._db.transaction() as session:
            state = await session.get(RelayStateRow, 1)
            if state is None:
                state = RelayStateRow(id=1, epoch=secrets.token_hex(8), published_seq=0)
                session.add(state)
            self.epoch = state.epoch
            self.published_seq = self._stored_published_seq = state.published_seq
            self._last_seq = await session.scalar(select(func.max(EventLogRow.seq))) or 0

    async def _publish_unpublished(self) -> None:
        while True:
            async with self._db.reading() as session:
                rows = (
                    await session.scalars(
                        select(EventLogRow)
                        .where(EventLogRow.seq > self.published_seq)
                        .order_by(EventLogRow.seq)
                        .limit(self._batch_size)
                    )
                ).all()
            if not rows:
                await self._store_published_seq()
                return
            logger.info("re-publishing %d logged events from seq %d", len(rows), rows[0].seq)
            await self._broker_publish([log_message(row, self.epoch) for row in rows])

    async def _sequence_batch(self) -> list[BrokerMessage]:
        async with self._db.transaction() as session:
            # Taken and deleted in one statement (one round trip); RETURNING has no order, so sort.
            first = select(OutboxRow.id).order_by(OutboxRow.id).limit(self._batch_size).scalar_subquery()
            taken = await session.scalars(
                delete(OutboxRow)
                .where(OutboxRow.id.in_(first))
                .returning(OutboxRow)
                .execution_options(synchronize_session=False)
            )
            outbox = sorted(taken.all(), key=lambda row: row.id)
            if not outbox:
                return []
            # The previous rounds' fan-out is done: record it in this transaction instead of a
            # transaction of its own.
            stored = await self._write_published_seq(session, lazily=True)
            now = utcnow()
            seq = self._last_seq
            logged = []
            for row in outbox:
                seq += 1
                logged.append(
                    EventLogRow(
                        seq=seq,
                        event_id=row.event_id,
                        type=row.type,
                        rooms=row.rooms,
                        data=row.data,
                        invalidate=row.invalidate,
                        exclude_sid=row.exclude_sid,
                        created_at=row.created_at,
                        logged_at=now,
                    )
                )
            session.add_all(logged)
            # The room index a resume reads by (one executemany in the same transaction).
            await session.execute(
                insert(EventRoomRow),
                [{"room": room, "seq": entry.seq} for entry in logged for room in set(entry.rooms)],
            )
        self._last_seq = seq
        self._stored_published_seq = max(self._stored_published_seq, stored)
        return [log_message(row, self.epoch) for row in logged]

    async def _broker_publish(self, batch: Sequence[BrokerMessage]) -> None:
        await self._broker.publish(batch)
        self.published_seq = batch[-1].seq

    async def _store_published_seq(self) -> None:
        """Store ``published_seq`` in a transaction of its own, if the stored one lags."""
        if self._stored_published_seq < self.published_seq:
            async with self._db.transaction() as session:
                stored = await self._write_published_seq(session)
            self._stored_published_seq = max(self._stored_published_seq, stored)

    async def _write_published_seq(self, session: AsyncSession, *, lazily: bool = False) -> int:
        """Write ``published_seq`` in ``session`` if the stored one lags; return the value it will hold.

        ``lazily``: only once it lags by ``STORE_LAG_EVENTS`` events or ``STORE_LAG_SECONDS``, so
        that most rounds carry no extra statement (on SQLite each one is a thread hand-off).
        """
        seq = self.published_seq
        lag = seq - self._stored_published_seq
        if lag <= 0:
            return self._stored_published_seq
        now = time.monotonic()
        if lazily and lag < STORE_LAG_EVENTS and now - self._stored_at < STORE_LAG_SECONDS:
            return self._stored_published_seq
        await session.execute(update(RelayStateRow).where(RelayStateRow.id == 1).values(published_seq=seq))
        self._stored_at = now
        return seq
