"""The quotation events of the catalog and who receives them (DESIGN §4).

The seller hears every one; the buyer only from ``sent`` on: a draft is the seller's own business,
so ``quotation:created`` and ``quotation:updated`` (only drafts are edited) reach the seller alone.
The audience is decided from the payload's ``status``, here, never at a call site.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from storewire.realtime.catalog import EventSpec
from storewire.realtime.rooms import Room

__all__ = ["DRAFT", "QUOTATION_EVENTS", "QuotationEvent"]

DRAFT = "draft"


class QuotationEvent(BaseModel):
    quotation_id: str
    seller_id: str
    buyer_id: str
    status: str
    total_cents: int
    currency: str
    title: str


def _parties(event: QuotationEvent) -> list[Room]:
    if event.status == DRAFT:
        return [Room.user(event.seller_id)]
    return [Room.user(event.seller_id), Room.user(event.buyer_id)]


def _keys(event: QuotationEvent) -> list[tuple[str, ...]]:
    return [("quotations", event.quotation_id), ("quotations",)]


def _spec(
    name: str, description: str, *, sensitive: bool = False, inbox: bool = True
) -> EventSpec[QuotationEvent]:
    return EventSpec(
        name, QuotationEvent, _parties, _keys, description=description, sensitive=sensitive, inbox=inbox
    )


QUOTATION_EVENTS: list[EventSpec[Any]] = [
    # A draft's events go to the seller who made the change: nothing for its inbox.
    _spec("quotation:created", "A seller drafted a quotation (the seller only).", inbox=False),
    _spec("quotation:updated", "A seller edited a draft quotation (the seller only).", inbox=False),
    _spec("quotation:sent", "A seller sent a quotation to its buyer."),
    _spec("quotation:accepted", "The buyer accepted a quotation."),
    _spec("quotation:rejected", "The buyer rejected a quotation."),
    _spec("quotation:paid", "The buyer paid an accepted quotation.", sensitive=True),
]
