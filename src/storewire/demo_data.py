"""What the demo seeds, as plain data: people, three stores, their products, and some activity.

``demo.py`` turns this into rows through the modules' services. Stock is chosen so that after the
seeded orders some variants sit just above their low-stock threshold (``NEAR_THRESHOLD``): checking
out a demo cart then crosses the threshold live (``product:low_stock``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from storewire.commerce.products.models import NewProduct, NewVariant
from storewire.commerce.store_settings.schemas import (
    Address,
    BrandingSettings,
    Category,
    ContactSettings,
    ShippingRate,
    ShippingSettings,
    StoreStatusSettings,
    ThemeSettings,
    WholesaleSettings,
)

__all__ = [
    "CARTS",
    "DEMO_PASSWORD",
    "INVITATIONS",
    "ORDERS",
    "PRODUCTS",
    "QUOTATIONS",
    "STORES",
    "USERS",
    "DemoInvitation",
    "DemoOrder",
    "DemoQuotation",
    "DemoUser",
    "Line",
]

DEMO_PASSWORD = "storewire-demo"

Line = tuple[str, str, int]
"""(product name, variant name, quantity) in one seller's catalogue."""


@dataclass(frozen=True, slots=True)
class DemoUser:
    key: str  # how the rest of this file names the user
    email: str
    name: str
    role: Literal["buyer", "seller", "staff", "admin"]
    works_for: str | None = None  # staff: the key of its seller


@dataclass(frozen=True, slots=True)
class DemoOrder:
    """A retail order and where it ends up: paid or not, moved to ``status``, or cancelled by its buyer."""

    buyer: str
    seller: str
    items: tuple[Line, ...]
    paid: bool = False  # through the payments module's dev path (a signed Stripe webhook)
    status: str = "pending"  # moved there by the seller's staff if it has some, else the seller
    tracking: tuple[str, str] | None = None  # (tracking number, carrier) when shipped
    cancel_reason: str | None = None  # the buyer cancels it, with this reason


@dataclass(frozen=True, slots=True)
class DemoInvitation:
    """A wholesale invitation the buyer accepts, then a wholesale order at its terms."""

    seller: str
    buyer: str
    discount_percent: int
    deposit_percent: int
    message: str
    order: tuple[Line, ...]


@dataclass(frozen=True, slots=True)
class DemoQuotation:
    """A quotation the seller drafts and sends to the buyer."""

    seller: str
    buyer: str
    title: str
    lines: tuple[tuple[str, int, int], ...]  # (description, quantity, unit price in cents)
    notes: str
    valid_days: int = 30


USERS = (
    DemoUser("admin", "admin@demo.storewire.dev", "Ada Admin", "admin"),
    DemoUser("roaster", "seller@demo.storewire.dev", "Sam's Coffee Roasters", "seller"),
    DemoUser("bakery", "bakery@demo.storewire.dev", "Bianca's Bakery & Bistro", "seller"),
    DemoUser("supply", "wholesale@demo.storewire.dev", "Northwind Cafe Supply", "seller"),
    DemoUser("kitchen", "kitchen@demo.storewire.dev", "Kim Kitchen", "staff", works_for="bakery"),
    DemoUser("bea", "buyer1@demo.storewire.dev", "Bea Buyer", "buyer"),
    DemoUser("ben", "buyer2@demo.storewire.dev", "Ben Buyer", "buyer"),
    DemoUser("cleo", "buyer3@demo.storewire.dev", "Cleo's Corner Cafe", "buyer"),
)


def _store(
    name: str, tagline: str, email: str, phone: str, city: str, postal_code: str, color: str
) -> dict[Category, BaseModel]:
    return {
        Category.BRANDING: BrandingSettings(store_name=name, tagline=tagline),
        Category.CONTACT: ContactSettings(
            email=email,
            phone=phone,
            address=Address(line1="1 Market Street", city=city, postal_code=postal_code, country="DE"),
        ),
        Category.STORE_STATUS: StoreStatusSettings(status="open", message="Open: orders ship daily"),
        Category.SHIPPING: ShippingSettings(
            currency="EUR",
            processing_days=1,
            rates=[
                ShippingRate(name="Standard", countries=["DE"], rate_cents=490, free_over_cents=4900),
                ShippingRate(name="EU", countries=["AT", "FR", "NL"], rate_cents=1290),
            ],
        ),
        Category.THEME: ThemeSettings(primary_color=color),
    }


STORES: dict[str, dict[Category, BaseModel]] = {
    "roaster": _store(
        "Sam's Coffee Roasters",
        "Small-batch beans, roasted on Mondays",
        "hello@sams-coffee.example",
        "+49 30 1234567",
        "Berlin",
        "10115",
        "#4b2e19",
    ),
    "bakery": _store(
        "Bianca's Bakery & Bistro",
        "Sourdough at dawn, brunch till two",
        "orders@biancas-bakery.example",
        "+49 40 7654321",
        "Hamburg",
        "20095",
        "#b45309",
    ),
    "supply": {
        **_store(
            "Northwind Cafe Supply",
            "Everything a cafe runs on, by the case",
            "trade@northwind-supply.example",
            "+49 89 5550100",
            "Munich",
            "80331",
            "#1e3a8a",
        ),
        Category.WHOLESALE: WholesaleSettings(
            enabled=True, minimum_order_cents=20000, deposit_percent=30, invitation_only=True
        ),
    },
}


