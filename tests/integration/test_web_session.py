"""The web UI's session (DESIGN §2): sign-in sets the HttpOnly ``storewire_session`` cookie, REST and
Socket.IO accept it, cookie-authenticated writes need ``X-Storewire-CSRF``, sign-out clears it; the UI's
pages and the demo accounts endpoint. A real server process, httpx and python-socketio."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.conftest import start_server
from tests.support import PASSWORD, Api, ServerProcess, assert_problem, listen

pytestmark = pytest.mark.integration


@pytest.fixture
async def browser(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client that keeps cookies like a browser tab."""
    async with httpx.AsyncClient(base_url=f"{server.url}/api/v1", timeout=30) as client:
        yield client


async def test_sign_in_sets_an_http_only_session_cookie_that_rest_accepts(
    api: Api, browser: httpx.AsyncClient
) -> None:
    buyer = await api.register("buyer")
    signed_in = await browser.post("/auth/session", json={"email": buyer.email, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["user"]["id"] == buyer.id
    assert "access_token" not in signed_in.json()  # the token only travels in the cookie
    cookie = signed_in.headers["set-cookie"].lower()
    assert cookie.startswith("storewire_session=")
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie and "max-age=" in cookie

    me = await browser.get("/me")
    assert me.status_code == 200 and me.json()["id"] == buyer.id

    signed_out = await browser.delete("/auth/session", headers={"x-storewire-csrf": "1"})
    assert signed_out.status_code == 204
    assert_problem(await browser.get("/me"), 401, "auth_required")


async def test_wrong_credentials_are_refused_without_a_cookie(api: Api, browser: httpx.AsyncClient) -> None:
    buyer = await api.register("buyer")
    refused = await browser.post("/auth/session", json={"email": buyer.email, "password": "wrong password"})
    assert refused.status_code == 401
    assert "set-cookie" not in refused.headers
    assert_problem(await browser.post("/auth/session", json={"email": buyer.email}), 422, "invalid_payload")


async def test_cookie_writes_need_the_csrf_header_bearer_writes_do_not(
    api: Api, browser: httpx.AsyncClient
) -> None:
    seller = await api.register("seller")
    await browser.post("/auth/session", json={"email": seller.email, "password": PASSWORD})
    product = {
        "name": "Cookie Beans",
        "status": "published",
        "variants": [{"name": "1 kg", "price_cents": 2000, "currency": "EUR", "stock": 3}],
    }
    forged = await browser.post("/products", json=product)
    assert_problem(forged, 403, "csrf_required")
    # Another Authorization scheme (a proxy's Basic credentials, which browsers resend on their own)
    # does not make the cookie a bearer token.
    proxied = await browser.post("/products", json=product, headers={"authorization": "Basic c3RhZ2U6cHc="})
    assert_problem(proxied, 403, "csrf_required")
    made = await browser.post("/products", json=product, headers={"x-storewire-csrf": "1"})
    assert made.status_code == 201, made.text
    # A bearer token is not sent by browsers on their own: no header needed.
    bearer = await api.http.post("/products", json=product, headers=seller.headers)
    assert bearer.status_code == 201, bearer.text


async def test_a_socket_is_signed_in_by_the_cookie(server: ServerProcess, api: Api) -> None:
    buyer = await api.register("buyer")
    async with httpx.AsyncClient(base_url=f"{server.url}/api/v1") as tab:
        await tab.post("/auth/session", json={"email": buyer.email, "password": PASSWORD})
        cookie = f"storewire_session={tab.cookies['storewire_session']}"
    listener = await listen(server.url, None, ["websocket"], headers={"Cookie": cookie})
    try:
        ack = await listener.join(f"user:{buyer.id}")  # only its own user room: it is that buyer
        assert ack["ok"] is True, ack
    finally:
        await listener.close()


async def test_the_demo_endpoint_is_absent_on_a_non_demo_server(browser: httpx.AsyncClient) -> None:
    assert_problem(await browser.get("/demo"), 404, "not_found")


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path_factory.mktemp("demo"), STOREWIRE_DEMO="true")
    yield proc
    proc.stop()


async def test_a_demo_server_lists_its_accounts_and_they_sign_in(demo_server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=f"{demo_server.url}/api/v1", timeout=30) as tab:
        demo = (await tab.get("/demo")).json()
        roles = {account["role"] for account in demo["accounts"]}
        assert roles == {"admin", "seller", "staff", "buyer"}
        staff = next(a for a in demo["accounts"] if a["role"] == "staff")
        assert staff["works_for"] in {a["email"] for a in demo["accounts"] if a["role"] == "seller"}
        seller = next(a for a in demo["accounts"] if a["role"] == "seller")
        signed_in = await tab.post(
            "/auth/session", json={"email": seller["email"], "password": demo["password"]}
        )
        assert signed_in.status_code == 200, signed_in.text
        assert signed_in.json()["user"]["role"] == "seller"


@pytest.mark.parametrize(
    "path", ["/", "/signin", "/store/usr_1", "/orders/ord_1", "/seller", "/kitchen", "/chat", "/ops"]
)
async def test_every_ui_page_serves_html(server: ServerProcess, path: str) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        page = await http.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache"


async def test_the_built_ui_and_its_assets_are_served(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        home = (await http.get("/")).text
        assert '<div id="app">' in home, "the web UI is not built: run `make web-ui`"
        scripts = re.findall(r'src="(/assets/[^"]+\.js)"', home)
        assert scripts, home
        script = await http.get(scripts[0])
        assert script.status_code == 200
        assert "javascript" in script.headers["content-type"]
        assert (await http.get("/assets/missing.js")).status_code == 404
        assert (await http.get("/no-such-page")).status_code == 404
