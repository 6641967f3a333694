"""Quotations (trade): a seller's priced offers to one buyer, from draft to paid."""

from __future__ import annotations

from pathlib import Path

from storewire.commerce.module import Module
from storewire.commerce.quotations import routes
from storewire.commerce.quotations.events import QUOTATION_EVENTS
from storewire.commerce.quotations.service import QuotationService
from storewire.commerce.quotations.tables import QuotationItemRow, QuotationRow

__all__ = ["MODULE"]

MODULE = Module(
    name="quotations",
    router=routes.router,
    events=QUOTATION_EVENTS,
    tables=(QuotationRow, QuotationItemRow),
    service=QuotationService.build,
    migrations=Path(__file__).with_name("migrations"),
)
