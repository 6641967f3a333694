"""Integration fixtures: an ``Api`` client bound to the module's server, and the transports to cover."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

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
