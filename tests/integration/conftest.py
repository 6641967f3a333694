"""Integration fixtures: an ``Api`` client bound to the module's server, and the transports to cover."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.js_driver import JS_DIR, JsDriver
from tests.support import Api, ServerProcess

# Every socket test runs over each way a client can reach the server.
TRANSPORTS = {
    "websocket": ["websocket"],
    "polling": ["polling"],
    "upgrade": ["polling", "websocket"],
}


@pytest.fixture(params=list(TRANSPORTS))
def transports(request: pytest.FixtureRequest) -> list[str]:
    return TRANSPORTS[request.param]


@pytest.fixture
async def api(server: ServerProcess) -> AsyncIterator[Api]:
    client = Api(server.url)
    yield client
    await client.close()


@pytest.fixture
async def js() -> AsyncIterator[JsDriver]:
    if not (JS_DIR / "node_modules" / "socket.io-client" / "package.json").is_file():
        pytest.fail(f"socket.io-client is not installed in {JS_DIR}: run `make node-deps`")
    driver = await JsDriver.start()
    try:
        yield driver
    finally:
        await driver.close()
