"""The audit log (DESIGN §6): auth failures, refused connections and joins, denied requests, the
catalog's sensitive events (payments, refunds, payment settings, announcements) and admin actions.

Two ways in:

- a sensitive event is audited in the transaction that publishes it (a ``Publisher`` listener), so the
  audit row commits or rolls back with the change; the actor is the request's principal
  (:data:`acting_principal`, set when a request authenticates);
- everything else (refusals, which have no transaction) goes through :meth:`AuditLog.record`: a
  bounded buffer that a background task writes in batches, so a flood of refusals never blocks the
  event loop or the handshakes behind it. When the buffer is full, new entries are dropped and
  counted (``dropped``), never waited for.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storewire.delivery.publisher import Publisher
from storewire.realtime.catalog import EventSpec, PreparedEvent
from storewire.realtime.ids import new_id
from storewire.realtime.policy import Principal
from storewire.storage.database import Database
from storewire.storage.tables import AuditRow, utcnow

__all__ = ["AuditEntry", "AuditLog", "AuditPage", "acting_key", "acting_principal"]

logger = logging.getLogger(__name__)

acting_principal: ContextVar[Principal | None] = ContextVar("storewire_acting_principal", default=None)
"""The principal behind the current request (set when it authenticates): the actor of what it audits."""

acting_key: ContextVar[str | None] = ContextVar("storewire_acting_key", default=None)
"""The service key behind the current publish API request: named in what it audits."""


class AuditEntry(BaseModel):
    """One audit entry as the API shows it; ``summary`` is one line for people."""

    id: str
    created_at: datetime
    type: str
    summary: str
    actor_id: str | None
    actor_role: str | None
    target: str | None
    remote_addr: str | None
    detail: dict[str, Any]


class AuditPage(BaseModel):
    """Newest first; pass ``next_cursor`` as ``before`` for older ones."""

    items: list[AuditEntry]
    next_cursor: str | None


def _summary(kind: str, target: str | None, detail: dict[str, Any]) -> str:
    code = detail.get("code")
    parts = [kind, *(part for part in (target, f"({code})" if code else None) if part)]
    return " ".join(parts)


def _row(
    kind: str,
    principal: Principal | None,
    target: str | None,
    remote_addr: str | None,
    detail: dict[str, Any],
) -> dict[str, Any]:
    return {
        "id": new_id("aud"),
        "at": utcnow(),
        "kind": kind,
        "actor_id": principal.user_id if principal else None,
        "actor_role": principal.role.value if principal else None,
        "target": target[:200] if target else None,
        "remote_addr": remote_addr,
        "detail": detail,
    }


class AuditLog:
    """Writes and reads the audit log of one node."""

    def __init__(self, db: Database, *, max_pending: int = 10_000, batch: int = 500) -> None:
        self._db = db
        self.max_pending = max_pending
        self._batch = batch
        self._pending: list[dict[str, Any]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.dropped = 0
        """Entries lost: refused while the buffer was full, or in a batch the database refused."""
        self.written = 0

    # -- writing ---------------------------------------------------------------------------------

    def attach(self, publisher: Publisher) -> None:
        """Audit every sensitive event ``publisher`` publishes, in the publishing transaction."""
        publisher.on_publish(self._on_publish)

    def _on_publish(
        self, session: AsyncSession, event_id: str, spec: EventSpec[Any], prepared: PreparedEvent
    ) -> None:
        if not spec.sensitive:
            return
        target = next(iter(prepared.rooms), None)
        detail: dict[str, Any] = {"event_id": event_id, "rooms": list(prepared.rooms)}
        if (key_id := acting_key.get()) is not None:
            detail["key_id"] = key_id  # published by another backend through the publish API
        session.add(AuditRow(**_row(f"event:{spec.name}", acting_principal.get(), target, None, detail)))

    def record_in(
        self,
        session: AsyncSession,
        kind: str,
        *,
        principal: Principal | None = None,
        target: str | None = None,
        **detail: Any,
    ) -> None:
        """Audit ``kind`` inside the caller's transaction (it commits with the change it describes)."""
        actor = principal or acting_principal.get()
        session.add(AuditRow(**_row(kind, actor, target, None, detail)))

    def record(
        self,
        kind: str,
        *,
        principal: Principal | None = None,
        target: str | None = None,
        remote_addr: str | None = None,
        **detail: Any,
    ) -> None:
        """Audit ``kind`` soon (written in the background); never blocks, drops when flooded."""
        if len(self._pending) >= self.max_pending:
            self.dropped += 1
            return
        self._pending.append(_row(kind, principal or acting_principal.get(), target, remote_addr, detail))
        self._wake.set()

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="storewire-audit")

    async def stop(self) -> None:
        """Write what is buffered, then stop (the writer finishes its batch: nothing is cut off)."""
        task, self._task = self._task, None
        if task is not None:
            self._stopping = True
            self._wake.set()
            await task
            self._stopping = False
        await self.flush()

    async def flush(self) -> None:
        """Write every buffered entry now."""
        while self._pending:
            batch, self._pending = self._pending[: self._batch], self._pending[self._batch :]
            try:
                async with self._db.transaction() as session:
                    await session.execute(insert(AuditRow), batch)
                self.written += len(batch)
            except Exception:
                self.dropped += len(batch)
                logger.exception("audit: %d entries could not be written", len(batch))

    async def _run(self) -> None:
        while not self._stopping:
            await self._wake.wait()
            self._wake.clear()
            await self.flush()

    # -- reading ---------------------------------------------------------------------------------

    async def recent(
        self, *, limit: int = 50, kind: str | None = None, before: str | None = None
    ) -> AuditPage:
        """The newest entries (whose kind starts with ``kind``), older than the entry ``before``."""
        query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit + 1)
        if kind:
            query = query.where(AuditRow.kind.startswith(kind, autoescape=True))
        if before:
            query = query.where(AuditRow.id < before)
        async with self._db.reading() as session:
            rows: Sequence[AuditRow] = (await session.scalars(query)).all()
        items = [
            AuditEntry(
                id=row.id,
                created_at=row.at,
                type=row.kind,
                summary=_summary(row.kind, row.target, row.detail),
                actor_id=row.actor_id,
                actor_role=row.actor_role,
                target=row.target,
                remote_addr=row.remote_addr,
                detail=row.detail,
            )
            for row in rows[:limit]
        ]
        return AuditPage(items=items, next_cursor=items[-1].id if len(rows) > limit else None)
