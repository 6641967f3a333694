"""Reading the durable event log for a resume: where it stands, and a room set's events after a position.

The relay writes every logged event's rooms into ``event_log_room`` (room, seq) in the same
transaction as the event, so "the events of these rooms after ``seq``" is an index range scan rather
than a pass over the whole log.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Integer, Select, bindparam, func, literal, select, union

from storewire.delivery.brokers.base import BrokerMessage
from storewire.delivery.relay import LoggedEvent, log_message
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
    """Read access to the event log, for replays.

    A resume storm runs these queries once per socket, so they are built once per shape (how many
    rooms, whether a limit applies) with bound parameters, cached, and run on the Core connection: no
    statement construction, cache-key generation or ORM loading per call.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self.pruned_here = 0
        """The highest ``seq`` this process's retention has pruned (a replay that began before it
        checks this at its end: its pages may have come back short)."""

    async def state(self) -> LogState:
        state, _ = await self.backlog((), 0, 0)
        return state

    async def backlog(
        self, rooms: Collection[str], after: int, upto: int, *, cap: int | None = None
    ) -> tuple[LogState, int]:
        """The log's state, and :meth:`count` of ``rooms`` in ``(after, upto]``: one query, so a resume
        decides with one round trip."""
        counting = bool(rooms) and upto > after
        shape = _shape(rooms, cap) if counting else None
        params = _params(rooms, after, upto, cap) if counting else {}
        async with self._db.reading() as session:
            connection = await session.connection()
            row = (await connection.execute(_backlog_statement(shape), params)).one_or_none()
        if row is None:
            return LogState("", 0, 0), 0
        epoch, pruned, last, count = row
        return LogState(epoch, pruned, max(last or 0, pruned)), count or 0

    async def count(self, rooms: Collection[str], after: int, upto: int, *, cap: int | None = None) -> int:
        """How many events of any of ``rooms`` have ``after < seq <= upto``; counting stops at ``cap``
        (so asking whether a backlog is above a limit costs no more than the limit)."""
        _, count = await self.backlog(rooms, after, upto, cap=cap)
        return count

    async def page(
        self, rooms: Collection[str], after: int, upto: int, limit: int, epoch: str
    ) -> Sequence[BrokerMessage]:
        """Up to ``limit`` events of any of ``rooms`` with ``after < seq <= upto``, in ``seq`` order."""
        if not rooms or upto <= after:
            return []
        statement = _page_statement(_shape(rooms, limit))
        async with self._db.reading() as session:
            connection = await session.connection()
            rows = (await connection.execute(statement, _params(rooms, after, upto, limit))).all()
        return [log_message(cast(LoggedEvent, row), epoch) for row in rows]


_Shape = tuple[int, bool]
"""How many rooms a query names (0: any number, one expanding ``IN``), and whether it has a limit."""


def _shape(rooms: Collection[str], limit: int | None) -> _Shape:
    return (len(rooms) if len(rooms) <= _UNION_ROOMS else 0, limit is not None)


def _params(rooms: Collection[str], after: int, upto: int, limit: int | None) -> dict[str, Any]:
    params: dict[str, Any] = {"after": after, "upto": upto, "limit": limit, "rooms": list(rooms)}
    params.update({f"room_{i}": room for i, room in enumerate(rooms)})
    return params


def _matching(shape: _Shape) -> Select[Any]:
    """The first ``:limit`` distinct seqs of the rooms in ``(:after, :upto]``, in order.

    Each room is its own index range scan that stops after ``limit`` rows, so a page costs the page,
    not the whole backlog behind it. Without a limit, or beyond ``_UNION_ROOMS`` rooms, one ``IN`` scan.
    """
    rooms, limited = shape
    seq, room = EventRoomRow.seq, EventRoomRow.room
    window = (seq > bindparam("after"), seq <= bindparam("upto"))
    limit = bindparam("limit", type_=Integer)
    if not limited or rooms == 0:
        one = select(seq).where(room.in_(bindparam("rooms", expanding=True)), *window).distinct()
        return one.order_by(seq).limit(limit) if limited else one.order_by(seq)
    per_room = [
        select(seq).where(room == bindparam(f"room_{i}"), *window).order_by(seq).limit(limit).subquery()
        for i in range(rooms)
    ]
    merged = union(*(select(sub.c.seq) for sub in per_room)).subquery()
    return select(merged.c.seq).order_by(merged.c.seq).limit(limit)


@functools.lru_cache(maxsize=256)
def _backlog_statement(shape: _Shape | None) -> Select[Any]:
    counted: Any = literal(0)
    if shape is not None:
        counted = select(func.count()).select_from(_matching(shape).subquery()).scalar_subquery()
    return select(
        RelayStateRow.epoch,
        RelayStateRow.pruned_seq,
        select(func.max(EventLogRow.seq)).scalar_subquery(),
        counted,
    ).where(RelayStateRow.id == 1)


@functools.lru_cache(maxsize=256)
def _page_statement(shape: _Shape) -> Select[Any]:
    log = EventLogRow.__table__
    seqs = _matching(shape).subquery()
    return select(log).where(log.c.seq.in_(select(seqs.c.seq))).order_by(log.c.seq)
