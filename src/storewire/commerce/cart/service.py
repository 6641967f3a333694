"""The cart: a buyer's lines, their events, checkout into one order per seller, and stock/price warnings.

Checkout is all-or-nothing in one transaction: the cart is emptied and every seller's order reserves
its units through the orders module's service; if any line is short (``409 insufficient_stock``) the
transaction rolls back and the cart is as it was. The cart also listens to the products module's
signals, inside the transaction that changed stock or a price, to warn the buyers whose carts hold
that variant.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storewire.commerce.cart.events import (
    CartAction,
    CartLine,
    CartPriceChanged,
    CartUpdated,
    InventoryWarning,
    summarize,
    totals_of,
)
from storewire.commerce.cart.models import (
    MAX_QUANTITY,
    CartItemOut,
    CartItemPatch,
    CartOut,
    CheckoutOut,
    NewCartItem,
)
from storewire.commerce.cart.tables import CartItemRow
from storewire.commerce.module import ModuleContext
from storewire.commerce.orders.models import NewOrder, OrderLine, OrderOut
from storewire.commerce.orders.service import OrderService
from storewire.commerce.orders.tables import IdempotencyKeyRow
from storewire.commerce.products.events import PriceChanged
from storewire.commerce.products.service import PRICE_CHANGED
from storewire.commerce.products.stock import STOCK_CHANGED, StockChange
from storewire.commerce.products.tables import ProductRow, VariantRow
from storewire.commerce.products.variants import item_name, published_variants
from storewire.delivery.publisher import Publisher
from storewire.errors import Conflict, Forbidden, InvalidPayload, NotFound
from storewire.realtime.ids import new_id
from storewire.realtime.policy import Principal, Role
from storewire.storage.database import Database

__all__ = ["KEY_PREFIX", "MAX_LINES", "CartService"]

MAX_LINES = 100  # distinct variants per cart (an order takes at most 100 lines)
KEY_PREFIX = "cart-checkout:"  # checkout keys share the orders' idempotency table, in their own space
CHECKOUT_HASH = hashlib.sha256(b"POST /cart/checkout").hexdigest()  # the request has no body

Line = tuple[CartItemRow, VariantRow, ProductRow]


def _buyer(principal: Principal) -> str:
    if principal.role is not Role.BUYER or principal.user_id is None:
        raise Forbidden("only buyers have carts")
    return principal.user_id


def _line(item: CartItemRow, variant: VariantRow, product: ProductRow) -> CartLine:
    return CartLine(
        variant_id=variant.id,
        product_id=product.id,
        quantity=item.quantity,
        unit_price_cents=variant.price_cents,
        currency=variant.currency,
    )


def _item_out(item: CartItemRow, variant: VariantRow, product: ProductRow) -> CartItemOut:
    return CartItemOut(
        id=item.id,
        variant_id=variant.id,
        product_id=product.id,
        seller_id=product.seller_id,
        name=item_name(variant, product),
        quantity=item.quantity,
        unit_price_cents=variant.price_cents,
        currency=variant.currency,
        available=variant.stock,
        purchasable=product.status == "published",
    )


def _cart_out(lines: list[Line]) -> CartOut:
    return CartOut(
        items=[_item_out(*line) for line in lines],
        totals=totals_of([_line(*line) for line in lines]),
    )


async def _lines(session: AsyncSession, buyer_id: str, *, lock: bool = False) -> list[Line]:
    """The buyer's cart lines with their variants and products, oldest line first."""
    query = (
        select(CartItemRow, VariantRow, ProductRow)
        .join(VariantRow, CartItemRow.variant_id == VariantRow.id)
        .join(ProductRow, VariantRow.product_id == ProductRow.id)
        .where(CartItemRow.buyer_id == buyer_id)
        .order_by(CartItemRow.created_at, CartItemRow.id)
    )
    if lock:
        # PostgreSQL: a concurrent checkout of the same cart waits here, then finds it empty.
        query = query.with_for_update(of=CartItemRow)
    rows = (await session.execute(query)).all()
    return [(item, variant, product) for item, variant, product in rows]


