"""Quotations (trade): a seller drafts a priced offer for one buyer, sends it, the buyer decides.

Flow: ``draft`` -(seller: send)-> ``sent`` -(buyer: accept | reject)-> ``accepted`` | ``rejected``;
``accepted`` -(buyer: pay, the dev/demo payment path)-> ``paid``. Only a draft is edited. Until it is
sent a quotation does not exist for its buyer: 404 on read, absent from its list, no events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storewire.commerce.accounts.tables import UserRow
from storewire.commerce.module import DomainService
from storewire.commerce.parties import acting_seller
from storewire.commerce.quotations.events import DRAFT, QuotationEvent
from storewire.commerce.quotations.models import NewQuotation, QuotationLine, QuotationOut, QuotationPatch
from storewire.commerce.quotations.tables import QuotationItemRow, QuotationRow
from storewire.errors import Conflict, Forbidden, InvalidPayload, NotFound
from storewire.realtime.ids import new_id
from storewire.realtime.policy import Principal, Role, RoomFacts, can_see
from storewire.storage.tables import utcnow

__all__ = ["TRANSITIONS", "QuotationService", "Transition", "quotation_facts"]


@dataclass(frozen=True, slots=True)
class Transition:
    """One move of the flow: from which status, to which, and whether the seller or the buyer makes it."""

    source: str
    target: str
    by_seller: bool


TRANSITIONS: dict[str, Transition] = {
    "send": Transition(DRAFT, "sent", by_seller=True),
    "accept": Transition("sent", "accepted", by_seller=False),
    "reject": Transition("sent", "rejected", by_seller=False),
    "pay": Transition("accepted", "paid", by_seller=False),
}


def quotation_facts(row: QuotationRow | None) -> RoomFacts:
    """The visibility rule's view: the seller owns it; its buyer is a member once it is sent."""
    if row is None:
        return RoomFacts(exists=False)
    members = frozenset() if row.status == DRAFT else frozenset({row.buyer_id})
    return RoomFacts(exists=True, owner_id=row.seller_id, members=members)


def _event(row: QuotationRow) -> QuotationEvent:
    return QuotationEvent(
        quotation_id=row.id,
        seller_id=row.seller_id,
        buyer_id=row.buyer_id,
        status=row.status,
        total_cents=row.total_cents,
        currency=row.currency,
        title=row.title,
    )


def _today() -> date:
    return datetime.now(UTC).date()


def _lines(lines: Sequence[QuotationLine]) -> tuple[list[QuotationItemRow], int]:
    items = [
        QuotationItemRow(
            id=new_id("qtl"),
            position=position,
            description=line.description,
            quantity=line.quantity,
            unit_price_cents=line.unit_price_cents,
        )
        for position, line in enumerate(lines)
    ]
    return items, sum(line.quantity * line.unit_price_cents for line in lines)


def _check_valid_until(valid_until: date | None) -> None:
    if valid_until is not None and valid_until < _today():
        raise InvalidPayload("valid_until must not be in the past")


