"""``GET /api/v1/asyncapi.json``: the event catalog as an AsyncAPI 3 document (``realtime/asyncapi.py``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from storewire import __version__
from storewire.realtime.asyncapi import ASYNCAPI_PATH, render_asyncapi
from storewire.realtime.catalog import Catalog

__all__ = ["asyncapi_router"]


def asyncapi_router(catalog: Catalog) -> APIRouter:
    """A router serving ``catalog``'s AsyncAPI document, built once here: the catalog never changes."""
    body = render_asyncapi(catalog, version=__version__).encode()
    router = APIRouter()

    @router.get(ASYNCAPI_PATH, include_in_schema=False)
    async def asyncapi() -> Response:
        return Response(body, media_type="application/json")

    return router
