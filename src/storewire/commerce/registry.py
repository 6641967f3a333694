"""The module list: every domain module storewire runs, in dependency order (one line each)."""

from __future__ import annotations

from storewire.commerce import (
    accounts,
    analytics,
    cart,
    orders,
    payments,
    products,
    quotations,
    store_settings,
    wholesale,
)
from storewire.commerce.module import Module
from storewire.realtime.catalog import Catalog

__all__ = ["MODULES", "build_catalog"]

MODULES: tuple[Module, ...] = (
    accounts.MODULE,
    products.MODULE,
    store_settings.MODULE,
    wholesale.MODULE,
    quotations.MODULE,
    orders.MODULE,
    payments.MODULE,
    cart.MODULE,
    analytics.MODULE,
)


def build_catalog(modules: tuple[Module, ...] = MODULES) -> Catalog:
    """Every event the modules publish, declared once each."""
    return Catalog(spec for module in modules for spec in module.events)
