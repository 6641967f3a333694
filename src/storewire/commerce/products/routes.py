"""``/products``, ``/variants`` and ``/storefronts/{seller_id}/products``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response, status

from storewire.commerce.products.models import (
    NewProduct,
    ProductOut,
    ProductPatch,
    StockCount,
    VariantPatch,
)
from storewire.commerce.products.service import ProductService
from storewire.commerce.web import CurrentPrincipal, OptionalPrincipal, service

__all__ = ["router"]

router = APIRouter(tags=["products"])

Products = Annotated[ProductService, service(ProductService)]


@router.post("/products", status_code=status.HTTP_201_CREATED)
async def create_product(body: NewProduct, principal: CurrentPrincipal, products: Products) -> ProductOut:
    """A seller creates a product with its variants (``product:created``)."""
    return await products.create(principal, body)


@router.get("/products/{product_id}")
async def get_product(product_id: str, principal: OptionalPrincipal, products: Products) -> ProductOut:
    """A published product, for anyone; a draft for its seller, its staff and admins."""
    return await products.get(principal, product_id)


@router.patch("/products/{product_id}")
async def update_product(
    product_id: str, body: ProductPatch, principal: CurrentPrincipal, products: Products
) -> ProductOut:
    """Change name, description or status (``product:updated``)."""
    return await products.update(principal, product_id, body)


@router.delete("/products/{product_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_product(product_id: str, principal: CurrentPrincipal, products: Products) -> Response:
    """Delete a product: it can no longer be seen or ordered (``product:deleted``)."""
    await products.delete(principal, product_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch("/variants/{variant_id}")
async def update_variant(
    variant_id: str, body: VariantPatch, principal: CurrentPrincipal, products: Products
) -> ProductOut:
    """Change a variant's price (``product:price_changed``), name or low-stock threshold."""
    return await products.update_variant(principal, variant_id, body)


@router.put("/variants/{variant_id}/stock")
async def set_stock(
    variant_id: str, body: StockCount, principal: CurrentPrincipal, products: Products
) -> ProductOut:
    """Set the units available (``product:stock_changed`` and the crossing events)."""
    return await products.set_stock(principal, variant_id, body)


@router.get("/storefronts/{seller_id}/products")
async def storefront_products(
    seller_id: str, principal: OptionalPrincipal, products: Products
) -> list[ProductOut]:
    """A store's products: the published ones, and drafts for its seller, staff and admins."""
    return await products.list_for_seller(principal, seller_id)
