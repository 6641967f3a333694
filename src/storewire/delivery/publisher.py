"""The publisher: writes events to the outbox inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from pydantic import BaseModel
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storewire.realtime.catalog import Catalog
from storewire.realtime.ids import new_id
from storewire.storage.tables import OutboxRow

__all__ = ["Publisher", "acting_socket"]

_WAKE_PENDING = "storewire_wake_relay"

acting_socket: ContextVar[str | None] = ContextVar("storewire_acting_socket", default=None)
"""The Socket.IO id of the socket that made the current request (header ``X-Socket-Id``), if any.

Set per request by the API's middleware; events published during the request skip that socket, so a
client that already applied its own change does not get it echoed back.
"""


class Publisher:
    """Validates an event against the catalog and adds its outbox row to the caller's session.

    Nothing is sent here: the row becomes visible to the relay only when the caller's transaction
    commits, together with the state change it describes. After the commit the relay is woken.
    """

    def __init__(self, catalog: Catalog, wake_relay: Callable[[], None]) -> None:
        self.catalog = catalog
        self._wake_relay = wake_relay

    def publish(
        self,
        session: AsyncSession,
        name: str,
        payload: BaseModel | dict[str, Any],
    ) -> str:
        """Queue event ``name`` in ``session``'s transaction; return its event id.

        The acting socket of the current request (``acting_socket``) does not receive it.
        """
        prepared = self.catalog.get(name).prepare(payload)
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
        sync_session = session.sync_session
        if not sync_session.info.get(_WAKE_PENDING):
            # One wake-up per transaction, however many events it publishes.
            sync_session.info[_WAKE_PENDING] = True
            event.listen(sync_session, "after_commit", self._after_commit, once=True)
        return event_id

    def _after_commit(self, session: Session) -> None:
        session.info.pop(_WAKE_PENDING, None)
        self._wake_relay()
