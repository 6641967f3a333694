"""Swagger UI at ``/api/v1/docs`` served entirely from this process: no CDN, works offline.

FastAPI's default docs page loads Swagger UI's JS and CSS (and a favicon) from public CDNs, which an
air-gapped deployment or a developer on a train cannot reach. The assets come instead from the
``fastapi-offline`` package (a maintained wheel of Swagger UI 5's static files; only its ``static/``
folder is used), mounted at ``/api/v1/docs-assets/``.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["ASSETS_PATH", "DOCS_PATH", "install_docs"]

DOCS_PATH = "/api/v1/docs"
ASSETS_PATH = "/api/v1/docs-assets"
_ASSETS_PACKAGE = ("fastapi_offline", "static")


def install_docs(api: FastAPI, *, title: str, openapi_url: str) -> None:
    """Serve Swagger UI for ``openapi_url`` at ``DOCS_PATH`` (create ``api`` with ``docs_url=None``)."""
    api.mount(ASSETS_PATH, StaticFiles(packages=[_ASSETS_PACKAGE]), name="docs-assets")

    @api.get(DOCS_PATH, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} API",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon.png",
            # Swagger UI would otherwise send the spec to validator.swagger.io for its badge.
            swagger_ui_parameters={"validatorUrl": None},
        )
