"""Demo data for ``make run``: a seller with products, two buyers, a staff member and an admin."""

from __future__ import annotations

import logging

from storewire.commerce.accounts.service import NewUser, UserOut
from storewire.commerce.products.service import NewProduct, NewVariant, ProductService
from storewire.errors import Conflict
from storewire.node import Node
from storewire.realtime.policy import Principal, Role

__all__ = ["DEMO_USERS", "seed_demo"]

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "storewire-demo"
DEMO_USERS = [
    ("admin@demo.storewire.dev", "Ada Admin", "admin"),
    ("seller@demo.storewire.dev", "Sam's Coffee Roasters", "seller"),
    ("buyer1@demo.storewire.dev", "Bea Buyer", "buyer"),
    ("buyer2@demo.storewire.dev", "Ben Buyer", "buyer"),
]
DEMO_PRODUCTS = [
    NewProduct(
        name="Ethiopia Yirgacheffe",
        description="Floral, citrus, light roast.",
        status="published",
        variants=[
            NewVariant(name="250 g", price_cents=1450, currency="EUR", stock=40, low_stock_threshold=5),
            NewVariant(name="1 kg", price_cents=4900, currency="EUR", stock=12, low_stock_threshold=3),
        ],
    ),
    NewProduct(
        name="Espresso Blend",
        description="Chocolate and hazelnut.",
        status="published",
        variants=[NewVariant(name="500 g", price_cents=1990, currency="EUR", stock=25)],
    ),
    NewProduct(
        name="Holiday Special",
        status="draft",
        variants=[NewVariant(name="250 g", price_cents=1800, currency="EUR", stock=100)],
    ),
]


async def _ensure(node: Node, new: NewUser) -> tuple[UserOut, bool]:
    try:
        return await node.accounts.create_user(new), True
    except Conflict:
        return await node.accounts.get_by_email(new.email), False


async def seed_demo(node: Node) -> list[tuple[UserOut, str]]:
    """Create the demo accounts and products once; print how to sign in. Returns (user, token)."""
    users: list[tuple[UserOut, str]] = []
    seller: UserOut | None = None
    seller_is_new = False
    for email, name, role in DEMO_USERS:
        user, created = await _ensure(
            node, NewUser(email=email, password=DEMO_PASSWORD, name=name, role=role)
        )
        if role == "seller":
            seller, seller_is_new = user, created
        users.append((user, node.accounts.tokens.mint(user.id, user.role)))
    assert seller is not None
    staff, _ = await _ensure(
        node,
        NewUser(
            email="kitchen@demo.storewire.dev",
            password=DEMO_PASSWORD,
            name="Kim Kitchen",
            role="staff",
            seller_id=seller.id,
        ),
    )
    users.append((staff, node.accounts.tokens.mint(staff.id, staff.role)))
    if seller_is_new:
        principal = Principal(user_id=seller.id, role=Role.SELLER, name=seller.name)
        for product in DEMO_PRODUCTS:
            await node.services.get(ProductService).create(principal, product)
    lines = [f"  {user.role.value:<7} {user.email:<30} password: {DEMO_PASSWORD}" for user, _ in users]
    print("storewire demo accounts:\n" + "\n".join(lines), flush=True)
    return users
