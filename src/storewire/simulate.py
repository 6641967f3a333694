"""``storewire demo --simulate``: realistic traffic against a running demo server, so dashboards move.

It speaks only the server's public API, as the demo accounts (``storewire demo`` seeds them): REST
with httpx, and a minimal Socket.IO client (``SocketIO``) for ``page:navigate``. Each step is one
action chosen at random from a seeded generator: buyers place orders or check out carts (with an
``Idempotency-Key``), pay them through the dev payment endpoint (most succeed, some fail), sellers and
kitchen staff move paid orders along, sellers restock what runs low (so stock never runs out for
good), buyers open support chats that sellers answer, and buyers navigate pages.

Errors the server answers with (409 ``insufficient_stock``, ...) are counted, never fatal; a server
that cannot be reached is a ``SimulationError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

import httpx
from websockets.asyncio.client import ClientConnection, connect

from storewire.demo_data import DEMO_PASSWORD, USERS

__all__ = ["COUNTS", "SimulationError", "SocketIO", "Tally", "simulate"]

COUNTS = ("orders", "paid", "failed", "status", "restocks", "chats", "navigations", "errors")
FLOW = ("pending", "confirmed", "preparing", "ready", "shipped", "delivered")
SOCKET_TIMEOUT = 10.0  # seconds for a socket to connect, or an emit to be acknowledged
MAX_TRANSPORT_FAILURES = 5  # in a row: the server went away
CHAT_LINES = (
    "Hi! Is this still in stock?",
    "Do you ship to Austria?",
    "Can I change the delivery address of my order?",
    "Could you gift-wrap it, please?",
)
REPLIES = ("Yes, it ships today.", "Sure, done!", "Let me check with the kitchen.", "Thanks for asking!")


class SimulationError(Exception):
    """The server cannot be reached, or holds no demo accounts."""


@dataclass
class Tally:
    """What the simulation did so far: ``line()`` is the progress line and the final summary."""

    counts: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        return f"{elapsed:.1f} s  " + "  ".join(f"{name} {self.counts[name]}" for name in COUNTS)


class SocketIO:
    """A minimal Socket.IO v5 client over Engine.IO v4's WebSocket transport (text frames only).

    Enough to connect with a token and emit events with an acknowledgement: it answers the server's
    pings ("2" -> "3") and ignores the events pushed to it. The full clients (python-socketio,
    socket.io-client) are not runtime dependencies; ``websockets`` is one.
    """

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.acks: dict[int, asyncio.Future[Any]] = {}
        self.next_id = 0
        self.reader: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, url: str, token: str) -> SocketIO:
        """Connect to ``/socket.io/`` and complete the namespace CONNECT with ``auth.token``."""
        ws_url = "ws" + url.removeprefix("http") + "/socket.io/?EIO=4&transport=websocket"
        ws = await connect(ws_url, open_timeout=SOCKET_TIMEOUT, proxy=None, compression=None)
        client = cls(ws)
        try:
            async with asyncio.timeout(SOCKET_TIMEOUT):
                opened = str(await ws.recv())
                if not opened.startswith("0"):
                    raise SimulationError(f"unexpected Engine.IO open packet: {opened[:80]}")
                await ws.send("40" + json.dumps({"token": token}))
                while True:
                    packet = str(await ws.recv())
                    if packet == "2":
                        await ws.send("3")
                    elif packet.startswith("40"):
                        break
                    elif packet.startswith("44"):
                        raise SimulationError(f"the socket was refused: {packet[2:]}")
        except BaseException:
            await ws.close()
            raise
        client.reader = asyncio.create_task(client._read())
        return client

    async def emit(self, event: str, data: Any) -> Any:
        """Emit ``event`` and return its acknowledgement."""
        self.next_id += 1
        ack: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.acks[self.next_id] = ack
        await self.ws.send(f"42{self.next_id}" + json.dumps([event, data]))
        try:
            return await asyncio.wait_for(ack, SOCKET_TIMEOUT)
        finally:
            self.acks.pop(self.next_id, None)

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                packet = str(frame)
                if packet == "2":
                    await self.ws.send("3")
                elif packet.startswith("43"):  # ACK: "43<id>[args]"
                    digits = len(packet[2:]) - len(packet[2:].lstrip("0123456789"))
                    future = self.acks.get(int(packet[2 : 2 + digits] or 0))
                    if future is not None and not future.done():
                        args = json.loads(packet[2 + digits :])
                        future.set_result(args[0] if args else None)
        finally:
            for future in self.acks.values():
                if not future.done():
                    future.set_exception(ConnectionError("the socket closed"))

    async def close(self) -> None:
        """Leave the namespace and close the WebSocket."""
        with contextlib.suppress(Exception):
            await self.ws.send("41")
        await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.reader


@dataclass
class Actor:
    """A demo account, logged in."""

    key: str
    email: str
    role: str
    works_for: str | None
    user_id: str = ""
    token: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Variant:
    id: str
    seller_id: str
    product_id: str
    stock: int
    threshold: int


@dataclass
class Order:
    id: str
    buyer_id: str
    seller_id: str
    status: str
    payment: str


class Simulator:
    """Logs the demo accounts in, learns the catalogue and open orders, then runs one action a step."""

    def __init__(self, url: str, http: httpx.AsyncClient, rng: random.Random, tally: Tally) -> None:
        self.url = url
        self.http = http
        self.rng = rng
        self.tally = tally
        self.actors = {user.key: Actor(user.key, user.email, user.role, user.works_for) for user in USERS}
        self.variants: dict[str, Variant] = {}
        self.orders: dict[str, Order] = {}
        self.sockets: dict[str, SocketIO] = {}
        self.failures = 0  # transport failures in a row

    def of_role(self, role: str) -> list[Actor]:
        return [actor for actor in self.actors.values() if actor.role == role]

    async def start(self) -> None:
        for actor in self.actors.values():
            await self.login(actor)
        for seller in self.of_role("seller"):
            await self.refresh_stock(seller)
        if not self.variants:
            raise SimulationError("the demo stores have no published products to order")
        response = await self.call(self.actors["admin"], "GET", "/orders")
        sellers = {seller.user_id for seller in self.of_role("seller")}
        for row in response.json() if response is not None and response.is_success else []:
            if row["seller_id"] in sellers:  # the demo's own stores: the ones it can move along
                self.track(row)

    async def login(self, actor: Actor) -> None:
        try:
            body = {"email": actor.email, "password": DEMO_PASSWORD}
            response = await self.http.post("/auth/login", json=body)
        except httpx.TransportError as exc:
            raise SimulationError(f"cannot reach the server at {self.url}: {exc!r}") from exc
        if response.status_code != 200:
            raise SimulationError(
                f"cannot log in as the demo account {actor.email} ({response.status_code}): "
                "start the server with --demo (or run `storewire demo` on its database)"
            )
        session = response.json()
        actor.user_id, actor.token = session["user"]["id"], session["access_token"]

    async def call(
        self, actor: Actor, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response | None:
        """One request as ``actor`` (logged in again on a 401). Error answers are counted and returned;
        a transport failure is counted and gives None, and too many in a row end the simulation."""
        try:
            response = await self.http.request(
                method, path, headers={**actor.headers, **(headers or {})}, **kwargs
            )
            if response.status_code == 401:  # the token expired: a long simulation outlives it
                await self.login(actor)
                response = await self.http.request(
                    method, path, headers={**actor.headers, **(headers or {})}, **kwargs
                )
        except httpx.TransportError as exc:
            self.tally.counts["errors"] += 1
            self.failures += 1
            if self.failures >= MAX_TRANSPORT_FAILURES:
                raise SimulationError(f"lost the server at {self.url}: {exc!r}") from exc
            return None
        self.failures = 0
        if response.status_code >= 400:
            self.tally.counts["errors"] += 1
        return response

    def track(self, row: dict[str, Any]) -> None:
        """Remember a live order; forget one that is done (delivered, cancelled, refunded)."""
        if row["status"] in FLOW[:-1]:
            self.orders[row["id"]] = Order(
                row["id"], row["buyer_id"], row["seller_id"], row["status"], row["payment_status"]
            )
        else:
            self.orders.pop(row["id"], None)

    def seller_of(self, seller_id: str) -> Actor:
        return next(a for a in self.of_role("seller") if a.user_id == seller_id)

    def crew_of(self, seller: Actor) -> list[Actor]:
        """The seller and its staff: who moves its orders along."""
        return [seller, *(a for a in self.of_role("staff") if a.works_for == seller.key)]

    # -- the actions -------------------------------------------------------------------------------

    async def step(self) -> None:
        """One action, chosen at random by weight."""
        actions: list[tuple[Callable[[], Awaitable[None]], float]] = [
            (self.place_order, 3),
            (self.checkout, 1),
            (self.pay, 3),
            (self.advance, 4),
            (self.restock, 1),
            (self.chat, 1.5),
            (self.navigate, 2),
        ]
        action = self.rng.choices([a for a, _ in actions], [w for _, w in actions])[0]
        await action()

    def idempotency(self) -> dict[str, str]:
        # Fresh on every run, seeded or not: a repeated key would replay an earlier run's order.
        return {"Idempotency-Key": f"sim-{uuid.uuid4()}"}

    async def place_order(self) -> None:
        buyer = self.rng.choice(self.of_role("buyer"))
        seller_id = self.rng.choice(sorted({v.seller_id for v in self.variants.values()}))
        choices = [v for v in self.variants.values() if v.seller_id == seller_id]
        lines = self.rng.sample(choices, k=min(len(choices), self.rng.randint(1, 2)))
        items = [{"variant_id": v.id, "quantity": self.rng.randint(1, 3)} for v in lines]
        response = await self.call(
            buyer, "POST", "/orders", json={"items": items}, headers=self.idempotency()
        )
        await self.placed(response)

    async def placed(self, response: httpx.Response | None) -> None:
        """Record what an order or a checkout placed; restock what was short or ran low."""
        if response is None:
            return
        if response.status_code == 409 and response.json().get("code") == "insufficient_stock":
            variant = self.variants.get(response.json().get("variant_id", ""))
            if variant is not None:
                await self.set_stock(variant)
            return
        if not response.is_success:
            return
        body = response.json()
        for row in body.get("orders", [body]):
            self.track(row)
            self.tally.counts["orders"] += 1
            for item in row["items"]:
                variant = self.variants.get(item["variant_id"])
                if variant is not None:
                    variant.stock -= item["quantity"]
                    # Leave some variants below their threshold for a while: dashboards show low stock.
                    if variant.stock <= variant.threshold and self.rng.random() < 0.3:
                        await self.set_stock(variant)

    async def checkout(self) -> None:
        buyer = self.rng.choice(self.of_role("buyer"))
        variant = self.rng.choice(list(self.variants.values()))
        body = {"variant_id": variant.id, "quantity": self.rng.randint(1, 2)}
        await self.call(buyer, "POST", "/cart/items", json=body)
        response = await self.call(buyer, "POST", "/cart/checkout", headers=self.idempotency())
        await self.placed(response)
        if response is not None and response.status_code == 409:
            await self.call(buyer, "DELETE", "/cart")  # a cart that cannot be ordered is dropped

    async def pay(self) -> None:
        unpaid = [o for o in self.orders.values() if o.payment == "unpaid"]
        if not unpaid:
            return await self.place_order()
        order = self.rng.choice(unpaid)
        # Its buyer pays; an order of someone outside the demo accounts is paid by the admin.
        buyers = [a for a in self.of_role("buyer") if a.user_id == order.buyer_id]
        buyer = buyers[0] if buyers else self.actors["admin"]
        outcome = "succeeded" if self.rng.random() < 0.85 else "failed"
        path = f"/dev/payments/{order.id}"
        response = await self.call(buyer, "POST", path, json={"outcome": outcome})
        if response is None or not response.is_success:
            self.orders.pop(order.id, None)  # not payable (changed meanwhile): leave it be
            return
        reply = response.json()
        self.track(reply["order"])
        if reply["result"] == "applied":
            self.tally.counts["paid" if outcome == "succeeded" else "failed"] += 1

    async def advance(self) -> None:
        paid = [o for o in self.orders.values() if o.payment == "paid"]
        if not paid:
            return await self.pay()
        order = self.rng.choice(paid)
        target = FLOW[FLOW.index(order.status) + 1]
        body: dict[str, Any] = {"status": target}
        if target == "shipped":
            body["tracking_number"] = f"SIM{self.rng.randrange(10**12):012d}"
        actor = self.rng.choice(self.crew_of(self.seller_of(order.seller_id)))
        response = await self.call(actor, "POST", f"/orders/{order.id}/status", json=body)
        if response is not None and response.is_success:
            self.track(response.json())
            self.tally.counts["status"] += 1
        else:
            self.orders.pop(order.id, None)

    async def restock(self) -> None:
        seller = self.rng.choice(self.of_role("seller"))
        await self.refresh_stock(seller)
        for variant in [v for v in self.variants.values() if v.seller_id == seller.user_id]:
            if variant.stock <= variant.threshold:
                await self.set_stock(variant)

    async def refresh_stock(self, seller: Actor) -> None:
        path = f"/storefronts/{seller.user_id}/products"
        response = await self.call(seller, "GET", path)
        if response is None or not response.is_success:
            return
        for product in response.json():
            if product["status"] != "published":
                continue
            for row in product["variants"]:
                self.variants[row["id"]] = Variant(
                    row["id"], seller.user_id, product["id"], row["stock"], row["low_stock_threshold"]
                )

    async def set_stock(self, variant: Variant) -> None:
        seller = self.seller_of(variant.seller_id)
        quantity = variant.threshold * 3 + self.rng.randint(5, 20)
        response = await self.call(
            seller, "PUT", f"/variants/{variant.id}/stock", json={"quantity": quantity}
        )
        if response is not None and response.is_success:
            variant.stock = quantity
            self.tally.counts["restocks"] += 1

    async def chat(self) -> None:
        buyer = self.rng.choice(self.of_role("buyer"))
        seller = self.rng.choice(self.of_role("seller"))
        body = {"seller_id": seller.user_id, "subject": "A question about my order"}
        room = await self.call(buyer, "POST", "/chat/rooms", json=body)
        if room is None or not room.is_success:
            return
        messages = f"/chat/rooms/{room.json()['id']}/messages"
        sent = await self.call(buyer, "POST", messages, json={"body": self.rng.choice(CHAT_LINES)})
        if sent is not None and sent.is_success:
            self.tally.counts["chats"] += 1
        if self.rng.random() < 0.6:
            answer = self.rng.choice(self.crew_of(seller))
            reply = await self.call(answer, "POST", messages, json={"body": self.rng.choice(REPLIES)})
            if reply is not None and reply.is_success:
                self.tally.counts["chats"] += 1

    async def navigate(self) -> None:
        buyer = self.rng.choice(self.of_role("buyer"))
        variant = self.rng.choice(list(self.variants.values()))
        path = self.rng.choice(
            ["/", "/cart", "/orders", f"/stores/{variant.seller_id}", f"/products/{variant.product_id}"]
        )
        try:
            socket = self.sockets.get(buyer.key)
            if socket is None:
                socket = self.sockets[buyer.key] = await SocketIO.open(self.url, buyer.token)
            ack = await socket.emit("page:navigate", {"path": path})
        except (OSError, TimeoutError, ConnectionError, SimulationError):
            self.tally.counts["errors"] += 1
            dead = self.sockets.pop(buyer.key, None)
            if dead is not None:
                await dead.close()
            return
        counted = "navigations" if isinstance(ack, dict) and ack.get("ok") else "errors"
        self.tally.counts[counted] += 1

    async def close(self) -> None:
        for socket in self.sockets.values():
            await socket.close()


async def simulate(
    url: str,
    tally: Tally,
    rate: float = 2,
    duration: float | None = None,
    seed: int | None = None,
    progress: TextIO = sys.stderr,
) -> None:
    """Run the traffic against the server at ``url``: ``rate`` actions a second, for ``duration``
    seconds (None: until cancelled), updating ``tally`` and a ``\\r`` progress line on ``progress``."""
    url = url.rstrip("/")
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=f"{url}/api/v1", timeout=30) as http:
        sim = Simulator(url, http, rng, tally)
        try:
            await sim.start()
            await _run(sim, rate, duration, progress)
        finally:
            await sim.close()


async def _run(sim: Simulator, rate: float, duration: float | None, progress: TextIO) -> None:
    tally = sim.tally
    tally.started = time.monotonic()
    interval, shown = 1 / rate, 0.0
    deadline = None if duration is None else tally.started + duration
    next_at = tally.started
    try:
        while deadline is None or time.monotonic() < deadline:
            await sim.step()
            now = time.monotonic()
            if now - shown >= 0.25:  # a few updates a second are readable; more only flickers
                progress.write("\r" + tally.line())
                progress.flush()
                shown = now
            next_at = max(next_at + interval, now - interval)  # behind schedule: no burst
            end = next_at if deadline is None else min(next_at, deadline)
            await asyncio.sleep(max(0.0, end - now))
    finally:
        progress.write("\r" + tally.line() + "\n")
        progress.flush()
