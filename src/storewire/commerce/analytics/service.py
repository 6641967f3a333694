"""Analytics: records sales as orders are paid, and pushes each seller's day metrics, coalesced.

Two paths, on purpose:

- ``analytics:sale_completed`` is transactional: the ``ORDER_PAID`` handler publishes it in the paying
  transaction, so it exists exactly when the payment does.
- ``analytics:metrics_updated`` is coalesced: a sale only marks its seller dirty (after the paying
  transaction commits, so a rolled-back payment never triggers a recompute). A background task wakes on
  the first mark, recomputes every dirty seller's metrics from the database in one transaction of its
  own, then rests ``interval`` seconds before it looks again. A burst of N sales over T seconds thus
  yields at most ``T / interval + 1`` updates per seller, the last one with the final totals.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import event as orm_event
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storewire.commerce.accounts.tables import UserRow
from storewire.commerce.analytics.events import SaleCompleted
from storewire.commerce.analytics.metrics import Day, Metrics, SellerMetrics, as_utc, metrics_of, utc_day
from storewire.commerce.analytics.tables import SaleRow
from storewire.commerce.module import ModuleContext
from storewire.commerce.orders.signals import ORDER_PAID, PaidOrder
from storewire.delivery.publisher import Publisher
from storewire.errors import Forbidden, NotFound
from storewire.realtime.policy import Principal, Role
from storewire.storage.database import Database

__all__ = ["AnalyticsService", "Summary"]

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


class Summary(Metrics):
    """``GET /analytics/summary``: the totals over ``sellers`` (or over all sellers, for an admin)."""

    sellers: list[SellerMetrics]


class AnalyticsService:
    """Sales records, the coalesced metrics publisher (a ``Startable``), and the summary reads."""

    def __init__(
        self, db: Database, publisher: Publisher, *, interval: float = 0.5, clock: Clock = _now
    ) -> None:
        """``interval``: the least time in seconds between two metrics recomputations."""
        self._db = db
        self._publisher = publisher
        self._interval = interval
        self._clock = clock
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def build(cls, context: ModuleContext) -> AnalyticsService:
        service = cls(context.db, context.publisher)
        context.signals.connect(ORDER_PAID, service.record_sale)
        return service

    # -- the paying transaction --------------------------------------------------------------------

    async def record_sale(self, session: AsyncSession, paid: PaidOrder) -> None:
        """``ORDER_PAID`` handler: runs inside the paying transaction (never opens one of its own)."""
        if await session.get(SaleRow, paid.order_id) is not None:
            return  # already counted: a repeated signal must not count or announce the sale twice
        session.add(
            SaleRow(
                order_id=paid.order_id,
                seller_id=paid.seller_id,
                total_cents=paid.total_cents,
                currency=paid.currency,
                paid_at=as_utc(paid.paid_at),
            )
        )
        sale = SaleCompleted(
            order_id=paid.order_id,
            seller_id=paid.seller_id,
            total_cents=paid.total_cents,
            currency=paid.currency,
        )
        self._publisher.publish(session, "analytics:sale_completed", sale)
        # Mark only once the payment is durable; a rolled-back session is discarded with its listener.
        orm_event.listen(
            session.sync_session, "after_commit", partial(self._committed, paid.seller_id), once=True
        )

    def _committed(self, seller_id: str, _session: Any) -> None:
        self.mark_dirty(seller_id)

    def mark_dirty(self, *seller_ids: str) -> None:
        """Ask for these sellers' metrics to be recomputed and published at the next opportunity."""
        self._dirty.update(seller_ids)
        self._wake.set()

    # -- the coalescer -----------------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="storewire-analytics-metrics")

    async def stop(self) -> None:
        """Stop the background task, then publish what is still pending (the relay is still running)."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if self._dirty:
            try:
                await self.flush()
            except Exception:
                logger.exception("pending analytics metrics were not published at shutdown")

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.flush()
            except Exception:
                logger.exception("analytics metrics could not be published; retrying after the interval")
            # The rest after each flush is the coalescing: marks made meanwhile wait for the next one.
            await asyncio.sleep(self._interval)

    async def flush(self) -> int:
        """Recompute and publish the metrics of every dirty seller; returns how many were published.

        The dirty set is taken before reading, so a sale committed during the computation marks its
        seller again and is picked up next time; if the transaction fails the taken sellers are marked
        again, so no update is lost (at worst one is repeated with the same numbers).
        """
        sellers, self._dirty = sorted(self._dirty), set()
        if not sellers:
            return 0
        try:
            async with self._db.transaction() as session:
                today = utc_day(self._clock())
                for metrics in await self._seller_metrics(session, today, sellers, include_idle=True):
                    self._publisher.publish(session, "analytics:metrics_updated", metrics)
        except BaseException:
            self.mark_dirty(*sellers)
            raise
        return len(sellers)

    # -- reads -------------------------------------------------------------------------------------

    @staticmethod
    async def _seller_metrics(
        session: AsyncSession, today: Day, sellers: Sequence[str] | None, *, include_idle: bool
    ) -> list[SellerMetrics]:
        """The day's metrics per seller: of ``sellers`` (``include_idle``: also those without sales), or
        of every seller with a sale that day (``sellers`` None), busiest first."""
        day, start, end = today
        query = (
            select(SaleRow.seller_id, SaleRow.currency, func.count(), func.sum(SaleRow.total_cents))
            .where(SaleRow.paid_at >= start, SaleRow.paid_at < end)
            .group_by(SaleRow.seller_id, SaleRow.currency)
        )
        if sellers is not None:
            query = query.where(SaleRow.seller_id.in_(sellers))
        rows: dict[str, list[tuple[str, int, int]]] = {seller: [] for seller in sellers or ()}
        for seller_id, currency, count, revenue in (await session.execute(query)).all():
            rows.setdefault(seller_id, []).append((currency, int(count), int(revenue or 0)))
        result = [
            SellerMetrics(seller_id=seller_id, **metrics_of(day, totals).model_dump())
            for seller_id, totals in rows.items()
            if totals or include_idle
        ]
        if sellers is None:
            result.sort(key=lambda m: (-m.orders_today, m.seller_id))
        return result

    async def summary(self, principal: Principal, seller_id: str | None = None, limit: int = 100) -> Summary:
        """Today's metrics on demand: a seller sees its own; an admin all sellers or ``seller_id``."""
        if principal.role is Role.SELLER and principal.user_id is not None:
            if seller_id not in (None, principal.user_id):
                raise Forbidden("a seller sees its own analytics only")
            seller_id = principal.user_id
        elif principal.role is not Role.ADMIN:
            raise Forbidden("analytics are for sellers and admins")
        today = utc_day(self._clock())  # once: every number of the summary is of the same day
        async with self._db.reading() as session:
            if seller_id is not None:
                user = await session.get(UserRow, seller_id)
                if user is None or user.role != Role.SELLER:
                    raise NotFound(f"seller {seller_id} not found")
                sellers = await self._seller_metrics(session, today, [seller_id], include_idle=True)
                totals: Iterable[SellerMetrics] = sellers
            else:
                everyone = await self._seller_metrics(session, today, None, include_idle=False)
                sellers, totals = everyone[:limit], everyone
        rows = [
            (currency, seller.orders_by_currency[currency], revenue)
            for seller in totals
            for currency, revenue in seller.revenue_today_cents.items()
        ]
        return Summary(**metrics_of(today[0], rows).model_dump(), sellers=sellers)
