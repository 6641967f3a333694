"""Who is a party to a row with a buyer and a seller: the list-query side of the one visibility rule.

``can_see`` (``realtime/policy.py``) answers for one row with its ``RoomFacts``; a list query cannot ask
it row by row, so it narrows the query to the same people: the buyer, the seller and its staff, admins.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, or_
from sqlalchemy.orm import InstrumentedAttribute

from storewire.realtime.policy import Principal, Role

__all__ = ["acting_seller", "parties_only"]

S = TypeVar("S", bound=Select[Any])


def acting_seller(principal: Principal) -> str | None:
    """The seller whose business the principal does: a seller itself, a staff member's employer; else None."""
    if principal.role is Role.SELLER:
        return principal.user_id
    if principal.role is Role.STAFF:
        return principal.seller_id
    return None


def parties_only(
    query: S,
    principal: Principal,
    buyer_id: InstrumentedAttribute[str],
    seller_id: InstrumentedAttribute[str],
) -> S:
    """``query`` narrowed to the rows the principal bought or (as the seller or its staff) sold; all of
    them for admins."""
    if principal.role is Role.ADMIN:
        return query
    conditions = [buyer_id == principal.user_id]
    seller = acting_seller(principal)
    if seller is not None:
        conditions.append(seller_id == seller)
    return query.where(or_(*conditions))
