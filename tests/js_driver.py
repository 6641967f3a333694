"""The official JS ``socket.io-client`` 4.x, driven from pytest through ``tests/js/client.mjs``.

pytest starts ``node tests/js/client.mjs`` (see that file for its line protocol); ``JsDriver`` speaks
to it and ``JsClient`` is one socket.io-client instance inside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

from tests.support import ServerProcess

NODE = shutil.which("node")
JS_DIR = Path(__file__).resolve().parent / "js"
DRIVER = JS_DIR / "client.mjs"
UPGRADE = ["polling", "websocket"]


class DriverError(AssertionError):
    """The Node driver reported an error, exited, or did not answer in time."""


class JsClient:
    """One socket.io-client instance inside the Node driver, and everything it reported."""

    def __init__(self, driver: JsDriver, client_id: str) -> None:
        self.driver = driver
        self.id = client_id
        self.reports: list[dict[str, Any]] = []
        self.closed = False

    # -- what arrived -------------------------------------------------------------------------------
    @property
    def events(self) -> list[tuple[str, list[Any]]]:
        return [(r["event"], r["args"]) for r in self.reports if r["type"] == "event"]

    def of(self, name: str) -> list[Any]:
        """The first argument of every ``name`` event received so far."""
        return [args[0] if args else None for event, args in self.events if event == name]

    def first(self, kind: str) -> dict[str, Any] | None:
        return next((r for r in self.reports if r["type"] == kind), None)

    @property
    def sid(self) -> str:
        connected = self.first("connect")
        assert connected is not None, f"client {self.id} is not connected: {self.reports}"
        sid: str = connected["sid"]
        return sid

    @property
    def upgraded_to(self) -> str | None:
        upgrade = self.first("upgrade")
        return None if upgrade is None else str(upgrade["transport"])

    async def until(self, done: Callable[[], bool], what: str, timeout: float = 10) -> None:
        await self.driver.until(done, f"client {self.id}: {what}", timeout, self)

    async def wait_for(self, name: str, count: int = 1, timeout: float = 10) -> list[Any]:
        await self.until(lambda: len(self.of(name)) >= count, f"{count} x {name!r}", timeout)
        return self.of(name)

    async def wait_upgrade(self, timeout: float = 10) -> str:
        await self.until(lambda: self.first("upgrade") is not None, "transport upgrade", timeout)
        return str(self.upgraded_to)

    # -- what it sends ------------------------------------------------------------------------------
    async def call(self, event: str, *args: Any, timeout: float = 10) -> Any:
        """Emit with an ack callback; return the ack's single argument (or the list of several)."""
        ack_id = next(self.driver.ack_ids)
        await self.driver.send(
            {"cmd": "emit", "id": self.id, "event": event, "args": list(args), "ack": True, "ackId": ack_id}
        )

        def acked() -> dict[str, Any] | None:
            return next((r for r in self.reports if r["type"] == "ack" and r["ackId"] == ack_id), None)

        await self.until(lambda: acked() is not None, f"ack of {event!r}", timeout)
        reply = acked()
        assert reply is not None
        return reply["args"][0] if len(reply["args"]) == 1 else reply["args"]

    async def join(self, room: str) -> Any:
        return await self.call("room:join", {"room": room})

    async def close(self) -> None:
        if self.closed or self.driver.exited:
            self.closed = True
            return
        self.closed = True
        await self.driver.send({"cmd": "disconnect", "id": self.id})
        await self.until(lambda: self.first("closed") is not None, "close", 5)


