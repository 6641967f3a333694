"""Reading the durable event log for a resume: where it stands, and a room set's events after a position.

The relay writes every logged event's rooms into ``event_log_room`` (room, seq) in the same
transaction as the event, so "the events of these rooms after ``seq``" is an index range scan rather
than a pass over the whole log.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select, union

from storewire.delivery.brokers.base import BrokerMessage
from storewire.delivery.relay import log_message
from storewire.storage.database import Database
from storewire.storage.tables import EventLogRow, EventRoomRow, RelayStateRow

__all__ = ["EventLog", "LogState"]

_UNION_ROOMS = 64
"""Up to this many rooms, a page is a union of per-room limited scans (SQLite allows 500 terms)."""


@dataclass(frozen=True, slots=True)
class LogState:
    """The log's epoch, the last ``seq`` pruned by retention, and the last ``seq`` logged."""

    epoch: str
    pruned_seq: int
    last_seq: int


class EventLog:
    """Read access to the event log, for replays."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def state(self) -> LogState:
        async with self._db.reading() as session:
            row = (
                await session.execute(
                    select(
                        RelayStateRow.epoch,
                        RelayStateRow.pruned_seq,
                        select(func.max(EventLogRow.seq)).scalar_subquery(),
                    ).where(RelayStateRow.id == 1)
                )
            ).one_or_none()
        if row is None:
            return LogState("", 0, 0)
        epoch, pruned, last = row
        return LogState(epoch, pruned, max(last or 0, pruned))

    async def count(self, rooms: Collection[str], after: int, upto: int, *, cap: int | None = None) -> int:
        """How many events of any of ``rooms`` have ``after < seq <= upto``; counting stops at ``cap``
        (so asking whether a backlog is above a limit costs no more than the limit)."""
        if not rooms or upto <= after:
            return 0
        matching = self._matching(rooms, after, upto, cap)
        async with self._db.reading() as session:
            return (await session.scalar(select(func.count()).select_from(matching.subquery()))) or 0

    async def page(
        self, rooms: Collection[str], after: int, upto: int, limit: int, epoch: str
    ) -> Sequence[BrokerMessage]:
        """Up to ``limit`` events of any of ``rooms`` with ``after < seq <= upto``, in ``seq`` order."""
        if not rooms or upto <= after:
            return []
        seqs = self._matching(rooms, after, upto, limit).subquery()
        async with self._db.reading() as session:
            rows = (
                await session.scalars(
                    select(EventLogRow)
                    .where(EventLogRow.seq.in_(select(seqs.c.seq)))
                    .order_by(EventLogRow.seq)
                )
            ).all()
        return [log_message(row, epoch) for row in rows]

    @staticmethod
    def _matching(rooms: Collection[str], after: int, upto: int, limit: int | None) -> Select[Any]:
        """The first ``limit`` distinct seqs of ``rooms`` in ``(after, upto]``, in order.

        Each room is its own index range scan that stops after ``limit`` rows, so a page costs the
        page, not the whole backlog behind it. Beyond ``_UNION_ROOMS`` rooms, one ``IN`` scan.
        """
        window = (EventRoomRow.seq > after, EventRoomRow.seq <= upto)
        if limit is None or len(rooms) > _UNION_ROOMS:
            one = select(EventRoomRow.seq).where(EventRoomRow.room.in_(rooms), *window).distinct()
            return one.order_by(EventRoomRow.seq).limit(limit)
        per_room = [
            select(EventRoomRow.seq)
            .where(EventRoomRow.room == room, *window)
            .order_by(EventRoomRow.seq)
            .limit(limit)
            .subquery()
            for room in rooms
        ]
        merged = union(*(select(sub.c.seq) for sub in per_room)).subquery()
        return select(merged.c.seq).order_by(merged.c.seq).limit(limit)
