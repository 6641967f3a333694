"""Cart: a buyer's lines across sellers, checkout into one order per seller, stock and price warnings."""

from __future__ import annotations

from pathlib import Path

from storewire.commerce.cart import routes
from storewire.commerce.cart.events import CART_EVENTS
from storewire.commerce.cart.service import CartService
from storewire.commerce.cart.tables import CartItemRow
from storewire.commerce.module import Module

__all__ = ["MODULE"]

MODULE = Module(
    name="cart",
    router=routes.router,
    events=CART_EVENTS,
    tables=(CartItemRow,),
    service=CartService.build,
    migrations=Path(__file__).with_name("migrations"),
)
