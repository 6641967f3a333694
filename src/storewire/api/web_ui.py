"""The web UI (``web/``, built by Vite into the package's ``web/dist``): its pages and assets.

Every page path serves the single-page app's ``index.html``; the app routes on ``location.pathname``.
Without a build (a checkout where ``make run`` has not run yet) the pages serve a short page that says
how to build it, next to the links to the API.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.staticfiles import StaticFiles

__all__ = ["PAGES", "install_web_ui"]

PAGES = (
    "/",
    "/signin",
    "/store/{seller_id}",
    "/orders/{order_id}",
    "/seller",
    "/kitchen",
    "/chat",
    "/ops",
)
"""The UI's page paths; anything else is the API's (or a 404)."""

_NO_CACHE = {"cache-control": "no-cache"}


def install_web_ui(api: FastAPI) -> None:
    """Serve the built UI at :data:`PAGES` and ``/assets``, or the fallback page when it is not built."""
    web = Path(str(resources.files("storewire").joinpath("web")))
    dist = web / "dist"
    index = dist / "index.html"
    if index.is_file() and (dist / "assets").is_dir():
        api.mount("/assets", StaticFiles(directory=dist / "assets"), name="assets")

        async def page() -> Response:
            return FileResponse(index, headers=_NO_CACHE)

    else:
        fallback = (web / "index.html").read_text("utf-8")

        async def page() -> Response:
            return HTMLResponse(fallback, headers=_NO_CACHE)

    for path in PAGES:
        api.add_api_route(path, page, methods=["GET"], include_in_schema=False)
