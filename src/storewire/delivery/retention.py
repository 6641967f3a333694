"""Retention: prune the event log by age and by count, in the background, in small transactions.

An event is pruned once it is older than ``max_age`` or more than ``max_events`` events behind the
newest, but never before the relay has fanned it out (a crash must still be able to re-publish it).
Each transaction deletes at most ``batch`` events (and their room index rows) and records the new
``pruned_seq``, so writers never wait long behind the pruner, and a resume from a position older than
``pruned_seq`` is answered ``recovered: false`` instead of silently missing events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from sqlalchemy import delete, func, select, update

from storewire.delivery.event_log import EventLog
from storewire.storage.database import Database
from storewire.storage.tables import EventLogRow, EventRoomRow, RelayStateRow, utcnow

__all__ = ["Retention"]

logger = logging.getLogger(__name__)


class Retention:
    """Prunes the event log every ``interval`` seconds."""

    def __init__(
        self,
        db: Database,
        *,
        max_age: timedelta,
        max_events: int,
        interval: float = 60.0,
        batch: int = 5000,
        log: EventLog | None = None,
    ) -> None:
        self._db = db
        self._log = log
        self.max_age = max_age
        self.max_events = max_events
        self.interval = interval
        self.batch = batch
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="storewire-retention")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.prune()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("pruning the event log failed; retrying later", exc_info=True)
            await asyncio.sleep(self.interval)

    async def prune(self) -> int:
        """Prune every event past retention now; return how many were deleted."""
        total = 0
        pruned, cutoff = await self._cutoff()
        while pruned < cutoff:
            upto = min(cutoff, pruned + self.batch)
            total += await self._delete_through(upto)
            pruned = upto
            if self._log is not None:
                self._log.pruned_here = max(self._log.pruned_here, pruned)  # running replays check it
            await asyncio.sleep(0)  # let writers in between batches
        if total:
            logger.info("pruned %d events from the event log (through seq %d)", total, pruned)
        return total

    async def _cutoff(self) -> tuple[int, int]:
        """(pruned_seq, the highest seq that may be pruned now)."""
        async with self._db.reading() as session:
            state = await session.get(RelayStateRow, 1)
            if state is None:
                return 0, 0
            last = await session.scalar(select(func.max(EventLogRow.seq))) or 0
            # The first event young enough to keep, walking up from the oldest (logged_at has no index:
            # this stops at once, where "the newest old one" would scan the whole retained window).
            young = await session.scalar(
                select(EventLogRow.seq)
                .where(EventLogRow.logged_at >= utcnow() - self.max_age)
                .order_by(EventLogRow.seq)
                .limit(1)
            )
            old = last if young is None else young - 1
            return state.pruned_seq, min(max(old, last - self.max_events), state.published_seq)

    async def _delete_through(self, upto: int) -> int:
        async with self._db.transaction() as session:
            await session.execute(delete(EventRoomRow).where(EventRoomRow.seq <= upto))
            result = await session.execute(delete(EventLogRow).where(EventLogRow.seq <= upto))
            await session.execute(
                update(RelayStateRow)
                .where(RelayStateRow.id == 1, RelayStateRow.pruned_seq < upto)
                .values(pruned_seq=upto)
            )
        return int(getattr(result, "rowcount", 0) or 0)
