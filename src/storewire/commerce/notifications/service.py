"""The notification inbox: every inbox event, stored per recipient user in the event's transaction.

The service hooks the node's publisher (``Publisher.on_publish``). For an event whose catalog entry
has ``inbox=True`` it adds one ``NotificationRow`` per ``user:{id}`` room of the event's audience and
publishes ``notification:created`` to that room, all in the publishing transaction: a mutation that
rolls back leaves no notification, and one that commits cannot lose its notifications. Only ``user:``
rooms are per-person; ``admin``, ``kitchen:``, ``order:``, ``storefront:`` and the other shared rooms
get no inbox rows (their members still hear the live event). Every recipient user gets one, the
acting user included (a buyer's own order lands in their inbox too).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storewire.commerce.module import DomainService
from storewire.commerce.notifications.events import NotificationCreated
from storewire.commerce.notifications.models import NotificationOut, NotificationPage, ReadAllOut
from storewire.commerce.notifications.tables import NotificationRow
from storewire.commerce.notifications.texts import describe
from storewire.delivery.publisher import Publisher
from storewire.errors import Forbidden, NotFound
from storewire.realtime.catalog import EventSpec, PreparedEvent
from storewire.realtime.ids import new_id
from storewire.realtime.policy import Principal
from storewire.realtime.rooms import Room, RoomKind
from storewire.storage.database import Database
from storewire.storage.tables import utcnow

__all__ = ["NotificationService", "recipients"]


def recipients(rooms: tuple[str, ...]) -> list[str]:
    """The user ids of the ``user:{id}`` rooms among ``rooms``, in order (the only per-user rooms)."""
    users = []
    for name in rooms:
        room = Room.parse(name)
        if room.kind is RoomKind.USER and room.id is not None:
            users.append(room.id)
    return users


def _owner(principal: Principal) -> str:
    if principal.user_id is None:
        raise Forbidden("only signed-in users have an inbox")
    return principal.user_id


class NotificationService(DomainService):
    """Records inbox events as notifications, and serves each user their own."""

    def __init__(self, db: Database, publisher: Publisher) -> None:
        super().__init__(db, publisher)
        publisher.on_publish(self._record)

    def _record(
        self, session: AsyncSession, event_id: str, spec: EventSpec[Any], prepared: PreparedEvent
    ) -> None:
        # Runs inside Publisher.publish: session.add and publish only, nothing awaited.
        if not spec.inbox:
            return  # notification:created itself lands here: no recursion
        title, summary = describe(prepared.type, prepared.data)
        for user_id in recipients(prepared.rooms):
            self.record(session, user_id, prepared.type, prepared.data, title, summary, event_id=event_id)

    def record(
        self,
        session: AsyncSession,
        user_id: str,
        type: str,
        data: dict[str, Any],
        title: str | None = None,
        summary: str | None = None,
        *,
        event_id: str | None = None,
    ) -> str:
        """Add one notification to ``user_id``'s inbox in ``session``'s transaction, and say so
        (``notification:created``). For modules whose events are not inbox events but should reach an
        absent user (a chat message to a participant who is not connected). Returns its id."""
        if title is None or summary is None:
            title, summary = describe(type, data)
        now = utcnow()
        row = NotificationRow(
            id=new_id("ntf"),
            user_id=user_id,
            event_id=event_id or new_id("evt"),
            type=type,
            title=title,
            summary=summary,
            data=data,
            created_at=now,
            read_at=None,
        )
        session.add(row)
        created = NotificationCreated(
            notification_id=row.id, user_id=user_id, type=row.type, summary=summary, created_at=now
        )
        self._publisher.publish(session, "notification:created", created)
        return row.id

    async def inbox(
        self, principal: Principal, *, unread: bool, limit: int, cursor: str | None
    ) -> NotificationPage:
        """The caller's notifications, newest first, ``limit`` at a time after ``cursor`` (an id)."""
        user_id = _owner(principal)
        query = (
            select(NotificationRow)
            .where(NotificationRow.user_id == user_id)
            .order_by(NotificationRow.id.desc())
            .limit(limit + 1)  # one more tells whether there is a next page
        )
        if unread:
            query = query.where(NotificationRow.read_at.is_(None))
        if cursor is not None:
            query = query.where(NotificationRow.id < cursor)
        async with self._db.reading() as session:
            rows = list((await session.scalars(query)).all())
            count = await self._unread(session, user_id)
        more = len(rows) > limit
        rows = rows[:limit]
        return NotificationPage(
            items=[NotificationOut.of(row) for row in rows],
            next_cursor=rows[-1].id if more else None,
            unread_count=count,
        )

    async def read(self, principal: Principal, notification_id: str) -> NotificationOut:
        """Mark one of the caller's notifications read (again is a no-op); another's is 404."""
        user_id = _owner(principal)
        async with self._db.transaction() as session:
            row = await session.get(NotificationRow, notification_id)
            if row is None or row.user_id != user_id:
                raise NotFound(f"notification {notification_id} not found")
            if row.read_at is None:
                row.read_at = utcnow()
            return NotificationOut.of(row)

    async def read_all(self, principal: Principal) -> ReadAllOut:
        """Mark every unread notification of the caller read."""
        user_id = _owner(principal)
        async with self._db.transaction() as session:
            result = await session.execute(
                update(NotificationRow)
                .where(NotificationRow.user_id == user_id, NotificationRow.read_at.is_(None))
                .values(read_at=utcnow())
            )
            marked = int(getattr(result, "rowcount", 0) or 0)
            count = await self._unread(session, user_id)
        return ReadAllOut(marked_read=marked, unread_count=count)

    @staticmethod
    async def _unread(session: AsyncSession, user_id: str) -> int:
        query = select(func.count()).where(
            NotificationRow.user_id == user_id, NotificationRow.read_at.is_(None)
        )
        return int((await session.scalar(query)) or 0)
