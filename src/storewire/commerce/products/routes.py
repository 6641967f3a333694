"""``/products`` and ``/storefronts/{seller_id}/products``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status

from storewire.commerce.products.service import NewProduct, ProductOut, ProductService
from storewire.commerce.web import CurrentPrincipal, service

__all__ = ["router"]

router = APIRouter(tags=["products"])

Products = Annotated[ProductService, service(ProductService)]


@router.post("/products", status_code=status.HTTP_201_CREATED)
async def create_product(body: NewProduct, principal: CurrentPrincipal, products: Products) -> ProductOut:
    """A seller creates a product with its variants."""
    return await products.create(principal, body)


@router.get("/products/{product_id}")
async def get_product(product_id: str, principal: CurrentPrincipal, products: Products) -> ProductOut:
    return await products.get(principal, product_id)


@router.get("/storefronts/{seller_id}/products")
async def storefront_products(
    seller_id: str, principal: CurrentPrincipal, products: Products
) -> list[ProductOut]:
    return await products.list_for_seller(principal, seller_id)
