"""``/analytics/summary``: today's (UTC) sales metrics, computed on demand."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from storewire.commerce.analytics.service import AnalyticsService, Summary
from storewire.commerce.web import CurrentPrincipal, service

__all__ = ["router"]

router = APIRouter(prefix="/analytics", tags=["analytics"])

Analytics = Annotated[AnalyticsService, service(AnalyticsService)]


@router.get("/summary")
async def summary(
    principal: CurrentPrincipal,
    analytics: Analytics,
    seller_id: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Summary:
    """Paid orders, revenue and average order value for the current UTC day, per currency.

    A seller gets its own metrics (``seller_id``, if given, must be its own: else 403). An admin gets
    every seller with a sale today (busiest first, at most ``limit``) with totals over all of them, or
    one seller with ``?seller_id=`` (404 if no such seller). Anyone else: 403. Revenue counts each paid
    order once, when it was paid; later refunds are not subtracted.
    """
    return await analytics.summary(principal, seller_id, limit)
