"""Who may be in which room (DESIGN §3), as a pure function of the principal and the room's facts.

This is the one visibility rule of storewire: the gateway asks ``decide_join`` before a ``room:join``,
and REST reads ask ``can_see`` with the same ``RoomFacts`` (I/O at the edge: each module declares how
its room kind's facts are looked up). The automatic rooms a connection gets come from
``automatic_rooms``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from storewire.realtime.rooms import ADMIN_ROOM, EVERYONE_ROOM, SELLERS_ROOM, Room, RoomKind

__all__ = [
    "JoinDecision",
    "Principal",
    "Role",
    "RoomFacts",
    "automatic_rooms",
    "can_see",
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
    """What the policy needs to know about a room's subject; ``exists=False`` means not found.

    One rule covers every kind: anyone may see a public subject; otherwise its owning seller (and that
    seller's staff), admins and its ``members`` (an order's buyer, a chat's participants) may.
    """

    exists: bool
    owner_id: str | None = None  # the seller that owns the product / order / store / chat
    public: bool = False  # a published product, an open storefront
    members: frozenset[str] = field(default_factory=frozenset)  # an order's buyer, a chat's people


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
        return [EVERYONE_ROOM]
    rooms = [Room.user(principal.user_id)]
    if principal.role is Role.ADMIN:
        rooms.append(ADMIN_ROOM)
    elif principal.role is Role.SELLER:
        rooms.append(SELLERS_ROOM)
    elif principal.role is Role.STAFF and principal.seller_id:
        rooms.append(Room.kitchen(principal.seller_id))
    rooms.append(EVERYONE_ROOM)
    return rooms


def decide_join(principal: Principal, room: Room, facts: RoomFacts | None) -> JoinDecision:
    """Decide an explicit ``room:join``. ``facts`` must be given when ``needs_facts(room)``."""
    role = principal.role
    if room.kind is RoomKind.USER:
        return JoinDecision.allow() if room.id == principal.user_id else _FORBIDDEN
    if room.kind is RoomKind.ADMIN:
        return JoinDecision.allow() if role is Role.ADMIN else _FORBIDDEN
    if room.kind is RoomKind.SELLERS:
        return JoinDecision.allow() if role is Role.SELLER else _FORBIDDEN
    if room.kind is RoomKind.EVERYONE:
        return JoinDecision.allow()
    if room.kind is RoomKind.KITCHEN:
        assert room.id is not None
        return JoinDecision.allow() if principal.acts_for_seller(room.id) else _FORBIDDEN
    if facts is None or not facts.exists:
        return JoinDecision.deny("not_found", f"{room} does not exist")
    return JoinDecision.allow() if _may_see(principal, facts) else _FORBIDDEN


def can_see(principal: Principal, facts: RoomFacts) -> bool:
    """Whether ``principal`` may see the subject behind ``facts`` (a REST read of it, or its room)."""
    return facts.exists and _may_see(principal, facts)


def _may_see(principal: Principal, facts: RoomFacts) -> bool:
    if facts.public or principal.role is Role.ADMIN:
        return True
    if principal.user_id is not None and principal.user_id in facts.members:
        return True
    return facts.owner_id is not None and principal.acts_for_seller(facts.owner_id)