class JsDriver:
    """``node tests/js/client.mjs`` as an asyncio subprocess, speaking newline-delimited JSON."""

    script: Path = DRIVER
    """The Node script a subclass drives instead (same line protocol)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.clients: dict[str, JsClient] = {}
        self.ids = itertools.count(1)
        self.ack_ids = itertools.count(1)
        self.changed = asyncio.Condition()
        self.ready = False
        self.exited = False
        self.stderr = bytearray()
        self.orphans: list[dict[str, Any]] = []
        self.tasks = [asyncio.create_task(self._read_stdout()), asyncio.create_task(self._read_stderr())]

    @classmethod
    async def start(cls) -> Self:
        assert NODE is not None
        process = await asyncio.create_subprocess_exec(
            NODE,
            str(cls.script),
            cwd=JS_DIR,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        driver = cls(process)
        await driver.until(lambda: driver.ready, "driver start", 15)
        return driver

    async def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        try:
            async for line in self.process.stdout:
                report = json.loads(line)
                if report.get("type") == "ready":
                    self.ready = True
                elif report.get("id") in self.clients:
                    self.clients[report["id"]].reports.append(report)
                else:
                    self.orphans.append(report)
                async with self.changed:
                    self.changed.notify_all()
        finally:
            self.exited = True
            async with self.changed:
                self.changed.notify_all()

    async def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        async for chunk in self.process.stderr:
            self.stderr += chunk

    def _diagnosis(self, client: JsClient | None) -> str:
        parts = []
        if client is not None:
            parts.append(f"reports: {client.reports}")
        if self.orphans:
            parts.append(f"driver errors: {self.orphans}")
        if self.stderr:
            parts.append(f"node stderr:\n{self.stderr.decode(errors='replace')}")
        return "\n".join(parts)

    async def until(
        self, done: Callable[[], bool], what: str, timeout: float, client: JsClient | None = None
    ) -> None:
        def settled() -> bool:
            failed = client is not None and any(r["type"] == "error" for r in client.reports)
            return done() or failed or self.exited or bool(self.orphans)

        try:
            async with self.changed:
                await asyncio.wait_for(self.changed.wait_for(settled), timeout)
        except TimeoutError:
            diagnosis = self._diagnosis(client)
            raise DriverError(f"timed out after {timeout} s waiting for {what}\n{diagnosis}") from None
        if not done():
            state = "the node driver exited" if self.exited else "the node driver reported an error"
            raise DriverError(f"{state} while waiting for {what}\n{self._diagnosis(client)}")

    async def send(self, command: dict[str, Any]) -> None:
        if self.exited:
            raise DriverError(f"the node driver has exited\n{self._diagnosis(None)}")
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command).encode() + b"\n")
        await self.process.stdin.drain()

    async def open(
        self,
        url: str,
        transports: list[str],
        *,
        auth: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> JsClient:
        """Start connecting a new client; wait for neither outcome."""
        client = JsClient(self, f"c{next(self.ids)}")
        self.clients[client.id] = client
        command: dict[str, Any] = {
            "cmd": "connect",
            "id": client.id,
            "url": url,
            "transports": transports,
            "upgrade": len(transports) > 1,
        }
        if auth is not None:
            command["auth"] = auth
        if headers:
            command["extraHeaders"] = headers
        await self.send(command)
        return client

    async def settle(self, client: JsClient, timeout: float = 10) -> dict[str, Any]:
        """Wait until the handshake either succeeded or was refused; return that report."""
        await client.until(
            lambda: client.first("connect") is not None or client.first("connect_error") is not None,
            "connect or connect_error",
            timeout,
        )
        outcome = client.first("connect") or client.first("connect_error")
        assert outcome is not None
        return outcome

    async def close(self) -> None:
        for client in list(self.clients.values()):
            if not client.closed and client.first("connect") is not None:
                with contextlib.suppress(DriverError, ConnectionError):
                    await client.close()
        if self.process.stdin is not None and not self.process.stdin.is_closing():
            self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 5)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def connect(
    js: JsDriver,
    server: ServerProcess,
    transports: list[str],
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> JsClient:
    """Connect and prove the transport: in the upgrade case, wait until the engine is on WebSocket."""
    client = await js.open(
        server.url, transports, auth=None if token is None else {"token": token}, headers=headers
    )
    outcome = await js.settle(client)
    assert outcome["type"] == "connect", f"the server refused a valid client: {outcome}"
    assert isinstance(outcome["sid"], str) and outcome["sid"]
    if transports == UPGRADE:
        assert await client.wait_upgrade() == "websocket", client.reports
    else:
        assert outcome["transport"] == transports[0], outcome
    return client
