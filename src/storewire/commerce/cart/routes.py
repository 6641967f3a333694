"""``/cart``: read, add, change, remove, clear, and check out the buyer's cart."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from storewire.commerce.cart.models import CartItemPatch, CartOut, CheckoutOut, NewCartItem
from storewire.commerce.cart.service import KEY_PREFIX, CartService
from storewire.commerce.web import CurrentPrincipal, service

__all__ = ["router"]

router = APIRouter(prefix="/cart", tags=["cart"])

Cart = Annotated[CartService, service(CartService)]
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255 - len(KEY_PREFIX))
]


@router.get("")
async def get_cart(principal: CurrentPrincipal, cart: Cart) -> CartOut:
    """The buyer's cart with current prices and stock, and a total per currency."""
    return await cart.get(principal)


@router.post("/items", status_code=status.HTTP_201_CREATED)
async def add_item(body: NewCartItem, principal: CurrentPrincipal, cart: Cart, response: Response) -> CartOut:
    """Add units of a published variant (201); a variant already in the cart gets them added (200)."""
    out, created = await cart.add(principal, body)
    if not created:
        response.status_code = status.HTTP_200_OK
    return out


@router.patch("/items/{item_id}")
async def update_item(item_id: str, body: CartItemPatch, principal: CurrentPrincipal, cart: Cart) -> CartOut:
    """Set a line's quantity."""
    return await cart.update(principal, item_id, body)


@router.delete("/items/{item_id}")
async def remove_item(item_id: str, principal: CurrentPrincipal, cart: Cart) -> CartOut:
    """Remove a line."""
    return await cart.remove(principal, item_id)


@router.delete("")
async def clear_cart(principal: CurrentPrincipal, cart: Cart) -> CartOut:
    """Empty the cart."""
    return await cart.clear(principal)


@router.post("/checkout", status_code=status.HTTP_201_CREATED)
async def checkout(
    principal: CurrentPrincipal,
    cart: Cart,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> CheckoutOut:
    """Order the whole cart: one order per seller (and currency), all or nothing, in one transaction
    (409 insufficient_stock and nothing changes when any line is short); the cart is emptied."""
    result, replayed = await cart.checkout(principal, idempotency_key=idempotency_key)
    if replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return result
