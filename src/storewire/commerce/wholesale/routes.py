"""``/wholesale``: invitations (send, list, accept, reject) and wholesale orders (place, deposit, read)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status

from storewire.commerce.web import CurrentPrincipal, service
from storewire.commerce.wholesale.models import (
    InvitationOut,
    NewInvitation,
    NewWholesaleOrder,
    WholesaleOrderOut,
)
from storewire.commerce.wholesale.service import WholesaleService

__all__ = ["router"]

router = APIRouter(prefix="/wholesale", tags=["wholesale"])

Wholesale = Annotated[WholesaleService, service(WholesaleService)]


@router.post("/invitations", status_code=status.HTTP_201_CREATED)
async def send_invitation(
    body: NewInvitation, principal: CurrentPrincipal, wholesale: Wholesale
) -> InvitationOut:
    """A seller invites a buyer (registered or not yet) by email (409 already_invited if one is open)."""
    return await wholesale.invite(principal, body)


@router.get("/invitations")
async def list_invitations(principal: CurrentPrincipal, wholesale: Wholesale) -> list[InvitationOut]:
    """The seller's sent invitations, or the buyer's received ones."""
    return await wholesale.invitations(principal)


@router.post("/invitations/{invitation_id}/accept")
async def accept_invitation(
    invitation_id: str, principal: CurrentPrincipal, wholesale: Wholesale
) -> InvitationOut:
    """The invited buyer accepts a pending invitation (409 invalid_transition otherwise)."""
    return await wholesale.respond(principal, invitation_id, accept=True)


@router.post("/invitations/{invitation_id}/reject")
async def reject_invitation(
    invitation_id: str, principal: CurrentPrincipal, wholesale: Wholesale
) -> InvitationOut:
    """The invited buyer rejects a pending invitation (409 invalid_transition otherwise)."""
    return await wholesale.respond(principal, invitation_id, accept=False)


@router.post("/orders", status_code=status.HTTP_201_CREATED)
async def place_wholesale_order(
    body: NewWholesaleOrder, principal: CurrentPrincipal, wholesale: Wholesale
) -> WholesaleOrderOut:
    """A buyer with an accepted invitation from the seller places a wholesale order (403 otherwise)."""
    return await wholesale.place(principal, body)


@router.get("/orders")
async def list_wholesale_orders(principal: CurrentPrincipal, wholesale: Wholesale) -> list[WholesaleOrderOut]:
    return await wholesale.orders(principal)


@router.get("/orders/{order_id}")
async def get_wholesale_order(
    order_id: str, principal: CurrentPrincipal, wholesale: Wholesale
) -> WholesaleOrderOut:
    return await wholesale.get(principal, order_id)


@router.post("/orders/{order_id}/deposit")
async def pay_deposit(order_id: str, principal: CurrentPrincipal, wholesale: Wholesale) -> WholesaleOrderOut:
    """Mark the deposit paid (dev/demo path; the buyer or an admin; 409 already_paid the second time)."""
    return await wholesale.pay_deposit(principal, order_id)
