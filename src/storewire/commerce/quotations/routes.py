"""``/quotations``: draft, edit, send, accept, reject, pay and read quotations."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, status

from storewire.commerce.quotations.models import NewQuotation, QuotationOut, QuotationPatch
from storewire.commerce.quotations.service import QuotationService
from storewire.commerce.web import CurrentPrincipal, service

__all__ = ["router"]

router = APIRouter(prefix="/quotations", tags=["quotations"])

Quotations = Annotated[QuotationService, service(QuotationService)]
Action = Literal["send", "accept", "reject", "pay"]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_quotation(
    body: NewQuotation, principal: CurrentPrincipal, quotations: Quotations
) -> QuotationOut:
    """A seller drafts a quotation for a buyer (the buyer sees nothing of it until it is sent)."""
    return await quotations.create(principal, body)


@router.get("")
async def list_quotations(principal: CurrentPrincipal, quotations: Quotations) -> list[QuotationOut]:
    return await quotations.list(principal)


@router.get("/{quotation_id}")
async def get_quotation(
    quotation_id: str, principal: CurrentPrincipal, quotations: Quotations
) -> QuotationOut:
    return await quotations.get(principal, quotation_id)


@router.patch("/{quotation_id}")
async def update_quotation(
    quotation_id: str, body: QuotationPatch, principal: CurrentPrincipal, quotations: Quotations
) -> QuotationOut:
    """The seller edits a draft (409 invalid_transition once sent)."""
    return await quotations.update(principal, quotation_id, body)


@router.post("/{quotation_id}/{action}")
async def move_quotation(
    quotation_id: str, action: Action, principal: CurrentPrincipal, quotations: Quotations
) -> QuotationOut:
    """``send`` (seller: draft -> sent), ``accept`` / ``reject`` (buyer: sent -> ...), ``pay``
    (buyer: accepted -> paid, the dev/demo payment path). Illegal moves: 409 invalid_transition."""
    return await quotations.transition(principal, quotation_id, action)
