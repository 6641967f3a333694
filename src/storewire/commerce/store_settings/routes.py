"""``/settings``, ``/settings/{category}`` (one route per category) and ``/storefronts``.

``PUT /settings/{category}`` is declared once per category from the schema table, so each category's
body schema is named in the OpenAPI document and validated by FastAPI before the service sees it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from storewire.commerce.store_settings.schemas import PUBLIC_CATEGORIES, SCHEMAS, Category
from storewire.commerce.store_settings.service import (
    SettingsOut,
    StorefrontOut,
    StorefrontPage,
    StoreSettingsService,
)
from storewire.commerce.web import CurrentPrincipal, OptionalPrincipal, service

__all__ = ["router"]

router = APIRouter(tags=["settings"])

StoreSettings = Annotated[StoreSettingsService, service(StoreSettingsService)]


@router.get("/settings")
async def get_settings(principal: CurrentPrincipal, settings: StoreSettings) -> SettingsOut:
    """The seller's settings, every category (defaults where unset); staff read their seller's.

    Secret fields (names containing ``secret``, ``token`` or ``password``, or ending in ``_key``)
    are shown as ``"••••"`` plus their last 4 characters.
    """
    return await settings.get_all(principal)


def _put_route(category: Category) -> None:
    schema = SCHEMAS[category]

    async def put_settings(
        body: BaseModel, principal: CurrentPrincipal, settings: StoreSettings
    ) -> BaseModel:
        return await settings.put(principal, category, body)

    # The body and response types differ per category; FastAPI reads them from the annotations.
    put_settings.__annotations__.update(body=schema, principal=CurrentPrincipal, settings=StoreSettings)
    put_settings.__annotations__["return"] = schema
    audience = (
        "`user:{seller}` and `storefront:{seller}`" if category in PUBLIC_CATEGORIES else "`user:{seller}`"
    )
    router.add_api_route(
        f"/settings/{category.value}",
        put_settings,
        methods=["PUT"],
        response_model=schema,
        name=f"put_{category.value}_settings",
        summary=f"Replace the {category.value.replace('_', ' ')} settings",
        description=(
            f"The seller replaces its `{category.value}` settings as a whole and "
            f"`settings:{category.value}_updated` goes to {audience}. Unknown fields are refused (422). "
            "A secret field sent back exactly as GET showed it (masked, `••••abcd`) keeps the stored "
            "secret, so a form can be saved without re-entering its secrets; any other masked value is "
            "refused (422). The response shows the stored values, secrets masked."
        ),
    )


for _category in Category:
    _put_route(_category)


@router.get("/storefronts")
async def list_storefronts(
    settings: StoreSettings,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> StorefrontPage:
    """Open stores, ordered by seller id; no token needed. Pass ``next_cursor`` back for the next page."""
    return await settings.storefronts(limit, cursor)


@router.get("/storefronts/{seller_id}")
async def get_storefront(
    seller_id: str, principal: OptionalPrincipal, settings: StoreSettings
) -> StorefrontOut:
    """A store and its public settings; no token needed. A closed store is 404 except to its seller,
    its staff and admins."""
    return await settings.storefront(principal, seller_id)
