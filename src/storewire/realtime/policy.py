"""Who may be in which room (DESIGN §3), as a pure function of the principal and the room's facts.

The gateway fetches a room's ``RoomFacts`` (I/O at the edge) and asks ``decide_join``; the automatic
rooms a connection gets come from ``automatic_rooms``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from storewire.realtime.rooms import ADMIN_ROOM, SELLERS_ROOM, Room, RoomKind

__all__ = [
    "JoinDecision",
    "Principal",
    "Role",
    "RoomFacts",
    "automatic_rooms",
    "decide_join",
    "needs_facts",
]


class Role(StrEnum):
    GUEST = "guest"
    BUYER = "buyer"
    SELLER = "seller"
    STAFF = "staff"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is on the other end of a connection or request."""

    user_id: str | None
    role: Role
    name: str = ""
    seller_id: str | None = None  # the seller a staff member works for

    @classmethod
    def guest(cls) -> Principal:
        return cls(user_id=None, role=Role.GUEST, name="guest")

    @property
    def is_guest(self) -> bool:
        return self.role is Role.GUEST

    def acts_for_seller(self, seller_id: str) -> bool:
        """True for the seller itself and for that seller's staff."""
        if self.role is Role.SELLER:
            return self.user_id == seller_id
        return self.role is Role.STAFF and self.seller_id == seller_id


@dataclass(frozen=True, slots=True)
class RoomFacts:
    """What the policy needs to know about a room's subject; ``exists=False`` means not found."""

    exists: bool
    owner_id: str | None = None  # the seller that owns the product / order / store / chat
    buyer_id: str | None = None  # an order's buyer
    public: bool = False  # a published product, an open storefront
    participants: frozenset[str] = field(default_factory=frozenset)  # a chat's people


@dataclass(frozen=True, slots=True)
class JoinDecision:
    allowed: bool
    code: str | None = None
    message: str = ""

    @classmethod
    def allow(cls) -> JoinDecision:
        return cls(True)

    @classmethod
    def deny(cls, code: str, message: str) -> JoinDecision:
        return cls(False, code, message)


_FACT_KINDS = frozenset({RoomKind.ORDER, RoomKind.PRODUCT, RoomKind.STOREFRONT, RoomKind.CHAT})
_FORBIDDEN = JoinDecision.deny("forbidden", "you may not join this room")


def needs_facts(room: Room) -> bool:
    """Whether deciding a join on ``room`` needs its ``RoomFacts`` looked up."""
    return room.kind in _FACT_KINDS


def automatic_rooms(principal: Principal) -> list[Room]:
    """The rooms a connection is put in at the handshake, before its CONNECT ack."""
    if principal.user_id is None:
        return []
    rooms = [Room.user(principal.user_id)]
    if principal.role is Role.ADMIN:
        rooms.append(ADMIN_ROOM)
    elif principal.role is Role.SELLER:
        rooms.append(SELLERS_ROOM)
    elif principal.role is Role.STAFF and principal.seller_id:
        rooms.append(Room.kitchen(principal.seller_id))
    return rooms


def decide_join(principal: Principal, room: Room, facts: RoomFacts | None) -> JoinDecision:
    """Decide an explicit ``room:join``. ``facts`` must be given when ``needs_facts(room)``."""
    role = principal.role
    is_admin = role is Role.ADMIN
    if room.kind is RoomKind.USER:
        return JoinDecision.allow() if room.id == principal.user_id else _FORBIDDEN
    if room.kind is RoomKind.ADMIN:
        return JoinDecision.allow() if is_admin else _FORBIDDEN
    if room.kind is RoomKind.SELLERS:
        return JoinDecision.allow() if role is Role.SELLER else _FORBIDDEN
    if room.kind is RoomKind.KITCHEN:
        assert room.id is not None
        return JoinDecision.allow() if principal.acts_for_seller(room.id) else _FORBIDDEN
    if facts is None or not facts.exists:
        return JoinDecision.deny("not_found", f"{room} does not exist")
    owner = facts.owner_id
    if room.kind in (RoomKind.PRODUCT, RoomKind.STOREFRONT):
        if facts.public or is_admin or (owner is not None and principal.acts_for_seller(owner)):
            return JoinDecision.allow()
        return _FORBIDDEN
    if principal.is_guest:
        return _FORBIDDEN
    if room.kind is RoomKind.ORDER:
        if is_admin or principal.user_id == facts.buyer_id:
            return JoinDecision.allow()
        return JoinDecision.allow() if owner and principal.acts_for_seller(owner) else _FORBIDDEN
    # chat
    if is_admin or principal.user_id in facts.participants:
        return JoinDecision.allow()
    return JoinDecision.allow() if owner and principal.acts_for_seller(owner) else _FORBIDDEN
