"""Graceful shutdown (protocol.md §6): on SIGTERM a node closes every socket at the transport level, so
Socket.IO clients reconnect by themselves (not "io server disconnect", which would stop them), relays
what is committed, and exits cleanly; a client that resumes on the restarted node misses nothing."""

from __future__ import annotations

import asyncio
import secrets
import signal
import subprocess

import pytest
import socketio

from tests.conftest import start_server
from tests.integration.conftest import TRANSPORTS
from tests.js_driver import JsDriver
from tests.support import Api

pytestmark = pytest.mark.integration

EXIT_BOUND = 30  # seconds: generous for a shared machine; the node's own budget is 10 s


async def test_sigterm_tells_every_client_to_reconnect_and_exits_cleanly(
    tmp_path_factory: pytest.TempPathFactory, js: JsDriver
) -> None:
    tmp = tmp_path_factory.mktemp("shutdown")
    env = {"STOREWIRE_JWT_SECRET": "shutdown-secret-" + secrets.token_hex(16), "STOREWIRE_LOG_LEVEL": "INFO"}
    server = start_server(tmp, **env)
    api = Api(server.url)
    try:
        seller = await api.register("seller")
        clients = [
            await js.open(server.url, TRANSPORTS[name], auth={"token": seller.token, "resume": {}})
            for name in ("websocket", "polling")
        ]
        for client in clients:
            assert (await js.settle(client))["type"] == "connect"
            (sync,) = await client.wait_for("sync:recovered")
        reasons: list[str] = []
        python = socketio.AsyncClient(reconnection=False)
        python.on("disconnect", lambda *args: reasons.append(str(args[0]) if args else ""))
        await python.connect(server.url, auth={"token": seller.token}, transports=["websocket"])

        product = await api.product(seller)  # committed: it must survive the shutdown
        server.process.send_signal(signal.SIGTERM)
        returncode = await asyncio.to_thread(server.process.wait, EXIT_BOUND)
        # uvicorn re-raises the signal once it has shut down, so a clean exit is -SIGTERM (or 0).
        log = (tmp / "server.log").read_text()
        assert returncode in (0, -signal.SIGTERM), log
        assert "storewire node stopped" in log, log
        for client in clients:
            await client.until(lambda c=client: c.first("disconnect") is not None, "disconnect")
            reason = client.first("disconnect")
            # "transport close": the client reconnects by itself; "io server disconnect" would stop it.
            assert reason is not None and reason["reason"] == "transport close", client.reports
        for _ in range(100):
            if reasons or not python.connected:
                break
            await asyncio.sleep(0.05)
        assert not python.connected
    except subprocess.TimeoutExpired:
        pytest.fail(f"the server did not exit within {EXIT_BOUND} s of SIGTERM")
    finally:
        server.stop()
        await api.close()

    restarted = start_server(tmp, **env)
    api = Api(restarted.url)
    try:
        client = await js.open(
            restarted.url,
            ["websocket"],
            auth={"token": seller.token, "resume": {k: sync[k] for k in ("epoch", "seq")}},
        )
        assert (await js.settle(client))["type"] == "connect"
        (again,) = await client.wait_for("sync:recovered")
        assert again["recovered"] is True
        created = client.of("product:created")
        assert [event["data"]["product_id"] for event in created] == [product["id"]]
    finally:
        restarted.stop()
        await api.close()
