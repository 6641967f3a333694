"""``/products`` and ``/storefronts``."""

from __future__ import annotations

from fastapi import APIRouter, status

from storewire.api.deps import CurrentPrincipal, NodeDep
from storewire.commerce.catalog.service import NewProduct, ProductOut

__all__ = ["router"]

router = APIRouter(tags=["products"])


@router.post("/products", status_code=status.HTTP_201_CREATED)
async def create_product(body: NewProduct, principal: CurrentPrincipal, node: NodeDep) -> ProductOut:
    """A seller creates a product with its variants."""
    return await node.products.create(principal, body)


@router.get("/products/{product_id}")
async def get_product(product_id: str, principal: CurrentPrincipal, node: NodeDep) -> ProductOut:
    return await node.products.get(principal, product_id)


@router.get("/storefronts/{seller_id}/products")
async def storefront_products(seller_id: str, principal: CurrentPrincipal, node: NodeDep) -> list[ProductOut]:
    return await node.products.list_for_seller(principal, seller_id)
