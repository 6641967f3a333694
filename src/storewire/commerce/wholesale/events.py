"""The wholesale events of the catalog and who receives them (DESIGN §4).

Audience: the seller's ``user:`` room and the buyer's, once the invitee has an account. Payloads
carry ids and display metadata only: never the invitee's email (contact data).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from storewire.realtime.catalog import EventSpec
from storewire.realtime.rooms import Room

__all__ = ["WHOLESALE_EVENTS", "InvitationEvent", "WholesaleOrderEvent"]


class InvitationEvent(BaseModel):
    invitation_id: str
    seller_id: str
    buyer_id: str | None  # None while the invited email has no account
    status: str
    discount_percent: int
    deposit_percent: int


class WholesaleOrderEvent(BaseModel):
    order_id: str
    seller_id: str
    buyer_id: str
    status: str
    total_cents: int
    deposit_cents: int
    currency: str


def _parties(event: InvitationEvent | WholesaleOrderEvent) -> list[Room]:
    rooms = [Room.user(event.seller_id)]
    if event.buyer_id is not None:
        rooms.append(Room.user(event.buyer_id))
    return rooms


def _invitation_keys(event: InvitationEvent) -> list[tuple[str, ...]]:
    return [("wholesale", "invitations", event.invitation_id), ("wholesale", "invitations")]


def _order_keys(event: WholesaleOrderEvent) -> list[tuple[str, ...]]:
    return [("wholesale", "orders", event.order_id), ("wholesale", "orders")]


def _invitation(name: str, description: str) -> EventSpec[InvitationEvent]:
    return EventSpec(name, InvitationEvent, _parties, _invitation_keys, description=description, inbox=True)


def _order(name: str, description: str, *, sensitive: bool = False) -> EventSpec[WholesaleOrderEvent]:
    return EventSpec(
        name,
        WholesaleOrderEvent,
        _parties,
        _order_keys,
        description=description,
        sensitive=sensitive,
        inbox=True,
    )


WHOLESALE_EVENTS: list[EventSpec[Any]] = [
    _invitation("wholesale:invitation_sent", "A seller invited a buyer to buy wholesale."),
    _invitation("wholesale:invitation_accepted", "The invited buyer accepted a wholesale invitation."),
    _invitation("wholesale:invitation_rejected", "The invited buyer rejected a wholesale invitation."),
    _order("wholesale:order_placed", "A buyer placed a wholesale order; it awaits its deposit."),
    _order("wholesale:deposit_paid", "A wholesale order's deposit was paid.", sensitive=True),
]