class QuotationService(DomainService):
    """Drafting, sending and deciding quotations; each change publishes its event in its transaction."""

    async def create(self, principal: Principal, new: NewQuotation) -> QuotationOut:
        """A seller drafts a quotation for one of the buyers (``quotation:created``, to the seller)."""
        if principal.role is not Role.SELLER or principal.user_id is None:
            raise Forbidden("only sellers draft quotations")
        _check_valid_until(new.valid_until)
        async with self._db.transaction() as session:
            buyer = await session.get(UserRow, new.buyer_id)
            if buyer is None or buyer.role != Role.BUYER:
                raise InvalidPayload("buyer_id must name a buyer")
            items, total = _lines(new.items)
            row = QuotationRow(
                id=new_id("quo"),
                seller_id=principal.user_id,
                buyer_id=buyer.id,
                title=new.title,
                currency=new.currency,
                total_cents=total,
                status=DRAFT,
                valid_until=new.valid_until,
                notes=new.notes,
                items=items,
            )
            session.add(row)
            await session.flush()
            self._publisher.publish(session, "quotation:created", _event(row))
            return QuotationOut.of(row)

    async def update(self, principal: Principal, quotation_id: str, patch: QuotationPatch) -> QuotationOut:
        """The seller edits its draft (409 invalid_transition once sent)."""
        given = patch.model_fields_set
        if not given:
            raise InvalidPayload("nothing to change")
        for required in ("title", "items", "currency"):
            if required in given and getattr(patch, required) is None:
                raise InvalidPayload(f"{required} cannot be null")
        if "valid_until" in given:
            _check_valid_until(patch.valid_until)
        async with self._db.transaction() as session:
            row = await self._locked(session, principal, quotation_id)
            if principal.role is not Role.SELLER or principal.user_id != row.seller_id:
                raise Forbidden("only the quotation's seller edits it")
            if row.status != DRAFT:
                raise Conflict(f"a {row.status} quotation cannot be edited", code="invalid_transition")
            if patch.title is not None:
                row.title = patch.title
            if patch.currency is not None:
                row.currency = patch.currency
            if patch.items is not None:
                row.items, row.total_cents = _lines(patch.items)
            if "valid_until" in given:
                row.valid_until = patch.valid_until
            if "notes" in given:
                row.notes = patch.notes
            row.updated_at = utcnow()  # set here so the response needs no reload after the flush
            await session.flush()
            self._publisher.publish(session, "quotation:updated", _event(row))
            return QuotationOut.of(row)

    async def transition(self, principal: Principal, quotation_id: str, action: str) -> QuotationOut:
        """Make one move of the flow (``TRANSITIONS``): 404 unseen, 403 wrong party, 409 illegal move."""
        move = TRANSITIONS[action]
        async with self._db.transaction() as session:
            row = await self._locked(session, principal, quotation_id)
            party = row.seller_id if move.by_seller else row.buyer_id
            if principal.user_id != party:
                who = "seller" if move.by_seller else "buyer"
                raise Forbidden(f"only the quotation's {who} may {action} it")
            if row.status != move.source:
                raise Conflict(f"a {row.status} quotation cannot be {move.target}", code="invalid_transition")
            if action == "accept" and row.valid_until is not None and row.valid_until < _today():
                raise Conflict("this quotation has expired", code="quotation_expired")
            row.status = move.target
            row.updated_at = utcnow()
            await session.flush()
            self._publisher.publish(session, f"quotation:{move.target}", _event(row))
            return QuotationOut.of(row)

    async def _locked(self, session: AsyncSession, principal: Principal, quotation_id: str) -> QuotationRow:
        # The row lock serialises concurrent moves (PostgreSQL), so a check-then-write holds.
        row = await session.get(QuotationRow, quotation_id, with_for_update=True, populate_existing=True)
        if row is None or not can_see(principal, quotation_facts(row)):
            raise NotFound(f"quotation {quotation_id} not found")
        return row

    async def get(self, principal: Principal, quotation_id: str) -> QuotationOut:
        async with self._db.reading() as session:
            row = await session.get(QuotationRow, quotation_id)
        if row is None or not can_see(principal, quotation_facts(row)):
            raise NotFound(f"quotation {quotation_id} not found")
        return QuotationOut.of(row)

    async def list(self, principal: Principal, limit: int = 100) -> list[QuotationOut]:
        """The seller's (and its staff's) quotations; a buyer's from ``sent`` on; all for admins."""
        query = select(QuotationRow).order_by(QuotationRow.created_at.desc()).limit(limit)
        if principal.role is Role.BUYER:
            query = query.where(QuotationRow.buyer_id == principal.user_id, QuotationRow.status != DRAFT)
        elif principal.role in (Role.SELLER, Role.STAFF):
            query = query.where(QuotationRow.seller_id == acting_seller(principal))
        elif principal.role is not Role.ADMIN:
            return []
        async with self._db.reading() as session:
            rows = (await session.scalars(query)).all()
        return [QuotationOut.of(row) for row in rows]
