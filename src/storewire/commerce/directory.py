"""Room facts for the join policy: does a room's subject exist, who owns it, is it public."""

from __future__ import annotations

from storewire.commerce.accounts.tables import UserRow
from storewire.commerce.catalog.tables import ProductRow
from storewire.commerce.orders.tables import OrderRow
from storewire.realtime.policy import Role, RoomFacts
from storewire.realtime.rooms import Room, RoomKind
from storewire.storage.database import Database

__all__ = ["RoomDirectory"]

_MISSING = RoomFacts(exists=False)


class RoomDirectory:
    """Looks up the ``RoomFacts`` of order, product, storefront and chat rooms."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def facts(self, room: Room) -> RoomFacts:
        if room.id is None:
            return _MISSING
        async with self._db.reading() as session:
            if room.kind is RoomKind.ORDER:
                order = await session.get(OrderRow, room.id)
                if order is None:
                    return _MISSING
                return RoomFacts(exists=True, owner_id=order.seller_id, buyer_id=order.buyer_id)
            if room.kind is RoomKind.PRODUCT:
                product = await session.get(ProductRow, room.id)
                if product is None:
                    return _MISSING
                return RoomFacts(
                    exists=True, owner_id=product.seller_id, public=product.status == "published"
                )
            if room.kind is RoomKind.STOREFRONT:
                seller = await session.get(UserRow, room.id)
                if seller is None or seller.role != Role.SELLER:
                    return _MISSING
                # Stores are open from registration; the store_status setting (closed) comes later.
                return RoomFacts(exists=True, owner_id=seller.id, public=True)
        return _MISSING  # chat rooms arrive with the chat module
