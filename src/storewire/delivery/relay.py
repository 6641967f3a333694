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
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Sequence

from sqlalchemy import delete, func, select, update

from storewire.delivery.brokers.base import Broker, BrokerMessage
from storewire.realtime.envelope import Envelope
from storewire.storage.database import Database
from storewire.storage.tables import EventLogRow, OutboxRow, RelayStateRow, utcnow

__all__ = ["Relay"]

logger = logging.getLogger(__name__)


def _message(row: EventLogRow, epoch: str) -> BrokerMessage:
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
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.epoch = ""
        self.published_seq = 0
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

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    def wake(self) -> None:
        """Ask for a round now (called after a transaction with events commits)."""
        self._wakeup.set()

    async def drain(self) -> int:
        """Relay until the outbox is empty; return how many events were relayed."""
        total = 0
        while batch := await self._sequence_batch():
            await self._fan_out(batch)
            total += len(batch)
        return total

    async def _run(self) -> None:
        while True:
            try:
                await self.drain()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("relay round failed; retrying")
                await asyncio.sleep(self._poll_interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._poll_interval)
            self._wakeup.clear()

    async def _load_state(self) -> None:
        async with self._db.transaction() as session:
            state = await session.get(RelayStateRow, 1)
            if state is None:
                state = RelayStateRow(id=1, epoch=secrets.token_hex(8), published_seq=0)
                session.add(state)
            self.epoch = state.epoch
            self.published_seq = state.published_seq
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
                return
            logger.info("re-publishing %d logged events from seq %d", len(rows), rows[0].seq)
            await self._fan_out([_message(row, self.epoch) for row in rows])

    async def _sequence_batch(self) -> list[BrokerMessage]:
        async with self._db.transaction() as session:
            outbox = (
                await session.scalars(select(OutboxRow).order_by(OutboxRow.id).limit(self._batch_size))
            ).all()
            if not outbox:
                return []
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
            await session.execute(delete(OutboxRow).where(OutboxRow.id.in_([row.id for row in outbox])))
        self._last_seq = seq
        return [_message(row, self.epoch) for row in logged]

    async def _fan_out(self, batch: Sequence[BrokerMessage]) -> None:
        await self._broker.publish(batch)
        self.published_seq = batch[-1].seq
        async with self._db.transaction() as session:
            await session.execute(
                update(RelayStateRow).where(RelayStateRow.id == 1).values(published_seq=self.published_seq)
            )
