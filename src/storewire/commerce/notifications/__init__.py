"""Notifications: the per-user inbox of the catalog's inbox events, and ``notification:created``."""

from __future__ import annotations

from pathlib import Path

from storewire.commerce.module import Module
from storewire.commerce.notifications import routes
from storewire.commerce.notifications.events import NOTIFICATION_EVENTS
from storewire.commerce.notifications.service import NotificationService
from storewire.commerce.notifications.tables import NotificationRow

__all__ = ["MODULE"]

MODULE = Module(
    name="notifications",
    router=routes.router,
    events=NOTIFICATION_EVENTS,
    tables=(NotificationRow,),
    service=NotificationService.build,
    migrations=Path(__file__).with_name("migrations"),
)
