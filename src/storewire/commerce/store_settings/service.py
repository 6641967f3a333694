"""Store settings and storefronts: read and replace a seller's settings, list and show open stores.

A seller's storefront exists from its registration (DESIGN §2) and is open unless its ``store_status``
setting says ``closed``; this module answers for the ``storefront:{seller}`` room kind accordingly.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storewire.commerce.accounts.tables import UserRow
from storewire.commerce.module import DomainService
from storewire.commerce.parties import acting_seller
from storewire.commerce.store_settings.events import event_name
from storewire.commerce.store_settings.masking import mask_values, restore_secrets
from storewire.commerce.store_settings.schemas import (
    PUBLIC_CATEGORIES,
    SCHEMAS,
    AnalyticsSettings,
    BrandingSettings,
    Category,
    ContactSettings,
    DomainSettings,
    PaymentSettings,
    ShippingSettings,
    StoreStatusSettings,
    SubscriptionSettings,
    TaxSettings,
    ThemeSettings,
    WarehouseSettings,
    WholesaleSettings,
)
from storewire.commerce.store_settings.tables import StoreSettingRow
from storewire.errors import Forbidden, NotFound
from storewire.realtime.policy import Principal, Role, RoomFacts, can_see

__all__ = [
    "SettingsOut",
    "StoreSettingsService",
    "StorefrontOut",
    "StorefrontPage",
    "lookup_storefront",
    "storefront_facts",
]


class SettingsOut(BaseModel):
    """A seller's settings, every category (defaults where unset), secrets masked."""

    seller_id: str
    branding: BrandingSettings
    contact: ContactSettings
    store_status: StoreStatusSettings
    warehouse: WarehouseSettings
    payment: PaymentSettings
    tax: TaxSettings
    shipping: ShippingSettings
    domain: DomainSettings
    wholesale: WholesaleSettings
    subscription: SubscriptionSettings
    analytics: AnalyticsSettings
    theme: ThemeSettings


class StorefrontOut(BaseModel):
    """What anyone may see of an open store: its name and its public settings."""

    seller_id: str
    name: str = Field(description="branding.store_name, or the seller's account name when unset")
    open: bool
    branding: BrandingSettings
    contact: ContactSettings
    store_status: StoreStatusSettings
    shipping: ShippingSettings
    theme: ThemeSettings


class StorefrontPage(BaseModel):
    """One page of open stores, ordered by seller id; pass ``next_cursor`` as ``cursor`` for more."""

    items: list[StorefrontOut]
    next_cursor: str | None


def _values(category: Category, data: dict[str, Any] | None) -> BaseModel:
    """A category's values as its schema, secrets masked; its defaults when never set."""
    return SCHEMAS[category].model_validate(mask_values(data) if data is not None else {})


def _is_closed(row: StoreSettingRow | None) -> bool:
    return row is not None and row.data.get("status") == "closed"


def storefront_facts(seller: UserRow | None, status: StoreSettingRow | None) -> RoomFacts:
    """The one visibility rule's view of a store: public while open; always its seller's."""
    if seller is None or seller.role != Role.SELLER:
        return RoomFacts(exists=False)
    return RoomFacts(exists=True, owner_id=seller.id, public=not _is_closed(status))


async def lookup_storefront(session: AsyncSession, seller_id: str) -> RoomFacts:
    """``storefront:{seller}`` room facts, for the join policy."""
    seller = await session.get(UserRow, seller_id)
    status = await session.get(StoreSettingRow, (seller_id, Category.STORE_STATUS.value)) if seller else None
    return storefront_facts(seller, status)


def _storefront(seller: UserRow, rows: dict[str, StoreSettingRow]) -> StorefrontOut:
    def values(category: Category) -> Any:
        row = rows.get(category.value)
        return _values(category, row.data if row is not None else None)

    branding = values(Category.BRANDING)
    return StorefrontOut(
        seller_id=seller.id,
        name=branding.store_name or seller.name,
        open=not _is_closed(rows.get(Category.STORE_STATUS.value)),
        branding=branding,
        contact=values(Category.CONTACT),
        store_status=values(Category.STORE_STATUS),
        shipping=values(Category.SHIPPING),
        theme=values(Category.THEME),
    )


