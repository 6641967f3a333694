"""Rooms are ``{kind}:{id}`` strings on the wire; ``Room`` is their parsed, validated value."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from storewire.errors import InvalidPayload

__all__ = ["ADMIN_ROOM", "EVERYONE_ROOM", "SELLERS_ROOM", "Room", "RoomKind"]


class RoomKind(StrEnum):
    USER = "user"
    ADMIN = "admin"
    SELLERS = "sellers"
    EVERYONE = "everyone"  # every connection, guests too (announcements to all)
    KITCHEN = "kitchen"
    ORDER = "order"
    PRODUCT = "product"
    STOREFRONT = "storefront"
    CHAT = "chat"


_SINGLETONS = frozenset({RoomKind.ADMIN, RoomKind.SELLERS, RoomKind.EVERYONE})
_ID = re.compile(r"[A-Za-z0-9_\-]{1,64}")


@dataclass(frozen=True, slots=True)
class Room:
    """A parsed room name. ``id`` is None for the singleton rooms ``admin`` and ``sellers``."""

    kind: RoomKind
    id: str | None = None

    @classmethod
    def parse(cls, name: object) -> Room:
        """Parse a wire room name; raise ``InvalidPayload(code="invalid_room")`` if it is not one."""
        if not isinstance(name, str) or len(name) > 80:
            raise InvalidPayload("room must be a string like 'order:ord_123'", code="invalid_room")
        kind_text, sep, ident = name.partition(":")
        try:
            kind = RoomKind(kind_text)
        except ValueError:
            raise InvalidPayload(f"unknown room kind {kind_text!r}", code="invalid_room") from None
        if kind in _SINGLETONS:
            if sep:
                raise InvalidPayload(f"room {kind.value!r} takes no id", code="invalid_room")
            return cls(kind)
        if not sep or not _ID.fullmatch(ident):
            raise InvalidPayload(f"room {kind.value!r} needs an id: '{kind.value}:<id>'", code="invalid_room")
        return cls(kind, ident)

    @classmethod
    def user(cls, user_id: str) -> Room:
        return cls(RoomKind.USER, user_id)

    @classmethod
    def order(cls, order_id: str) -> Room:
        return cls(RoomKind.ORDER, order_id)

    @classmethod
    def kitchen(cls, seller_id: str) -> Room:
        return cls(RoomKind.KITCHEN, seller_id)

    @classmethod
    def product(cls, product_id: str) -> Room:
        return cls(RoomKind.PRODUCT, product_id)

    @classmethod
    def storefront(cls, seller_id: str) -> Room:
        return cls(RoomKind.STOREFRONT, seller_id)

    def __str__(self) -> str:
        return self.kind.value if self.id is None else f"{self.kind.value}:{self.id}"


ADMIN_ROOM = Room(RoomKind.ADMIN)
SELLERS_ROOM = Room(RoomKind.SELLERS)
EVERYONE_ROOM = Room(RoomKind.EVERYONE)
