"""Products: products with variants, their stock, and the storefront's product list."""

from __future__ import annotations

from storewire.commerce.module import Module
from storewire.commerce.products import routes
from storewire.commerce.products.events import PRODUCT_EVENTS
from storewire.commerce.products.service import ProductService, lookup_product
from storewire.commerce.products.tables import ProductRow, VariantRow
from storewire.realtime.rooms import RoomKind

__all__ = ["MODULE"]

MODULE = Module(
    name="products",
    router=routes.router,
    events=PRODUCT_EVENTS,
    tables=(ProductRow, VariantRow),
    service=ProductService.build,
    rooms={RoomKind.PRODUCT: lookup_product},
)
