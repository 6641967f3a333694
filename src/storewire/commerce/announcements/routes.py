"""``POST /admin/announcements`` and ``GET /announcements``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from storewire.commerce.announcements.events import Announced
from storewire.commerce.announcements.service import AnnouncementService, NewAnnouncement
from storewire.commerce.web import CurrentPrincipal, OptionalPrincipal, service

__all__ = ["router"]

router = APIRouter(tags=["announcements"])

Announcements = Annotated[AnnouncementService, service(AnnouncementService)]


@router.post("/admin/announcements", status_code=status.HTTP_201_CREATED)
async def announce(
    body: NewAnnouncement, principal: CurrentPrincipal, announcements: Announcements
) -> Announced:
    """An admin announces to every seller (`sellers`) or every connection (`everyone`).

    Sends `system:announcement`; the announcement is kept for `GET /announcements`.
    """
    return await announcements.announce(principal, body)


@router.get("/announcements")
async def recent(
    principal: OptionalPrincipal, announcements: Announcements, limit: int = Query(20, ge=1, le=100)
) -> list[Announced]:
    """The newest announcements that concern the caller (guests: the ones to everyone)."""
    return await announcements.recent(principal, limit)
