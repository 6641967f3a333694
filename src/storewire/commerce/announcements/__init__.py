"""Announcements: admins tell every seller, or everyone connected, something (``system:announcement``)."""

from __future__ import annotations

from pathlib import Path

from storewire.commerce.announcements import routes
from storewire.commerce.announcements.events import ANNOUNCEMENT_EVENTS
from storewire.commerce.announcements.service import AnnouncementService
from storewire.commerce.announcements.tables import AnnouncementRow
from storewire.commerce.module import Module

__all__ = ["MODULE"]

MODULE = Module(
    name="announcements",
    router=routes.router,
    events=ANNOUNCEMENT_EVENTS,
    tables=(AnnouncementRow,),
    service=AnnouncementService.build,
    migrations=Path(__file__).with_name("migrations"),
)
