"""The module list: every domain module storewire runs, in dependency order (one line each)."""

from __future__ import annotations

from storewire.commerce import (
    accounts,
    analytics,
    announcements,
    cart,
    chat,
    notifications,
    orders,
    payments,
    products,
    publishing,
    quotations,
    store_settings,
    wholesale,
)
from storewire.commerce.module import Module
from storewire.realtime.catalog import Catalog
from storewire.realtime.ephemeral import EPHEMERAL_EVENTS

__all__ = ["MODULES", "build_catalog"]

MODULES: tuple[Module, ...] = (
    accounts.MODULE,
    notifications.MODULE,  # hooks the publisher: every inbox event lands in its users' inboxes
    products.MODULE,
    store_settings.MODULE,
    wholesale.MODULE,
    quotations.MODULE,
    orders.MODULE,
    payments.MODULE,
    cart.MODULE,
    analytics.MODULE,
    chat.MODULE,
    announcements.MODULE,
    publishing.MODULE,  # service keys and POST /publish for other backends
)


def build_catalog(modules: tuple[Module, ...] = MODULES) -> Catalog:
    """Every event: the gateway's ephemeral ones and what the modules publish, declared once each."""
    return Catalog([*EPHEMERAL_EVENTS, *(spec for module in modules for spec in module.events)])
