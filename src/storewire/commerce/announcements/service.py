"""Announcements: admins announce to sellers or to everyone; anyone may read what concerns them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from storewire.commerce.announcements.events import Announced
from storewire.commerce.announcements.tables import AnnouncementRow
from storewire.commerce.module import DomainService
from storewire.errors import Forbidden
from storewire.realtime.ids import new_id
from storewire.realtime.policy import Principal, Role

__all__ = ["AnnouncementService", "NewAnnouncement"]


class NewAnnouncement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=2000)
    audience: Literal["sellers", "everyone"] = "everyone"
    level: Literal["info", "warning", "critical"] = "info"


def _announced(row: AnnouncementRow) -> Announced:
    return Announced(
        announcement_id=row.id,
        audience=row.audience,
        level=row.level,
        title=row.title,
        body=row.body,
        created_at=row.created_at,
    )


class AnnouncementService(DomainService):
    async def announce(self, principal: Principal, new: NewAnnouncement) -> Announced:
        if principal.role is not Role.ADMIN or principal.user_id is None:
            raise Forbidden("only admins announce")
        row = AnnouncementRow(id=new_id("ann"), author_id=principal.user_id, **new.model_dump())
        async with self._db.transaction() as session:
            session.add(row)
            await session.flush()
            event = _announced(row)
            self._publisher.publish(session, "system:announcement", event)
        return event

    async def recent(self, principal: Principal, limit: int) -> list[Announced]:
        """The newest announcements for this principal: everyone's, and the sellers' ones for sellers."""
        audiences = ["everyone"]
        if principal.role in (Role.SELLER, Role.ADMIN):
            audiences.append("sellers")
        query = (
            select(AnnouncementRow)
            .where(AnnouncementRow.audience.in_(audiences))
            .order_by(AnnouncementRow.created_at.desc(), AnnouncementRow.id.desc())
            .limit(limit)
        )
        async with self._db.reading() as session:
            rows = (await session.scalars(query)).all()
        return [_announced(row) for row in rows]
