"""The publisher: writes events to the outbox inside the caller's transaction."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection
from contextvars import ContextVar
from typing import Any

from pydantic import BaseModel
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storewire.errors import InvalidPayload
from storewire.realtime.catalog import Catalog, EventSpec, PreparedEvent
from storewire.realtime.ids import new_id
from storewire.storage.tables import OutboxRow

__all__ = ["PublishListener", "Publisher", "acting_socket"]

_WAKE_PENDING = "storewire_wake_relay"

acting_socket: ContextVar[str | None] = ContextVar("storewire_acting_socket", default=None)
"""The Socket.IO id of the socket that made the current request (header ``X-Socket-Id``), if any.

Set per request by the API's middleware; events published during the request skip that socket, so a
client that already applied its own change does not get it echoed back.
"""

PublishListener = Callable[[AsyncSession, str, EventSpec[Any], PreparedEvent], None]
"""Called as ``listener(session, event_id, spec, prepared)`` right after an event's outbox row is added."""


class Publisher:
    """Validates an event against the catalog and adds its outbox row to the caller's session.

    Nothing is sent here: the row becomes visible to the relay only when the caller's transaction
    commits, together with the state change it describes. After the commit the relay is woken.
    """

    def __init__(self, catalog: Catalog, wake_relay: Callable[[], None]) -> None:
        self.catalog = catalog
        self._wake_relay = wake_relay
        self._listeners: list[PublishListener] = []

    def on_publish(self, listener: PublishListener) -> None:
        """Call ``listener(session, event_id, spec, prepared)`` for every event published from now on.

        It runs inside ``publish``, right after the event's outbox row is added, in the caller's
        transaction: whatever it adds commits or rolls back with the event. It is synchronous, so it
        may only ``session.add`` rows or ``publish`` further events (a listener must not react to the
        events it publishes itself, or it recurses).
        """
        self._listeners.append(listener)

    def publish(
        self,
        session: AsyncSession,
        name: str,
        payload: BaseModel | dict[str, Any],
        *,
        only: Collection[str] | None = None,
    ) -> str:
        """Queue event ``name`` in ``session``'s transaction; return its event id.

        The acting socket of the current request (``acting_socket``) does not receive it. ``only``
        narrows delivery to those of the catalog's rooms for this payload: a caller may narrow the
        audience, never widen it (a room outside it is ``422 room_outside_audience``).
        """
        spec = self.catalog.get(name)
        prepared = spec.prepare(payload)
        if only is not None:
            prepared = _narrowed(prepared, only)
        event_id = new_id("evt")
        session.add(
            OutboxRow(
                event_id=event_id,
                type=prepared.type,
                rooms=list(prepared.rooms),
                data=prepared.data,
                invalidate=[list(key) for key in prepared.invalidate],
                exclude_sid=acting_socket.get(),
            )
        )
        for listener in self._listeners:
            listener(session, event_id, spec, prepared)
        sync_session = session.sync_session
        if not sync_session.info.get(_WAKE_PENDING):
            # One wake-up per transaction, however many events it publishes.
            sync_session.info[_WAKE_PENDING] = True
            event.listen(sync_session, "after_commit", self._after_commit, once=True)
        return event_id

    def _after_commit(self, session: Session) -> None:
        session.info.pop(_WAKE_PENDING, None)
        self._wake_relay()


def _narrowed(prepared: PreparedEvent, only: Collection[str]) -> PreparedEvent:
    outside = sorted(set(only) - set(prepared.rooms))
    if outside:
        raise InvalidPayload(
            f"{', '.join(outside)} not in the audience of {prepared.type} for this payload",
            code="room_outside_audience",
        )
    rooms = tuple(room for room in prepared.rooms if room in only)
    if not rooms:
        raise InvalidPayload(f"{prepared.type} needs at least one room", code="invalid_room")
    return dataclasses.replace(prepared, rooms=rooms)
