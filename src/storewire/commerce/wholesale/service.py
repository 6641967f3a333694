"""Wholesale (B2B): a seller invites buyers by email; an invited buyer orders at the agreed terms.

Flow: ``pending`` invitation -> ``accepted`` | ``rejected`` (by the invitee); with an accepted
invitation the buyer places wholesale orders, priced from the variants' list prices less the
invitation's discount, which wait for a deposit (``awaiting_deposit`` -> ``deposit_paid``).

Wholesale orders do not touch stock: fulfilment of wholesale orders (reserving and shipping the
units) is out of scope of this module, so retail stock counts and their events are unaffected.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storewire.commerce.accounts.tables import UserRow
from storewire.commerce.module import DomainService
from storewire.commerce.parties import acting_seller, parties_only
from storewire.commerce.products.variants import priced_lines, published_variants, quantities_of
from storewire.commerce.wholesale.events import InvitationEvent, WholesaleOrderEvent
from storewire.commerce.wholesale.models import (
    InvitationOut,
    NewInvitation,
    NewWholesaleOrder,
    WholesaleOrderOut,
)
from storewire.commerce.wholesale.tables import (
    WholesaleInvitationRow,
    WholesaleOrderItemRow,
    WholesaleOrderRow,
)
from storewire.errors import Conflict, Forbidden, InvalidPayload, NotFound
from storewire.realtime.ids import new_id
from storewire.realtime.policy import Principal, Role, RoomFacts, can_see
from storewire.storage.tables import utcnow

__all__ = ["WholesaleService", "percent_of", "wholesale_order_facts"]

PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"
AWAITING_DEPOSIT, DEPOSIT_PAID = "awaiting_deposit", "deposit_paid"


def percent_of(amount_cents: int, percent: int) -> int:
    """``amount * percent / 100`` in integer minor units, rounded half up (amounts are never negative)."""
    return (amount_cents * percent + 50) // 100


def wholesale_order_facts(order: WholesaleOrderRow | None) -> RoomFacts:
    """The visibility rule's view of a wholesale order: its seller owns it, its buyer is a member."""
    if order is None:
        return RoomFacts(exists=False)
    return RoomFacts(exists=True, owner_id=order.seller_id, members=frozenset({order.buyer_id}))


def _invitation_event(row: WholesaleInvitationRow) -> InvitationEvent:
    return InvitationEvent(
        invitation_id=row.id,
        seller_id=row.seller_id,
        buyer_id=row.buyer_id,
        status=row.status,
        discount_percent=row.discount_percent,
        deposit_percent=row.deposit_percent,
    )


def _order_event(row: WholesaleOrderRow) -> WholesaleOrderEvent:
    return WholesaleOrderEvent(
        order_id=row.id,
        seller_id=row.seller_id,
        buyer_id=row.buyer_id,
        status=row.status,
        total_cents=row.total_cents,
        deposit_cents=row.deposit_cents,
        currency=row.currency,
    )


