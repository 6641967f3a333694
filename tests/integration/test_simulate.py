"""``storewire demo --simulate``: live traffic against a running demo server, over its public API only.

A real ``serve`` process with the demo seeded; the simulation runs as its own ``python -m storewire``
process, as an operator would start it. The demo sellers' sockets (python-socketio) see the orders it
places and the status changes it makes, and the admin's socket sees its buyers' pages (``page:navigate``
through the simulator's own minimal Socket.IO client). Ctrl-C ends it cleanly with a summary; a server
that is not there is exit 2.
"""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import free_port, start_server
from tests.support import Listener, ServerProcess, assert_envelope, close_all, listen

pytestmark = pytest.mark.integration

PASSWORD = "storewire-demo"
SELLERS = ("seller@demo.storewire.dev", "bakery@demo.storewire.dev", "wholesale@demo.storewire.dev")
ADMIN = "admin@demo.storewire.dev"
COMMAND = [sys.executable, "-m", "storewire", "demo", "--simulate"]


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path_factory.mktemp("simulate"), STOREWIRE_DEMO="true")
    yield proc
    proc.stop()


def _counts(stdout: str) -> dict[str, int]:
    """The summary line: ``simulated 6.0 s  orders 14  paid 11 ...``."""
    line = stdout.strip().splitlines()[-1]
    assert line.startswith("simulated "), stdout
    return {name: int(count) for name, count in re.findall(r"([a-z]+) (\d+)", line)}


async def _sockets(url: str) -> dict[str, Listener]:
    """A websocket per demo seller, and the admin's, each logged in over REST."""
    sockets: dict[str, Listener] = {}
    async with httpx.AsyncClient(base_url=f"{url}/api/v1", timeout=30) as http:
        for email in (*SELLERS, ADMIN):
            login = await http.post("/auth/login", json={"email": email, "password": PASSWORD})
            assert login.status_code == 200, login.text
            sockets[email] = await listen(url, login.json()["access_token"], ["websocket"])
    return sockets


async def _all_of(listeners: list[Listener], name: str, count: int) -> list[dict[str, Any]]:
    """The ``name`` events the listeners got between them, once there are at least ``count``."""

    async def enough() -> list[dict[str, Any]]:
        while True:
            events = [event for listener in listeners for event in listener.of(name)]
            if len(events) >= count:
                return events
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(enough(), 30)


async def test_simulation_moves_the_demo_and_sellers_see_it(demo_server: ServerProcess) -> None:
    sockets = await _sockets(demo_server.url)
    try:
        args = ["--url", demo_server.url, "--duration", "6", "--rate", "10", "--seed", "1"]
        process = await asyncio.create_subprocess_exec(
            *COMMAND, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await asyncio.wait_for(process.communicate(), 90)
        assert process.returncode == 0, err.decode()
        counts = _counts(out.decode())
        assert "\r" in err.decode()  # the progress line, rewritten in place
        for name in ("orders", "paid", "status", "chats", "navigations"):
            assert counts[name] > 0, counts

        # Every order it placed reached its seller's socket, once each, as a full envelope; so did
        # every status change it made (the seeded events were relayed before these sockets connected).
        sellers = [sockets[email] for email in SELLERS]
        created = await _all_of(sellers, "order:created", counts["orders"])
        changed = await _all_of(sellers, "order:status_changed", counts["status"])
        for name, events in (("order:created", created), ("order:status_changed", changed)):
            assert len({event["id"] for event in events}) == len(events)
            for event in events:
                assert_envelope(event, name)

        # Its buyers navigated: the admins' live-users view shows a demo buyer on a page.
        live = await sockets[ADMIN].wait_for_match(
            "admin:live_users",
            lambda event: any(user["pages"] for user in event["data"]["users"] if user["role"] == "buyer"),
        )
        assert all(page.startswith("/") for user in live["data"]["users"] for page in user["pages"])
    finally:
        await close_all(*sockets.values())


async def test_ctrl_c_ends_with_a_summary(demo_server: ServerProcess) -> None:
    process = await asyncio.create_subprocess_exec(
        *COMMAND, "--url", demo_server.url, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    assert process.stderr is not None
    # Once the progress line shows, the simulation is running: interrupt it as Ctrl-C would.
    seen = b""
    while b"s  orders" not in seen:
        chunk = await asyncio.wait_for(process.stderr.read(200), 60)
        assert chunk, seen
        seen += chunk
    process.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, (seen + err).decode()
    assert set(_counts(out.decode())) >= {"orders", "paid", "status", "restocks", "chats", "errors"}


async def test_a_server_that_is_not_there_is_exit_2() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    process = await asyncio.create_subprocess_exec(
        *COMMAND,
        "--url",
        url,
        "--duration",
        "1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2, (out + err).decode()
    assert f"cannot reach the server at {url}" in err.decode()
    assert out == b""
