"""Demo data for ``storewire demo`` and ``storewire serve --demo`` (``make run``).

Everything goes through the modules' services as a real principal would, so stock, events (the
outbox) and analytics stay consistent; nothing is written to a table directly. Seeding is idempotent:
each piece is added only when it is missing (a user by email, a store setting still at its defaults,
a product by name, a buyer's orders and cart when that buyer has no order yet, an invitation by
email, a quotation by title), so running it again adds nothing and never undoes what people changed.
A piece that no longer fits (a variant sold out meanwhile, a product renamed) is skipped with a
warning: the demo is never a reason for the server not to start.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TypeVar

from storewire.commerce.accounts.service import NewUser, UserOut
from storewire.commerce.cart.models import NewCartItem
from storewire.commerce.cart.service import CartService
from storewire.commerce.orders.flow import PaymentOutcome
from storewire.commerce.orders.models import (
    Cancellation,
    FulfillmentUpdate,
    NewOrder,
    OrderLine,
    StatusChange,
)
from storewire.commerce.orders.service import OrderOut, OrderService
from storewire.commerce.payments.service import PaymentService
from storewire.commerce.products.service import ProductService
from storewire.commerce.quotations.models import NewQuotation, QuotationLine
from storewire.commerce.quotations.service import QuotationService
from storewire.commerce.store_settings.schemas import SCHEMAS
from storewire.commerce.store_settings.service import StoreSettingsService
from storewire.commerce.wholesale.models import NewInvitation, NewWholesaleOrder, WholesaleLine
from storewire.commerce.wholesale.service import WholesaleService
from storewire.demo_data import (
    CARTS,
    DEMO_PASSWORD,
    INVITATIONS,
    ORDERS,
    PRODUCTS,
    QUOTATIONS,
    STORES,
    USERS,
    DemoOrder,
    Line,
)
from storewire.errors import NotFound, StorewireError
from storewire.node import Node
from storewire.realtime.policy import Principal, Role

__all__ = ["DEMO_PASSWORD", "DemoReport", "seed_demo"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


class _Skip(Exception):
    """A demo piece that cannot be seeded in this database (logged, then the rest goes on)."""


@dataclass
class DemoReport:
    """What the demo holds after seeding, and how much of it this run added."""

    users: list[UserOut]
    added: Counter[str] = field(default_factory=Counter)
    totals: dict[str, int] = field(default_factory=dict)
    order_statuses: Counter[str] = field(default_factory=Counter)

    def render(self) -> str:
        """The accounts with their password, then one line of what the demo holds."""
        lines = [f"  {user.role.value:<7} {user.email:<32} password: {DEMO_PASSWORD}" for user in self.users]
        statuses = ", ".join(f"{count} {status}" for status, count in sorted(self.order_statuses.items()))
        holds = ", ".join(_count(count, what) for what, count in self.totals.items())
        added = ", ".join(_count(count, what) for what, count in self.added.items() if count)
        summary = f"demo data: {holds} (orders: {statuses or 'none'}); " + (
            f"added now: {added}" if added else "already seeded, nothing added"
        )
        return "storewire demo accounts:\n" + "\n".join(lines) + "\n" + summary


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _principal(user: UserOut) -> Principal:
    seller_id = user.seller_id if user.role is Role.STAFF else None
    return Principal(user_id=user.id, role=user.role, name=user.name, seller_id=seller_id)


class _Seeder:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.users: dict[str, UserOut] = {}
        self.catalogue: dict[str, dict[tuple[str, str], str]] = {}  # seller key -> (product, variant) -> id
        self.report = DemoReport(users=[])

    def who(self, key: str) -> Principal:
        return _principal(self.users[key])

    async def attempt(self, what: str, make: Callable[[], Awaitable[T]]) -> T | None:
        """Run one piece of seeding; a piece that does not fit this database is skipped, logged."""
        try:
            return await make()
        except (StorewireError, _Skip) as exc:
            logger.warning("demo: skipped %s: %s", what, exc)
            return None

    # -- people and stores ---------------------------------------------------------------------

    async def seed_users(self) -> None:
        accounts = self.node.accounts
        for demo in USERS:
            try:
                user = await accounts.get_by_email(demo.email)  # before hashing a password for nothing
            except NotFound:
                seller_id = self.users[demo.works_for].id if demo.works_for else None
                new = NewUser(
                    email=demo.email,
                    password=DEMO_PASSWORD,
                    name=demo.name,
                    role=demo.role,
                    seller_id=seller_id,
                )
                user = await accounts.create_user(new)
                self.report.added["user"] += 1
            self.users[demo.key] = user
            self.report.users.append(user)

    async def seed_store(self, seller: str) -> None:
        """Set each demo category the seller still has at its defaults (a changed one is kept)."""
        service = self.node.services.get(StoreSettingsService)
        current = await service.get_all(self.who(seller))
        for category, values in STORES[seller].items():
            if getattr(current, category.value) == SCHEMAS[category]():
                await service.put(self.who(seller), category, values)
                self.report.added["store setting"] += 1

    async def seed_products(self, seller: str) -> None:
        service = self.node.services.get(ProductService)
        principal = self.who(seller)
        existing = {
            product.name for product in await service.list_for_seller(principal, principal.user_id or "")
        }
        for product in PRODUCTS[seller]:
            if product.name not in existing:
                await service.create(principal, product)
                self.report.added["product"] += 1
        mine = await service.list_for_seller(principal, principal.user_id or "")
        self.catalogue[seller] = {
            (product.name, variant.name): variant.id for product in mine for variant in product.variants
        }

    def variant(self, seller: str, product: str, variant: str) -> str:
        found = self.catalogue.get(seller, {}).get((product, variant))
        if found is None:
            raise _Skip(f"{seller} has no variant {product} / {variant}")
        return found

    # -- activity ------------------------------------------------------------------------------

    async def seed_buyer(self, buyer: str) -> None:
        """The buyer's orders (each moved to its state), then its cart if empty; once per buyer."""
        orders = self.node.services.get(OrderService)
        if await orders.list(self.who(buyer), limit=1):
            return  # seeded before (or the buyer has been shopping): leave the buyer alone
        for demo in ORDERS:
            if demo.buyer == buyer:
                await self.attempt(f"an order of {buyer} from {demo.seller}", partial(self.order, demo))
        if (await self.node.services.get(CartService).get(self.who(buyer))).items:
            return  # adding again would grow the lines the cart already has
        for seller, product, variant, quantity in CARTS.get(buyer, ()):
            what = f"{product} ({variant}) in {buyer}'s cart"
            await self.attempt(what, partial(self.add_to_cart, buyer, (product, variant, quantity), seller))

    async def add_to_cart(self, buyer: str, line: Line, seller: str) -> None:
        item = NewCartItem(variant_id=self.variant(seller, line[0], line[1]), quantity=line[2])
        await self.node.services.get(CartService).add(self.who(buyer), item)
        self.report.added["cart line"] += 1

    def mover(self, seller: str) -> Principal:
        """The seller's kitchen (its staff) moves its orders along when it has staff; else the seller."""
        seller_id = self.users[seller].id
        for user in self.users.values():
            if user.role is Role.STAFF and user.seller_id == seller_id:
                return _principal(user)
        return self.who(seller)

    async def order(self, demo: DemoOrder) -> OrderOut:
        orders = self.node.services.get(OrderService)
        lines = [
            OrderLine(variant_id=self.variant(demo.seller, *line[:2]), quantity=line[2])
            for line in demo.items
        ]
        order, _ = await orders.place(self.who(demo.buyer), NewOrder(items=lines))
        self.report.added["order"] += 1
        if demo.paid:
            # The payments module's dev path: a correctly signed Stripe webhook, applied in-process.
            payments = self.node.services.get(PaymentService)
            paid = await payments.dev_payment(self.who(demo.buyer), order.id, PaymentOutcome.SUCCEEDED)
            order = paid.order
        if demo.cancel_reason is not None:
            return await orders.cancel(
                self.who(demo.buyer), order.id, Cancellation(reason=demo.cancel_reason)
            )
        if demo.status != "pending":
            tracking = demo.tracking[0] if demo.tracking else None
            change = StatusChange.model_validate({"status": demo.status, "tracking_number": tracking})
            order = await orders.change_status(self.mover(demo.seller), order.id, change)
        if demo.tracking is not None:
            number, carrier = demo.tracking
            update = FulfillmentUpdate(tracking_number=number, carrier=carrier)
            order = await orders.update_fulfillment(self.mover(demo.seller), order.id, update)
        return order

    def _lines(self, seller: str, items: Iterable[Line]) -> list[WholesaleLine]:
        return [WholesaleLine(variant_id=self.variant(seller, p, v), quantity=q) for p, v, q in items]

    async def seed_wholesale(self) -> None:
        wholesale = self.node.services.get(WholesaleService)
        for demo in INVITATIONS:
            seller, buyer = self.who(demo.seller), self.who(demo.buyer)
            email = self.users[demo.buyer].email
            if any(sent.email == email for sent in await wholesale.invitations(seller)):
                continue
            terms = NewInvitation(
                email=email,
                discount_percent=demo.discount_percent,
                deposit_percent=demo.deposit_percent,
                message=demo.message,
            )
            invitation = await wholesale.invite(seller, terms)
            await wholesale.respond(buyer, invitation.id, accept=True)
            self.report.added["wholesale invitation"] += 1
            order = NewWholesaleOrder(
                seller_id=self.users[demo.seller].id, items=self._lines(demo.seller, demo.order)
            )
            await wholesale.place(buyer, order)
            self.report.added["wholesale order"] += 1

    async def seed_quotations(self) -> None:
        quotations = self.node.services.get(QuotationService)
        for demo in QUOTATIONS:
            seller = self.who(demo.seller)
            if any(quote.title == demo.title for quote in await quotations.list(seller)):
                continue
            new = NewQuotation(
                buyer_id=self.users[demo.buyer].id,
                title=demo.title,
                items=[
                    QuotationLine(description=d, quantity=q, unit_price_cents=p) for d, q, p in demo.lines
                ],
                currency="EUR",
                valid_until=(datetime.now(UTC) + timedelta(days=demo.valid_days)).date(),
                notes=demo.notes,
            )
            draft = await quotations.create(seller, new)
            await quotations.transition(seller, draft.id, "send")
            self.report.added["quotation"] += 1

    # -- what the demo holds ---------------------------------------------------------------------

    async def count(self) -> None:
        """The demo's stores, products, carts, orders, invitations and quotations as they are now."""
        sellers = [key for key in STORES if key in self.catalogue]
        buyers = [demo.key for demo in USERS if demo.role == "buyer"]
        cart = self.node.services.get(CartService)
        orders = self.node.services.get(OrderService)
        wholesale = self.node.services.get(WholesaleService)
        quotations = self.node.services.get(QuotationService)
        totals = self.report.totals
        totals["store"] = len(sellers)
        totals["product"] = sum(len({name for name, _ in self.catalogue[key]}) for key in sellers)
        totals["cart"] = 0
        for buyer in buyers:
            totals["cart"] += bool((await cart.get(self.who(buyer))).items)
            for order in await orders.list(self.who(buyer)):
                self.report.order_statuses[order.status] += 1
        totals["order"] = sum(self.report.order_statuses.values())
        totals["wholesale invitation"] = 0
        totals["quotation"] = 0
        for key in sellers:
            totals["wholesale invitation"] += len(await wholesale.invitations(self.who(key)))
            totals["quotation"] += len(await quotations.list(self.who(key)))


async def seed_demo(node: Node, *, announce: bool = True) -> DemoReport:
    """Seed whatever of the demo is missing (see the module docstring); print the accounts and a
    one-line summary unless ``announce`` is false. Needs migrated tables, not a running relay: events
    written meanwhile wait in the outbox for the next server to relay them."""
    seeder = _Seeder(node)
    await seeder.seed_users()
    for seller in STORES:
        await seeder.attempt(f"the store settings of {seller}", partial(seeder.seed_store, seller))
        await seeder.attempt(f"the products of {seller}", partial(seeder.seed_products, seller))
    for demo in USERS:
        if demo.role == "buyer":
            await seeder.attempt(f"the orders of {demo.key}", partial(seeder.seed_buyer, demo.key))
    await seeder.attempt("the wholesale invitations", seeder.seed_wholesale)
    await seeder.attempt("the quotations", seeder.seed_quotations)
    await seeder.attempt("counting the demo data", seeder.count)
    if announce:
        print(seeder.report.render(), flush=True)
    return seeder.report