def _variant(name: str, price_cents: int, stock: int, threshold: int) -> NewVariant:
    return NewVariant(
        name=name, price_cents=price_cents, currency="EUR", stock=stock, low_stock_threshold=threshold
    )


def _product(name: str, description: str, *variants: NewVariant, draft: bool = False) -> NewProduct:
    status: Literal["draft", "published"] = "draft" if draft else "published"
    return NewProduct(name=name, description=description, status=status, variants=list(variants))


# Variants marked "near" start 1-3 units above their threshold and no seeded order takes from them.
PRODUCTS: dict[str, tuple[NewProduct, ...]] = {
    "roaster": (
        _product(
            "Ethiopia Yirgacheffe",
            "Floral, citrus, light roast.",
            _variant("250 g", 1450, 40, 5),
            _variant("1 kg", 4900, 12, 3),
        ),
        _product(
            "Espresso Blend",
            "Chocolate and hazelnut, for milk drinks.",
            _variant("500 g", 1990, 25, 10),
            _variant("1 kg", 3690, 13, 10),  # near
        ),
        _product("Colombia Huila Decaf", "Sugar-cane decaf, caramel.", _variant("250 g", 1350, 7, 5)),  # near
        _product("Holiday Special", "Spiced winter blend.", _variant("250 g", 1800, 100, 10), draft=True),
    ),
    "bakery": (
        _product(
            "Sourdough Loaf",
            "48-hour rye and wheat sourdough.",
            _variant("Whole", 650, 30, 6),
            _variant("Half", 350, 20, 6),
        ),
        _product(
            "Butter Croissant",
            "Laminated with French butter.",
            _variant("Single", 280, 60, 12),
            _variant("Box of 6", 1500, 8, 6),  # near
        ),
        _product("Seasonal Fruit Tart", "Whatever the market had.", _variant("6 inch", 2400, 4, 3)),  # near
        _product("Weekend Brunch Box", "Coming soon.", _variant("For two", 3900, 20, 5), draft=True),
    ),
    "supply": (
        _product(
            "Paper Cups 12 oz",
            "Compostable, case of 1000.",
            _variant("White", 8900, 60, 15),
            _variant("Kraft", 9400, 40, 15),
        ),
        _product("Oat Milk Barista 1 L", "Case of 12.", _variant("Case", 2880, 22, 20)),  # near
        _product("Compostable Lids", "Fits 8-16 oz cups, case of 1000.", _variant("Case", 4200, 40, 10)),
        _product("Branded Napkins", "Your logo, 5000 per case.", _variant("Case", 6500, 0, 5), draft=True),
    ),
}

# Grouped by buyer: a buyer who has any order already is not seeded again (see ``demo.py``).
ORDERS = (
    DemoOrder("bea", "roaster", (("Ethiopia Yirgacheffe", "250 g", 2),)),
    DemoOrder(
        "bea",
        "bakery",
        (("Sourdough Loaf", "Whole", 2), ("Butter Croissant", "Single", 6)),
        status="preparing",
    ),
    DemoOrder(
        "ben",
        "roaster",
        (("Espresso Blend", "500 g", 1), ("Ethiopia Yirgacheffe", "1 kg", 1)),
        status="confirmed",
    ),
    DemoOrder("ben", "bakery", (("Sourdough Loaf", "Half", 2),), cancel_reason="Ordered the wrong size"),
    DemoOrder(
        "cleo",
        "roaster",
        (("Espresso Blend", "500 g", 4),),
        paid=True,
        status="shipped",
        tracking=("00340434161234567890", "DHL"),
    ),
    DemoOrder("cleo", "supply", (("Paper Cups 12 oz", "Kraft", 2),), paid=True, status="delivered"),
)

# Each buyer's cart: (seller, product, variant, quantity). Checking out Bea's or Cleo's cart crosses
# a low-stock threshold.
CARTS: dict[str, tuple[tuple[str, str, str, int], ...]] = {
    "bea": (
        ("roaster", "Colombia Huila Decaf", "250 g", 2),
        ("bakery", "Seasonal Fruit Tart", "6 inch", 1),
    ),
    "ben": (("roaster", "Espresso Blend", "1 kg", 1), ("bakery", "Butter Croissant", "Box of 6", 1)),
    "cleo": (("supply", "Oat Milk Barista 1 L", "Case", 3),),
}

INVITATIONS = (
    DemoInvitation(
        "supply",
        "cleo",
        discount_percent=15,
        deposit_percent=30,
        message="Welcome to trade pricing, Cleo: 15% off list, 30% deposit.",
        order=(("Paper Cups 12 oz", "White", 10), ("Compostable Lids", "Case", 10)),
    ),
)

QUOTATIONS = (
    DemoQuotation(
        "bakery",
        "cleo",
        "Weekly pastry supply for Cleo's Corner Cafe",
        (("Butter croissants, delivered by 7:00", 120, 240), ("Sourdough loaves, whole", 20, 600)),
        "Delivered Monday to Saturday; prices hold for a 3-month commitment.",
    ),
)
