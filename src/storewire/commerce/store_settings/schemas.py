"""The twelve settings categories: one typed schema each, and which ones the storefront shows.

Every schema forbids unknown fields (422 ``invalid_payload``) and gives every field a default, so a
category the seller never set reads as its defaults. A ``PUT`` replaces a category's values as a whole.

Secret fields (see ``masking.py``) are plain strings without a pattern: their masked form
``"••••abcd"`` must validate too, because GET responses and events carry it in these same models.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

__all__ = [
    "PUBLIC_CATEGORIES",
    "SCHEMAS",
    "Address",
    "AnalyticsSettings",
    "BrandingSettings",
    "Category",
    "ContactSettings",
    "DomainSettings",
    "PaymentSettings",
    "ShippingRate",
    "ShippingSettings",
    "StoreStatusSettings",
    "SubscriptionSettings",
    "TaxSettings",
    "ThemeSettings",
    "WarehouseSettings",
    "WholesaleSettings",
]


class Category(StrEnum):
    BRANDING = "branding"
    CONTACT = "contact"
    STORE_STATUS = "store_status"
    WAREHOUSE = "warehouse"
    PAYMENT = "payment"
    TAX = "tax"
    SHIPPING = "shipping"
    DOMAIN = "domain"
    WHOLESALE = "wholesale"
    SUBSCRIPTION = "subscription"
    ANALYTICS = "analytics"
    THEME = "theme"


Url = Annotated[str, Field(max_length=2048, pattern=r"^https?://\S+$")]
Secret = Annotated[str, Field(max_length=512)]
Money = Annotated[int, Field(ge=0, le=100_000_000_00)]  # minor units
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]  # ISO 3166-1 alpha-2
Color = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]
Text = Annotated[str, Field(max_length=200)]
Hostname = Annotated[str, Field(max_length=253, pattern=r"^([a-z0-9-]{1,63}\.)+[a-z]{2,63}$")]


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Address(_Settings):
    line1: Text = ""
    line2: Text = ""
    city: Text = ""
    postal_code: Annotated[str, Field(max_length=20)] = ""
    region: Text = ""
    country: Country | None = None


class BrandingSettings(_Settings):
    """How the store presents itself; ``store_name`` is the storefront's name when set."""

    store_name: Annotated[str, Field(max_length=120)] | None = None
    tagline: Text | None = None
    logo_url: Url | None = None
    banner_url: Url | None = None


class ContactSettings(_Settings):
    """The store's public contact details (the store's, never a customer's)."""

    email: EmailStr | None = None
    phone: Annotated[str, Field(max_length=32, pattern=r"^\+?[0-9 ()\-]{3,31}$")] | None = None
    address: Address | None = None


class StoreStatusSettings(_Settings):
    """``closed`` closes the storefront: only its seller, staff and admins see it then."""

    status: Literal["open", "closed"] = "open"
    message: Annotated[str, Field(max_length=500)] | None = None


class WarehouseSettings(_Settings):
    name: Text | None = None
    address: Address | None = None
    handling_days: int = Field(1, ge=0, le=60)


class PaymentSettings(_Settings):
    provider: Literal["stripe", "paypal", "manual"] | None = None
    currency: Currency = "EUR"
    publishable_key: Secret | None = None
    secret_key: Secret | None = None
    webhook_secret: Secret | None = None


class TaxSettings(_Settings):
    tax_id: Annotated[str, Field(max_length=40)] | None = None
    prices_include_tax: bool = True
    default_rate_bps: int = Field(0, ge=0, le=10_000)  # basis points: 1900 = 19 %


class ShippingRate(_Settings):
    name: Text
    countries: list[Country] = Field(default_factory=list, max_length=250)  # empty: everywhere
    rate_cents: Money
    free_over_cents: Money | None = None


class ShippingSettings(_Settings):
    currency: Currency = "EUR"
    processing_days: int = Field(1, ge=0, le=60)
    rates: list[ShippingRate] = Field(default_factory=list, max_length=50)


class DomainSettings(_Settings):
    custom_domain: Hostname | None = None
    verification_token: Secret | None = None


class WholesaleSettings(_Settings):
    enabled: bool = False
    minimum_order_cents: Money = 0
    deposit_percent: int = Field(0, ge=0, le=100)
    invitation_only: bool = True


class SubscriptionSettings(_Settings):
    plan: Literal["free", "starter", "pro", "enterprise"] = "free"
    billing_email: EmailStr | None = None
    api_key: Secret | None = None


class AnalyticsSettings(_Settings):
    tracking_enabled: bool = False
    google_analytics_id: Annotated[str, Field(max_length=40)] | None = None
    meta_pixel_id: Annotated[str, Field(max_length=40)] | None = None
    weekly_report: bool = True


class ThemeSettings(_Settings):
    primary_color: Color = "#1f2937"
    accent_color: Color = "#f59e0b"
    font: Annotated[str, Field(max_length=60)] = "system-ui"
    layout: Literal["grid", "list"] = "grid"
    dark_mode: bool = False


SCHEMAS: dict[Category, type[BaseModel]] = {
    Category.BRANDING: BrandingSettings,
    Category.CONTACT: ContactSettings,
    Category.STORE_STATUS: StoreStatusSettings,
    Category.WAREHOUSE: WarehouseSettings,
    Category.PAYMENT: PaymentSettings,
    Category.TAX: TaxSettings,
    Category.SHIPPING: ShippingSettings,
    Category.DOMAIN: DomainSettings,
    Category.WHOLESALE: WholesaleSettings,
    Category.SUBSCRIPTION: SubscriptionSettings,
    Category.ANALYTICS: AnalyticsSettings,
    Category.THEME: ThemeSettings,
}
"""The schema of each category, in the order of DESIGN §4."""

PUBLIC_CATEGORIES = frozenset(
    {Category.BRANDING, Category.CONTACT, Category.STORE_STATUS, Category.SHIPPING, Category.THEME}
)
"""What a storefront shows; their events also reach ``storefront:{seller}``."""