class StoreSettingsService(DomainService):
    async def get_all(self, principal: Principal) -> SettingsOut:
        """The settings of the principal's store: a seller's own, or read-only for its staff."""
        seller_id = acting_seller(principal)
        if seller_id is None:
            raise Forbidden("only sellers and their staff have store settings")
        async with self._db.reading() as session:
            rows = (
                await session.scalars(select(StoreSettingRow).where(StoreSettingRow.seller_id == seller_id))
            ).all()
        stored = {row.category: row.data for row in rows}
        return SettingsOut.model_validate(
            {"seller_id": seller_id}
            | {category.value: _values(category, stored.get(category.value)) for category in Category}
        )

    async def put(self, principal: Principal, category: Category, values: BaseModel) -> BaseModel:
        """Replace one category's values (the seller only) and publish ``settings:{category}_updated``.

        A secret field sent back in its masked form keeps the stored secret (see ``masking.py``).
        Returns the stored values as the category's schema, secrets masked.
        """
        if principal.role is not Role.SELLER or principal.user_id is None:
            raise Forbidden("only the seller changes its store settings")
        seller_id = principal.user_id
        async with self._db.transaction() as session:
            row = await session.get(
                StoreSettingRow, (seller_id, category.value), with_for_update=True, populate_existing=True
            )
            data = restore_secrets(values.model_dump(mode="json"), row.data if row is not None else None)
            if row is None:
                session.add(StoreSettingRow(seller_id=seller_id, category=category.value, data=data))
            else:
                row.data = data
            shown = mask_values(data)
            self._publisher.publish(
                session,
                event_name(category),
                {"seller_id": seller_id, "category": category.value, "values": shown},
            )
        return SCHEMAS[category].model_validate(shown)

    async def storefront(self, principal: Principal, seller_id: str) -> StorefrontOut:
        """A store, for anyone while it is open; a closed one only for its seller, staff and admins."""
        async with self._db.reading() as session:
            seller = await session.get(UserRow, seller_id)
            found = await self._public_rows(session, [seller_id]) if seller is not None else {}
        rows = found.get(seller_id, {})
        status = rows.get(Category.STORE_STATUS.value)
        if seller is None or not can_see(principal, storefront_facts(seller, status)):
            raise NotFound(f"storefront {seller_id} not found")
        return _storefront(seller, rows)

    async def storefronts(self, limit: int, cursor: str | None) -> StorefrontPage:
        """Open stores, by seller id, ``limit`` at a time after ``cursor`` (a seller id)."""
        closed = select(StoreSettingRow.seller_id).where(
            StoreSettingRow.category == Category.STORE_STATUS.value,
            StoreSettingRow.data["status"].as_string() == "closed",
        )
        query = (
            select(UserRow)
            .where(UserRow.role == Role.SELLER.value, UserRow.id.not_in(closed))
            .order_by(UserRow.id)
            .limit(limit + 1)  # one more tells whether there is a next page
        )
        if cursor is not None:
            query = query.where(UserRow.id > cursor)
        async with self._db.reading() as session:
            sellers = list((await session.scalars(query)).all())
            more = len(sellers) > limit
            sellers = sellers[:limit]
            rows = await self._public_rows(session, [seller.id for seller in sellers])
        return StorefrontPage(
            items=[_storefront(seller, rows.get(seller.id, {})) for seller in sellers],
            next_cursor=sellers[-1].id if more else None,
        )

    @staticmethod
    async def _public_rows(
        session: AsyncSession, seller_ids: list[str]
    ) -> dict[str, dict[str, StoreSettingRow]]:
        """The public categories' rows of these sellers, by seller id and category."""
        if not seller_ids:
            return {}
        found = await session.scalars(
            select(StoreSettingRow).where(
                StoreSettingRow.seller_id.in_(seller_ids),
                StoreSettingRow.category.in_([category.value for category in PUBLIC_CATEGORIES]),
            )
        )
        rows: dict[str, dict[str, StoreSettingRow]] = {}
        for row in found:
            rows.setdefault(row.seller_id, {})[row.category] = row
        return rows