class WholesaleService(DomainService):
    """Invitations and wholesale orders; every change publishes its event in the same transaction."""

    # -- invitations --------------------------------------------------------------------------

    async def invite(self, principal: Principal, new: NewInvitation) -> InvitationOut:
        """A seller invites a buyer by email; an invitee without an account yet is told nothing now."""
        if principal.role is not Role.SELLER or principal.user_id is None:
            raise Forbidden("only sellers invite wholesale buyers")
        email = new.email.lower()
        async with self._db.transaction() as session:
            invitee = await session.scalar(select(UserRow).where(UserRow.email == email))
            if invitee is not None and invitee.role != Role.BUYER:
                raise InvalidPayload("only buyers can be invited to buy wholesale")
            open_one = await session.scalar(
                select(WholesaleInvitationRow.id)
                .where(
                    WholesaleInvitationRow.seller_id == principal.user_id,
                    WholesaleInvitationRow.email == email,
                    WholesaleInvitationRow.status.in_((PENDING, ACCEPTED)),
                )
                .limit(1)
            )
            if open_one is not None:
                raise Conflict(
                    "this buyer already has an open invitation from you",
                    code="already_invited",
                    invitation_id=open_one,
                )
            row = WholesaleInvitationRow(
                id=new_id("wsi"),
                seller_id=principal.user_id,
                email=email,
                buyer_id=invitee.id if invitee is not None else None,
                discount_percent=new.discount_percent,
                deposit_percent=new.deposit_percent,
                message=new.message,
                status=PENDING,
            )
            session.add(row)
            await session.flush()
            self._publisher.publish(session, "wholesale:invitation_sent", _invitation_event(row))
            return InvitationOut.of(row)

    async def invitations(self, principal: Principal, limit: int = 100) -> list[InvitationOut]:
        """A seller's (and its staff's) sent invitations; a buyer's received ones; all for admins."""
        query = select(WholesaleInvitationRow).order_by(WholesaleInvitationRow.created_at.desc()).limit(limit)
        async with self._db.reading() as session:
            if principal.role is Role.BUYER:
                email = await self._email_of(session, principal)
                query = query.where(
                    or_(
                        WholesaleInvitationRow.email == email,
                        WholesaleInvitationRow.buyer_id == principal.user_id,
                    )
                )
            elif principal.role in (Role.SELLER, Role.STAFF):
                query = query.where(WholesaleInvitationRow.seller_id == acting_seller(principal))
            elif principal.role is not Role.ADMIN:
                return []
            rows = (await session.scalars(query)).all()
        return [InvitationOut.of(row) for row in rows]

    async def respond(self, principal: Principal, invitation_id: str, *, accept: bool) -> InvitationOut:
        """The invitee accepts or rejects a pending invitation (404 for anyone else)."""
        async with self._db.transaction() as session:
            row = await session.get(
                WholesaleInvitationRow, invitation_id, with_for_update=True, populate_existing=True
            )
            email = await self._email_of(session, principal) if principal.role is Role.BUYER else None
            if row is None or email is None or row.email != email:
                raise NotFound(f"invitation {invitation_id} not found")
            if row.status != PENDING:
                raise Conflict(f"this invitation is already {row.status}", code="invalid_transition")
            row.status = ACCEPTED if accept else REJECTED
            # The invitee may have registered after the invitation was sent: bind it now.
            row.buyer_id = principal.user_id
            await session.flush()
            name = "wholesale:invitation_accepted" if accept else "wholesale:invitation_rejected"
            self._publisher.publish(session, name, _invitation_event(row))
            return InvitationOut.of(row)

    @staticmethod
    async def _email_of(session: AsyncSession, principal: Principal) -> str | None:
        user = await session.get(UserRow, principal.user_id) if principal.user_id else None
        return user.email if user is not None else None

    # -- orders -------------------------------------------------------------------------------

    async def place(self, principal: Principal, new: NewWholesaleOrder) -> WholesaleOrderOut:
        """A buyer with an accepted invitation from the seller orders at that invitation's terms.

        Stock is neither checked nor taken (wholesale fulfilment is out of scope, see the module).
        """
        if principal.role is not Role.BUYER or principal.user_id is None:
            raise Forbidden("only buyers place wholesale orders")
        async with self._db.transaction() as session:
            invitation = await session.scalar(
                select(WholesaleInvitationRow)
                .where(
                    WholesaleInvitationRow.seller_id == new.seller_id,
                    WholesaleInvitationRow.buyer_id == principal.user_id,
                    WholesaleInvitationRow.status == ACCEPTED,
                )
                .order_by(WholesaleInvitationRow.updated_at.desc())
                .limit(1)
            )
            if invitation is None:
                raise Forbidden("you have no accepted wholesale invitation from this seller")
            order = await self._priced_order(session, principal.user_id, invitation, new)
            session.add(order)
            await session.flush()
            self._publisher.publish(session, "wholesale:order_placed", _order_event(order))
            return WholesaleOrderOut.of(order)

    async def _priced_order(
        self,
        session: AsyncSession,
        buyer_id: str,
        invitation: WholesaleInvitationRow,
        new: NewWholesaleOrder,
    ) -> WholesaleOrderRow:
        quantities = quantities_of((line.variant_id, line.quantity) for line in new.items)
        found = await published_variants(session, quantities)
        if any(product.seller_id != new.seller_id for _, product in found.values()):
            raise InvalidPayload("every item of a wholesale order must be the seller's own product")
        currencies = {variant.currency for variant, _ in found.values()}
        if len(currencies) != 1:
            raise InvalidPayload("a wholesale order's items must share one currency")
        lines = priced_lines(quantities, found)
        subtotal = sum(line.total_cents for line in lines)
        discount = percent_of(subtotal, invitation.discount_percent)
        total = subtotal - discount
        return WholesaleOrderRow(
            id=new_id("wso"),
            invitation_id=invitation.id,
            buyer_id=buyer_id,
            seller_id=new.seller_id,
            subtotal_cents=subtotal,
            discount_percent=invitation.discount_percent,
            discount_cents=discount,
            total_cents=total,
            deposit_percent=invitation.deposit_percent,
            deposit_cents=percent_of(total, invitation.deposit_percent),
            currency=currencies.pop(),
            status=AWAITING_DEPOSIT,
            items=[WholesaleOrderItemRow(id=new_id("wsl"), **line.columns()) for line in lines],
        )

    async def pay_deposit(self, principal: Principal, order_id: str) -> WholesaleOrderOut:
        """Mark the deposit paid (the dev/demo payment path): by the buyer or an admin, once."""
        async with self._db.transaction() as session:
            # The row lock makes a second, concurrent call see the first one's result (409).
            order = await session.get(
                WholesaleOrderRow, order_id, with_for_update=True, populate_existing=True
            )
            if order is None or not can_see(principal, wholesale_order_facts(order)):
                raise NotFound(f"wholesale order {order_id} not found")
            if principal.role is not Role.ADMIN and principal.user_id != order.buyer_id:
                raise Forbidden("only the buyer or an admin pays a wholesale deposit")
            if order.status != AWAITING_DEPOSIT:
                raise Conflict("this order's deposit is already paid", code="already_paid")
            order.status = DEPOSIT_PAID
            order.deposit_paid_at = utcnow()
            await session.flush()
            self._publisher.publish(session, "wholesale:deposit_paid", _order_event(order))
            return WholesaleOrderOut.of(order)

    async def get(self, principal: Principal, order_id: str) -> WholesaleOrderOut:
        async with self._db.reading() as session:
            order = await session.get(WholesaleOrderRow, order_id)
        if order is None or not can_see(principal, wholesale_order_facts(order)):
            raise NotFound(f"wholesale order {order_id} not found")
        return WholesaleOrderOut.of(order)

    async def orders(self, principal: Principal, limit: int = 100) -> list[WholesaleOrderOut]:
        """The buyer's own, the seller's (and its staff's) received ones; all for admins."""
        query = select(WholesaleOrderRow).order_by(WholesaleOrderRow.created_at.desc()).limit(limit)
        query = parties_only(query, principal, WholesaleOrderRow.buyer_id, WholesaleOrderRow.seller_id)
        async with self._db.reading() as session:
            rows = (await session.scalars(query)).all()
        return [WholesaleOrderOut.of(row) for row in rows]
