"""@storewire/client (``clients/js``) in tests: is its build current, and a driver for it.

``make test`` installs its npm packages and builds ``clients/js/dist/``; the tests use that build and
fail (not skip) when it is missing or older than the sources. ``HelperDriver`` runs
``tests/js/helper_client.mjs`` (see that file for its line protocol), which imports the build.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.js_driver import JS_DIR, JsClient, JsDriver

__all__ = ["CLIENT_DIR", "DIST", "NODE", "HelperClient", "HelperDriver", "require_build"]

NODE = shutil.which("node")
CLIENT_DIR = Path(__file__).resolve().parents[1] / "clients" / "js"
DIST = CLIENT_DIR / "dist"
HELPER_DRIVER = JS_DIR / "helper_client.mjs"
BUILD = "make js-client (or: cd clients/js && npm ci && npm run build)"


def require_build() -> None:
    """Fail the test unless ``clients/js`` has its packages and a build newer than its sources."""
    if not (CLIENT_DIR / "node_modules" / "socket.io-client" / "package.json").is_file():
        pytest.fail(f"clients/js has no node_modules: run {BUILD}")
    built = DIST / "index.js"
    if not built.is_file():
        pytest.fail(f"clients/js is not built: run {BUILD}")
    sources = [*CLIENT_DIR.joinpath("src").glob("*.ts"), CLIENT_DIR / "tsconfig.json"]
    stale = [p.name for p in sources if p.stat().st_mtime > built.stat().st_mtime]
    if stale:
        pytest.fail(f"clients/js/dist is older than {', '.join(sorted(stale))}: run {BUILD}")


class HelperClient(JsClient):
    """One ``createStorewire`` client inside the driver, and everything it reported."""

    @property
    def statuses(self) -> list[str]:
        return [r["status"] for r in self.reports if r["type"] == "status"]

    @property
    def resyncs(self) -> list[dict[str, Any]]:
        return [r["info"] for r in self.reports if r["type"] == "resync"]

    @property
    def failures(self) -> list[dict[str, Any]]:
        return [r["error"] for r in self.reports if r["type"] == "failure"]

    def syncs(self, room: str | None = None) -> list[dict[str, Any]]:
        return [s for s in self.of("sync:recovered") if s.get("room") == room]

    async def command(self, cmd: str, timeout: float = 10, **fields: Any) -> Any:
        """Send a command that answers with an ack report; return its argument."""
        ack_id = next(self.driver.ack_ids)
        await self.driver.send({"cmd": cmd, "id": self.id, "ackId": ack_id, **fields})

        def answer() -> dict[str, Any] | None:
            return next((r for r in self.reports if r["type"] == "ack" and r["ackId"] == ack_id), None)

        await self.until(lambda: answer() is not None, f"answer to {cmd}", timeout)
        reply = answer()
        assert reply is not None
        return reply["args"][0]

    async def join(self, room: str) -> Any:
        return await self.command("join", room=room)

    async def leave(self, room: str) -> Any:
        return await self.command("leave", room=room)

    async def state(self) -> dict[str, Any]:
        state: dict[str, Any] = await self.command("state")
        return state

    async def offline(self) -> None:
        """Drop the connection and stay offline until ``online``; returns once the client knows."""
        disconnects = len(self.statuses)
        await self.driver.send({"cmd": "offline", "id": self.id})
        await self.until(
            lambda: "reconnecting" in self.statuses[disconnects:], "the client to notice the drop"
        )

    async def online(self) -> None:
        await self.driver.send({"cmd": "online", "id": self.id})

    async def drop(self) -> None:
        """Drop the connection; socket.io reconnects by itself."""
        await self.driver.send({"cmd": "drop", "id": self.id})

    async def wait_status(self, status: str, count: int = 1, timeout: float = 10) -> None:
        await self.until(
            lambda: self.statuses.count(status) >= count, f"{count} x status {status!r}", timeout
        )


class HelperDriver(JsDriver):
    """``node tests/js/helper_client.mjs``: clients of ``@storewire/client``."""

    script = HELPER_DRIVER

    async def create(
        self,
        url: str,
        token: str | None,
        transports: list[str],
        position: dict[str, Any] | None = None,
    ) -> HelperClient:
        """Create a client (it connects by itself); wait for neither outcome."""
        client = HelperClient(self, f"h{next(self.ids)}")
        self.clients[client.id] = client
        command: dict[str, Any] = {"cmd": "create", "id": client.id, "url": url, "transports": transports}
        if token is not None:
            command["token"] = token
        if position is not None:
            command["position"] = position
        await self.send(command)
        return client
