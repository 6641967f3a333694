"""Analytics: a sale event per paid order, and each seller's day metrics pushed at a coalesced pace."""

from __future__ import annotations

from pathlib import Path

from storewire.commerce.analytics import routes
from storewire.commerce.analytics.events import ANALYTICS_EVENTS
from storewire.commerce.analytics.service import AnalyticsService
from storewire.commerce.analytics.tables import SaleRow
from storewire.commerce.module import Module

__all__ = ["MODULE"]

MODULE = Module(
    name="analytics",
    router=routes.router,
    events=ANALYTICS_EVENTS,
    tables=(SaleRow,),
    service=AnalyticsService.build,
    migrations=Path(__file__).with_name("migrations"),
)
