"""``/api/v1/docs`` works offline: every asset of the Swagger UI page is served by the server itself."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import httpx
import pytest

from tests.support import ServerProcess

pytestmark = pytest.mark.integration

_ASSET_URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


def test_docs_page_loads_its_assets_from_this_server(server: ServerProcess) -> None:
    page = httpx.get(f"{server.url}/api/v1/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "SwaggerUIBundle" in html
    assert "cdn." not in html
    assets = _ASSET_URL.findall(html)
    assert assets, "the page names its script, stylesheet and icon"
    for url in assets:
        assert url.startswith("/api/v1/docs-assets/"), url
    assert "https://" not in " ".join(assets)
    # The spec it points at is ours, and Swagger UI must not post it to an outside validator.
    assert "'/api/v1/openapi.json'" in html or '"/api/v1/openapi.json"' in html
    assert '"validatorUrl": null' in html

    kinds = {}
    for url in assets:
        asset = httpx.get(urljoin(server.url, url))
        assert asset.status_code == 200, url
        assert asset.content, url
        kinds[url.rsplit(".", 1)[-1]] = asset.headers["content-type"]
    assert "javascript" in kinds["js"]
    assert kinds["css"].startswith("text/css")


def test_docs_assets_are_not_in_the_openapi_document(server: ServerProcess) -> None:
    paths = httpx.get(f"{server.url}/api/v1/openapi.json").json()["paths"]
    assert not [path for path in paths if path.startswith("/api/v1/docs")]


def test_unknown_asset_is_404(server: ServerProcess) -> None:
    assert httpx.get(f"{server.url}/api/v1/docs-assets/nope.js").status_code == 404
