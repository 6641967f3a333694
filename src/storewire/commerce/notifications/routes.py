"""``/notifications``: the caller's inbox, paged, and marking it read. Reading emits no event."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from storewire.commerce.notifications.models import NotificationOut, NotificationPage, ReadAllOut
from storewire.commerce.notifications.service import NotificationService
from storewire.commerce.web import CurrentPrincipal, service

__all__ = ["router"]

router = APIRouter(prefix="/notifications", tags=["notifications"])

Notifications = Annotated[NotificationService, service(NotificationService)]


@router.get("")
async def list_notifications(
    principal: CurrentPrincipal,
    notifications: Notifications,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
) -> NotificationPage:
    """The caller's notifications, newest first (``unread=true``: unread only), with the unread count.
    Pass ``next_cursor`` back as ``cursor`` for the next page."""
    return await notifications.inbox(principal, unread=unread, limit=limit, cursor=cursor)


@router.post("/read-all")
async def read_all_notifications(principal: CurrentPrincipal, notifications: Notifications) -> ReadAllOut:
    """Mark every unread notification of the caller read."""
    return await notifications.read_all(principal)


@router.post("/{notification_id}/read")
async def read_notification(
    notification_id: str, principal: CurrentPrincipal, notifications: Notifications
) -> NotificationOut:
    """Mark one notification read (404 if it is not the caller's)."""
    return await notifications.read(principal, notification_id)
