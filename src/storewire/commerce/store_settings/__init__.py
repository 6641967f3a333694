"""Store settings: twelve typed categories per seller, their events, and the storefronts they open."""

from __future__ import annotations

from pathlib import Path

from storewire.commerce.module import Module
from storewire.commerce.store_settings import routes
from storewire.commerce.store_settings.events import SETTINGS_EVENTS
from storewire.commerce.store_settings.service import StoreSettingsService, lookup_storefront
from storewire.commerce.store_settings.tables import StoreSettingRow
from storewire.realtime.rooms import RoomKind

__all__ = ["MODULE"]

MODULE = Module(
    name="store_settings",
    router=routes.router,
    events=SETTINGS_EVENTS,
    tables=(StoreSettingRow,),
    service=StoreSettingsService.build,
    rooms={RoomKind.STOREFRONT: lookup_storefront},
    migrations=Path(__file__).with_name("migrations"),
)
