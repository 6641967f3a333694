"""``settings:{category}_updated``: twelve events, one per category, and who receives them (DESIGN §4).

Each payload is ``{seller_id, category, values}`` with ``values`` typed by the category's schema (so
the AsyncAPI document names it) and secrets already masked by the service. The seller's ``user:`` room
hears of every category; the public ``storefront:{seller}`` room only of what a storefront shows.
"""

from __future__ import annotations

from typing import Any, Literal, cast

from pydantic import BaseModel, create_model

from storewire.commerce.store_settings.schemas import PUBLIC_CATEGORIES, SCHEMAS, Category
from storewire.realtime.catalog import EventSpec
from storewire.realtime.rooms import Room

__all__ = ["SETTINGS_EVENTS", "event_name"]

# Payment, domain and subscription settings hold the keys to money and identity: audited.
_SENSITIVE = frozenset({Category.PAYMENT, Category.DOMAIN, Category.SUBSCRIPTION})


def event_name(category: Category) -> str:
    return f"settings:{category.value}_updated"


def _payload(category: Category) -> type[BaseModel]:
    name = "".join(part.title() for part in category.value.split("_")) + "SettingsUpdated"
    model: type[BaseModel] = create_model(
        name,
        __doc__=f"``{event_name(category)}``",
        seller_id=(str, ...),
        # A Literal built at run time: each event's schema names its one category.
        category=(cast(Any, Literal)[category.value], ...),
        values=(SCHEMAS[category], ...),
    )
    return model


def _spec(category: Category) -> EventSpec[Any]:
    public = category in PUBLIC_CATEGORIES

    def audience(event: Any) -> list[Room]:
        rooms = [Room.user(event.seller_id)]
        if public:
            rooms.append(Room.storefront(event.seller_id))
        return rooms

    def invalidate(event: Any) -> list[tuple[str, ...]]:
        keys: list[tuple[str, ...]] = [("settings", category.value), ("settings",)]
        if public:
            keys += [("storefronts", event.seller_id), ("storefronts",)]
        return keys

    return EventSpec(
        event_name(category),
        _payload(category),
        audience,
        invalidate,
        description=f"The seller changed its {category.value.replace('_', ' ')} settings"
        + (" (shown on its storefront)." if public else "."),
        sensitive=category in _SENSITIVE,
    )


SETTINGS_EVENTS: list[EventSpec[Any]] = [_spec(category) for category in Category]
