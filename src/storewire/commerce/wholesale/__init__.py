"""Wholesale (B2B): a seller's invitations to buyers, and deposit-first wholesale orders."""

from __future__ import annotations

from pathlib import Path

from storewire.commerce.module import Module
from storewire.commerce.wholesale import routes
from storewire.commerce.wholesale.events import WHOLESALE_EVENTS
from storewire.commerce.wholesale.service import WholesaleService
from storewire.commerce.wholesale.tables import (
    WholesaleInvitationRow,
    WholesaleOrderItemRow,
    WholesaleOrderRow,
)

__all__ = ["MODULE"]

MODULE = Module(
    name="wholesale",
    router=routes.router,
    events=WHOLESALE_EVENTS,
    tables=(WholesaleInvitationRow, WholesaleOrderRow, WholesaleOrderItemRow),
    service=WholesaleService.build,
    migrations=Path(__file__).with_name("migrations"),
)
