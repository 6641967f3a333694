"""The foundation's wire contract, proven with the official JS ``socket.io-client`` 4.x.

pytest starts ``node tests/js/client.mjs`` (see that file for its line protocol) and drives real
socket.io-client instances against a real server, over WebSocket, over polling, and over polling upgraded
to WebSocket: envelopes reach exactly their audience, refused handshakes carry ``{code, message}``,
the join policy answers ``forbidden``, and ``seq`` strictly increases (DESIGN §2-4).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import shutil
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import jwt
import pytest

from tests.support import Api, ServerProcess, User

NODE = shutil.which("node")
JS_DIR = Path(__file__).resolve().parents[1] / "js"
DRIVER = JS_DIR / "client.mjs"
UPGRADE = ["polling", "websocket"]
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

pytestmark = [
    pytest.mark.integration,
    pytest.mark.node,
    pytest.mark.skipif(NODE is None, reason="Node.js (`node`) is not installed; the JS client tests need it"),
]


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
    async def start(cls) -> JsDriver:
        assert NODE is not None
        process = await asyncio.create_subprocess_exec(
            NODE,
            str(DRIVER),
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


@pytest.fixture
async def js() -> AsyncIterator[JsDriver]:
    if not (JS_DIR / "node_modules" / "socket.io-client" / "package.json").is_file():
        pytest.fail(f"socket.io-client is not installed in {JS_DIR}: run `make node-deps`")
    driver = await JsDriver.start()
    try:
        yield driver
    finally:
        await driver.close()


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


def assert_transport_held(client: JsClient, transports: list[str]) -> None:
    """The client stayed on the transport under test all along (upgrade case: upgraded once)."""
    upgrades = [r["transport"] for r in client.reports if r["type"] == "upgrade"]
    assert upgrades == (["websocket"] if transports == UPGRADE else []), client.reports
    assert not [r for r in client.reports if r["type"] in {"disconnect", "upgrade_error"}], client.reports


async def refused(
    js: JsDriver, server: ServerProcess, transports: list[str], auth: dict[str, Any] | None
) -> dict[str, Any]:
    client = await js.open(server.url, transports, auth=auth)
    outcome = await js.settle(client)
    assert outcome["type"] == "connect_error", f"the server accepted a client it must refuse: {outcome}"
    return outcome


async def close_all(*clients: JsClient) -> None:
    await asyncio.gather(*(client.close() for client in clients), return_exceptions=True)


def mint(secret: str, user: User, *, exp_offset: int = 3600, algorithm: str = "HS256") -> str:
    now = int(time.time())
    claims = {"iss": "storewire", "sub": user.id, "role": user.role, "iat": now, "exp": now + exp_offset}
    if algorithm == "none":
        return jwt.encode(claims, key="", algorithm="none")
    return jwt.encode(claims, secret, algorithm=algorithm)


async def test_order_created_reaches_buyer_and_seller_in_one_envelope_and_nobody_else(
    server: ServerProcess, api: Api, js: JsDriver, transports: list[str]
) -> None:
    seller, buyer, other = (
        await api.register("seller"),
        await api.register("buyer"),
        await api.register("buyer"),
    )
    product = await api.product(seller, stock=5)
    variant = product["variants"][0]["id"]
    buyer_socket = await connect(js, server, transports, buyer.token)
    seller_socket = await connect(js, server, transports, seller.token)
    other_socket = await connect(js, server, transports, other.token)
    try:
        placed = await api.order(buyer, variant, 2)
        assert placed.status_code == 201, placed.text
        order = placed.json()

        (buyer_event,) = await buyer_socket.wait_for("order:created")
        (seller_event,) = await seller_socket.wait_for("order:created")
        assert buyer_event == seller_event  # one event, one envelope
        assert set(buyer_event) == {"id", "type", "epoch", "seq", "ts", "data", "invalidate"}
        assert buyer_event["type"] == "order:created"
        assert isinstance(buyer_event["id"], str) and buyer_event["id"].startswith("evt_")
        assert isinstance(buyer_event["seq"], int) and buyer_event["seq"] > 0
        assert isinstance(buyer_event["epoch"], str) and buyer_event["epoch"]
        assert TS.match(buyer_event["ts"]), buyer_event["ts"]
        assert buyer_event["data"]["order_id"] == order["id"]
        assert buyer_event["data"]["buyer_id"] == buyer.id
        assert buyer_event["data"]["seller_id"] == seller.id
        assert buyer_event["data"]["status"] == "pending"
        assert buyer_event["data"]["total_cents"] == 2500
        assert buyer_event["invalidate"] == [["orders", order["id"]], ["orders"]]

        # The unrelated buyer's socket works (it gets its own order) and got nothing before that.
        own = await api.order(other, variant, 1)
        assert own.status_code == 201, own.text
        (other_event,) = await other_socket.wait_for("order:created")
        assert other_event["data"]["order_id"] == own.json()["id"]
        assert other_event["seq"] > buyer_event["seq"]
        assert [name for name, _ in other_socket.events] == ["order:created"]
        assert len(buyer_socket.of("order:created")) == 1
        for client in (buyer_socket, seller_socket, other_socket):
            assert_transport_held(client, transports)
    finally:
        await close_all(buyer_socket, seller_socket, other_socket)


async def test_refused_handshakes_carry_code_and_message(
    server: ServerProcess, api: Api, js: JsDriver, transports: list[str]
) -> None:
    buyer = await api.register("buyer")
    cases: list[tuple[str, dict[str, Any] | None, str]] = [
        ("no token", None, "auth_required"),
        ("wrong secret", {"token": mint("not-the-server-secret-0123456789abcdef", buyer)}, "auth_invalid"),
        ("expired", {"token": mint(server.jwt_secret, buyer, exp_offset=-60)}, "auth_expired"),
        ("alg=none", {"token": mint(server.jwt_secret, buyer, algorithm="none")}, "auth_invalid"),
    ]
    outcomes = await asyncio.gather(*(refused(js, server, transports, auth) for _, auth, _ in cases))
    for (label, _, code), outcome in zip(cases, outcomes, strict=True):
        data = outcome["data"]
        # socket.io-client hands the application an Error built from the CONNECT_ERROR payload:
        # `err.message` is payload.message and `err.data` is payload.data, so {code, message} must be
        # sent as the payload's `data` for a JS application to see the code at all.
        assert isinstance(data, dict), (
            f"{label}: the JS client's connect_error has no data {{code, message}} (err.data is "
            f"CONNECT_ERROR payload.data): {outcome}"
        )
        assert set(data) == {"code", "message"}, (label, outcome)
        assert data["code"] == code, (label, outcome)
        assert isinstance(data["message"], str) and data["message"], (label, outcome)
    assert outcomes[0]["data"] == {"code": "auth_required", "message": "a token is required to connect"}

    # The same client and transport connect fine with a valid token.
    accepted = await connect(js, server, transports, mint(server.jwt_secret, buyer))
    await accepted.close()


async def test_authorization_header_is_accepted(
    server: ServerProcess, api: Api, js: JsDriver, transports: list[str]
) -> None:
    buyer = await api.register("buyer")
    client = await connect(js, server, transports, headers={"Authorization": f"Bearer {buyer.token}"})
    try:
        assert await client.join(f"user:{buyer.id}") == {"ok": True, "room": f"user:{buyer.id}"}
        assert_transport_held(client, transports)
    finally:
        await client.close()


async def test_join_policy_refuses_other_peoples_rooms(
    server: ServerProcess, api: Api, js: JsDriver, transports: list[str]
) -> None:
    seller, buyer, other = (
        await api.register("seller"),
        await api.register("buyer"),
        await api.register("buyer"),
    )
    product = await api.product(seller)
    placed = await api.order(buyer, product["variants"][0]["id"])
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    buyer_socket = await connect(js, server, transports, buyer.token)
    other_socket = await connect(js, server, transports, other.token)
    try:
        for room in (f"user:{buyer.id}", f"order:{order_id}"):
            ack = await other_socket.join(room)
            assert isinstance(ack, dict) and ack["ok"] is False, (room, ack)
            assert set(ack) == {"ok", "error"}, (room, ack)
            assert set(ack["error"]) == {"code", "message"}, (room, ack)
            assert ack["error"]["code"] == "forbidden", (room, ack)

        assert await buyer_socket.join(f"order:{order_id}") == {"ok": True, "room": f"order:{order_id}"}
        assert await buyer_socket.call("room:leave", {"room": f"order:{order_id}"}) == {"ok": True}
        for client in (buyer_socket, other_socket):
            assert_transport_held(client, transports)
    finally:
        await close_all(buyer_socket, other_socket)


async def test_seq_strictly_increases_over_status_changes(
    server: ServerProcess, api: Api, js: JsDriver, transports: list[str]
) -> None:
    seller, buyer = await api.register("seller"), await api.register("buyer")
    product = await api.product(seller)
    placed = await api.order(buyer, product["variants"][0]["id"])
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    buyer_socket = await connect(js, server, transports, buyer.token)
    seller_socket = await connect(js, server, transports, seller.token)
    try:
        # In the order room and in user:{buyer}: each event still arrives once.
        assert await buyer_socket.join(f"order:{order_id}") == {"ok": True, "room": f"order:{order_id}"}
        steps = ["confirmed", "preparing", "ready", "shipped", "delivered"]
        for step in steps:
            body = {"status": step, **({"tracking_number": "TRACK-1"} if step == "shipped" else {})}
            moved = await api.http.post(f"/orders/{order_id}/status", headers=seller.headers, json=body)
            assert moved.status_code == 200, moved.text

        events = await buyer_socket.wait_for("order:status_changed", len(steps))
        seller_events = await seller_socket.wait_for("order:status_changed", len(steps))
        assert [e["data"]["status"] for e in events] == steps
        seqs = [e["seq"] for e in events]
        assert all(isinstance(seq, int) for seq in seqs), seqs
        assert all(a < b for a, b in itertools.pairwise(seqs)), seqs
        assert len({e["id"] for e in events}) == len(steps)
        assert len({e["epoch"] for e in events}) == 1
        assert seller_events == events  # the same envelopes, in the same order
        await asyncio.sleep(0.2)  # a duplicate would have arrived by now
        assert len(buyer_socket.of("order:status_changed")) == len(steps)
        for client in (buyer_socket, seller_socket):
            assert_transport_held(client, transports)
    finally:
        await close_all(buyer_socket, seller_socket)
