"""The whole event catalog, assembled from each module's declarations."""

from __future__ import annotations

from storewire.commerce.orders.events import ORDER_EVENTS
from storewire.realtime.catalog import Catalog

__all__ = ["build_catalog"]


def build_catalog() -> Catalog:
    """Every event storewire publishes, declared once."""
    return Catalog([*ORDER_EVENTS])