class CartService:
    def __init__(self, db: Database, publisher: Publisher, orders: OrderService) -> None:
        self._db = db
        self._publisher = publisher
        self._orders = orders

    @classmethod
    def build(cls, context: ModuleContext) -> CartService:
        cart = cls(context.db, context.publisher, context.services.get(OrderService))
        context.signals.connect(STOCK_CHANGED, cart._stock_changed)
        context.signals.connect(PRICE_CHANGED, cart._price_changed)
        return cart

    async def get(self, principal: Principal) -> CartOut:
        buyer_id = _buyer(principal)
        async with self._db.reading() as session:
            return _cart_out(await _lines(session, buyer_id))

    async def add(self, principal: Principal, new: NewCartItem) -> tuple[CartOut, bool]:
        """Add units of a published variant; a variant already in the cart gets them added.

        Returns (cart, created): ``created`` is false when an existing line grew.
        """
        buyer_id = _buyer(principal)
        for attempt in range(2):
            try:
                return await self._add(buyer_id, new)
            except IntegrityError:
                # PostgreSQL: a concurrent add inserted this variant's line first; now it grows.
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _add(self, buyer_id: str, new: NewCartItem) -> tuple[CartOut, bool]:
        async with self._db.transaction() as session:
            await published_variants(session, [new.variant_id])  # or 404
            item = await session.scalar(
                select(CartItemRow)
                .where(CartItemRow.buyer_id == buyer_id, CartItemRow.variant_id == new.variant_id)
                .with_for_update()
            )
            created = item is None
            if item is None:
                count = await session.scalar(
                    select(func.count()).select_from(CartItemRow).where(CartItemRow.buyer_id == buyer_id)
                )
                if (count or 0) >= MAX_LINES:
                    raise Conflict(f"a cart holds at most {MAX_LINES} variants", code="cart_full")
                item = CartItemRow(
                    id=new_id("cit"), buyer_id=buyer_id, variant_id=new.variant_id, quantity=new.quantity
                )
                session.add(item)
            else:
                if item.quantity + new.quantity > MAX_QUANTITY:
                    raise InvalidPayload(f"a cart line holds at most {MAX_QUANTITY} units")
                item.quantity += new.quantity
            await session.flush()
            return await self._changed(session, buyer_id, "added", new.variant_id), created

    async def update(self, principal: Principal, item_id: str, patch: CartItemPatch) -> CartOut:
        """Set a line's quantity (the same quantity again changes nothing and publishes nothing)."""
        buyer_id = _buyer(principal)
        async with self._db.transaction() as session:
            item = await self._own_item(session, buyer_id, item_id)
            if item.quantity == patch.quantity:
                return _cart_out(await _lines(session, buyer_id))
            item.quantity = patch.quantity
            await session.flush()
            return await self._changed(session, buyer_id, "updated", item.variant_id)

    async def remove(self, principal: Principal, item_id: str) -> CartOut:
        """Remove a line."""
        buyer_id = _buyer(principal)
        async with self._db.transaction() as session:
            item = await self._own_item(session, buyer_id, item_id)
            await session.delete(item)
            await session.flush()
            return await self._changed(session, buyer_id, "removed", item.variant_id)

    async def clear(self, principal: Principal) -> CartOut:
        """Empty the cart (an empty cart stays empty, and nothing is published)."""
        buyer_id = _buyer(principal)
        async with self._db.transaction() as session:
            if await self._empty(session, buyer_id):
                self._publish_updated(session, buyer_id, "cleared", None, [])
        return CartOut(items=[], totals=[])

    async def checkout(
        self, principal: Principal, *, idempotency_key: str | None = None
    ) -> tuple[CheckoutOut, bool]:
        """Order the whole cart, one order per seller and currency, all or nothing.

        Returns (result, replayed): a key seen before returns its first result.
        """
        buyer_id = _buyer(principal)
        key = None if idempotency_key is None else KEY_PREFIX + idempotency_key
        if key is not None:
            replay = await self._replay(buyer_id, key)
            if replay is not None:
                return replay, True
        try:
            async with self._db.transaction() as session:
                record = None
                if key is not None:
                    stored = await session.get(IdempotencyKeyRow, (buyer_id, key))
                    if stored is not None:  # committed while this request waited for the write lock
                        return CheckoutOut.model_validate(stored.response), True
                    # Claimed first: on PostgreSQL a concurrent request with this key waits on it.
                    record = IdempotencyKeyRow(
                        user_id=buyer_id, key=key, request_hash=CHECKOUT_HASH, response={}
                    )
                    session.add(record)
                    await session.flush()
                result = await self._place_orders(session, buyer_id)
                if record is not None:
                    record.response = result.model_dump(mode="json")
                    await session.flush()
        except IntegrityError:
            # Another request with the same key committed first: answer with its result.
            if key is not None:
                replay = await self._replay(buyer_id, key)
                if replay is not None:
                    return replay, True
            raise
        return result, False

    async def _place_orders(self, session: AsyncSession, buyer_id: str) -> CheckoutOut:
        lines = await _lines(session, buyer_id, lock=True)
        if not lines:
            raise Conflict("the cart is empty", code="cart_empty")
        for _, variant, product in lines:
            if product.status != "published":
                raise Conflict(
                    f"variant {variant.id} can no longer be ordered",
                    code="item_unavailable",
                    variant_id=variant.id,
                )
        groups: dict[tuple[str, str], list[OrderLine]] = {}
        for item, variant, product in lines:
            order_line = OrderLine(variant_id=variant.id, quantity=item.quantity)
            groups.setdefault((product.seller_id, variant.currency), []).append(order_line)
        # Emptied first, so the stock signals of these orders find no line of this cart to warn about.
        await self._empty(session, buyer_id)
        # Groups in (seller, currency) order and each order's variants in id order: every checkout
        # takes its row locks in one global order, so concurrent checkouts cannot deadlock (PostgreSQL).
        orders = [
            await self._orders.create_in(session, buyer_id, NewOrder(items=group))
            for _, group in sorted(groups.items())
        ]
        self._publish_updated(session, buyer_id, "cleared", None, [])
        return CheckoutOut(orders=[OrderOut.of(order) for order in orders])

    async def _replay(self, buyer_id: str, key: str) -> CheckoutOut | None:
        async with self._db.reading() as session:
            stored = await session.get(IdempotencyKeyRow, (buyer_id, key))
        if stored is None:
            return None
        if stored.request_hash != CHECKOUT_HASH:  # not written by this module: cannot happen
            raise Conflict("this Idempotency-Key was used for another request", code="idempotency_conflict")
        return CheckoutOut.model_validate(stored.response)

    @staticmethod
    async def _own_item(session: AsyncSession, buyer_id: str, item_id: str) -> CartItemRow:
        item = await session.get(CartItemRow, item_id, with_for_update=True, populate_existing=True)
        if item is None or item.buyer_id != buyer_id:
            raise NotFound(f"cart item {item_id} not found")
        return item

    @staticmethod
    async def _empty(session: AsyncSession, buyer_id: str) -> bool:
        """Delete every line of the cart; true if there were any."""
        deleted = await session.scalars(
            delete(CartItemRow)
            .where(CartItemRow.buyer_id == buyer_id)
            .returning(CartItemRow.id)
            .execution_options(synchronize_session=False)
        )
        return bool(deleted.all())

    async def _changed(
        self, session: AsyncSession, buyer_id: str, action: CartAction, variant_id: str
    ) -> CartOut:
        lines = await _lines(session, buyer_id)
        self._publish_updated(session, buyer_id, action, variant_id, [_line(*line) for line in lines])
        return _cart_out(lines)

    def _publish_updated(
        self,
        session: AsyncSession,
        buyer_id: str,
        action: CartAction,
        variant_id: str | None,
        lines: list[CartLine],
    ) -> None:
        summary = summarize(lines, first=variant_id)
        event = CartUpdated(owner_id=buyer_id, action=action, variant_id=variant_id, cart=summary)
        self._publisher.publish(session, "cart:updated", event)

    async def _stock_changed(self, session: AsyncSession, change: StockChange) -> None:
        """Warn every cart holding more units of this variant than it has left (one indexed query)."""
        if change.after >= change.before or not change.published:
            return
        short = await session.execute(
            select(CartItemRow.buyer_id, CartItemRow.quantity).where(
                CartItemRow.variant_id == change.variant_id, CartItemRow.quantity > change.after
            )
        )
        for buyer_id, quantity in short.all():
            warning = InventoryWarning(
                owner_id=buyer_id,
                product_id=change.product_id,
                variant_id=change.variant_id,
                requested=quantity,
                available=change.after,
            )
            self._publisher.publish(session, "cart:inventory_warning", warning)

    async def _price_changed(self, session: AsyncSession, change: PriceChanged) -> None:
        """Tell every cart holding this variant its new price (one indexed query)."""
        if not change.published:
            return  # a draft's price is its seller's business
        owners = await session.scalars(
            select(CartItemRow.buyer_id).where(CartItemRow.variant_id == change.variant_id)
        )
        for buyer_id in owners.all():
            event = CartPriceChanged(
                owner_id=buyer_id,
                product_id=change.product_id,
                variant_id=change.variant_id,
                old_price_cents=change.old_price_cents,
                new_price_cents=change.new_price_cents,
                currency=change.currency,
            )
            self._publisher.publish(session, "cart:price_changed", event)
