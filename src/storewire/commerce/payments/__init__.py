"""Payments: Stripe webhooks, verified and applied to orders exactly once (DESIGN §5 "Payments")."""

from __future__ import annotations

from pathlib import Path

from storewire.commerce.module import Module
from storewire.commerce.payments import routes
from storewire.commerce.payments.service import PaymentService
from storewire.commerce.payments.tables import StripeEventRow

__all__ = ["MODULE"]

MODULE = Module(
    name="payments",
    router=routes.router,
    tables=(StripeEventRow,),
    service=PaymentService.build,
    migrations=Path(__file__).with_name("migrations"),
)
