"""Test helpers: the server process handle, an API client with users and products, socket clients, and
the proofs that an event reached exactly its rooms (``assert_envelope``, ``one_each``, ``Audience``)."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import socketio

PASSWORD = "correct horse battery"


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    url: str
    jwt_secret: str
    log: IO[bytes]
    tmp: Path
    database_url: str

    def stop(self) -> None:
        terminate(self.process)
        self.log.close()


def terminate(process: subprocess.Popen[bytes], timeout: float = 10) -> bool:
    """SIGTERM and wait; SIGKILL when it has not exited in ``timeout``. True if it exited by itself."""
    if process.poll() is not None:
        return True
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return False
    return True


@dataclass
class User:
    id: str
    email: str
    role: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Api:
    """A thin REST client for tests: registers users, creates products, places orders."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.AsyncClient(base_url=f"{url}/api/v1", timeout=30)

    async def close(self) -> None:
        await self.http.aclose()

    async def register(self, role: str = "buyer") -> User:
        email = f"{role}-{secrets.token_hex(6)}@example.com"
        created = await self.http.post(
            "/auth/register",
            json={"email": email, "password": PASSWORD, "name": f"{role} user", "role": role},
        )
        assert created.status_code == 201, created.text
        login = await self.http.post("/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        body = login.json()
        return User(body["user"]["id"], email, role, body["access_token"])

    async def product(self, seller: User, *, stock: int = 10, status: str = "published") -> dict[str, Any]:
        response = await self.http.post(
            "/products",
            headers=seller.headers,
            json={
                "name": "Test Beans",
                "status": status,
                "variants": [{"name": "250 g", "price_cents": 1250, "currency": "EUR", "stock": stock}],
            },
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def order(self, buyer: User, variant_id: str, quantity: int = 1, **headers: str) -> httpx.Response:
        return await self.http.post(
            "/orders",
            headers={**buyer.headers, **headers},
            json={"items": [{"variant_id": variant_id, "quantity": quantity}]},
        )


@dataclass
class Listener:
    """A python-socketio client that records every event it receives."""

    client: socketio.AsyncClient
    events: list[tuple[str, Any]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def of(self, name: str) -> list[Any]:
        return [data for event, data in self.events if event == name]

    async def wait_for(self, name: str, count: int = 1, timeout: float = 10) -> list[Any]:
        async def enough() -> None:
            while len(self.of(name)) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(enough(), timeout)
        return self.of(name)

    async def wait_for_match(self, name: str, match: Callable[[Any], bool], timeout: float = 10) -> Any:
        """The first ``name`` event whose payload satisfies ``match``, waiting for it if need be."""

        async def found() -> Any:
            while True:
                for data in self.of(name):
                    if match(data):
                        return data
                self.arrived.clear()
                await self.arrived.wait()

        return await asyncio.wait_for(found(), timeout)

    async def join(self, room: str) -> dict[str, Any]:
        ack: dict[str, Any] = await self.client.call("room:join", {"room": room}, timeout=10)
        return ack

    async def close(self) -> None:
        await self.client.disconnect()


async def close_all(*listeners: Listener) -> None:
    await asyncio.gather(*(listener.close() for listener in listeners), return_exceptions=True)


async def listen(url: str, token: str | None, transports: list[str], **connect: Any) -> Listener:
    """Connect a python-socketio AsyncClient and record everything it receives."""
    client = socketio.AsyncClient(reconnection=False)
    listener = Listener(client)

    async def record(event: str, *args: Any) -> None:
        listener.events.append((event, args[0] if len(args) == 1 else list(args)))
        listener.arrived.set()

    client.on("*", record)
    auth = {"token": token} if token is not None else None
    await client.connect(url, auth=auth, transports=transports, wait_timeout=10, **connect)
    return listener


async def refusal(
    url: str, transports: list[str], auth: Any = None, headers: dict[str, str] | None = None
) -> Any:
    """Try to connect and return the ``connect_error`` data the server refused with.

    The CONNECT_ERROR packet is ``{message, data}``: JS clients expose ``data`` as ``err.data``;
    python-socketio hands over the whole packet, so this returns its ``data``.
    """
    client = socketio.AsyncClient(reconnection=False)
    errors: asyncio.Queue[Any] = asyncio.Queue()

    @client.event
    async def connect_error(data: Any) -> None:
        errors.put_nowait(data)

    try:
        await client.connect(url, auth=auth, headers=headers or {}, transports=transports, wait_timeout=10)
    except socketio.exceptions.ConnectionError:
        pass
    else:
        await client.disconnect()
        raise AssertionError("the server accepted a connection it should refuse")
    finally:
        await client.disconnect()
    packet = await asyncio.wait_for(errors.get(), 5)
    assert set(packet) == {"message", "data"}, packet
    assert packet["message"] == packet["data"]["message"], packet
    return packet["data"]


def cli_user(server: ServerProcess, role: str, seller_id: str | None = None) -> str:
    """Create an admin or staff user through the CLI, as an operator would; returns its email."""
    email = f"{role}-{secrets.token_hex(6)}@example.com"
    command = [sys.executable, "-m", "storewire", "users", "create", "--email", email]
    command += ["--password", PASSWORD, "--role", role]
    command += ["--seller-id", seller_id] if seller_id else []
    done = subprocess.run(command, env=_server_env(server), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return email


async def _user_token(server: ServerProcess, api: Api, role: str, seller_id: str | None = None) -> str:
    """Create an admin or staff user through the CLI (``cli_user``) and log in."""
    email = await asyncio.to_thread(cli_user, server, role, seller_id)
    login = await api.http.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    token: str = login.json()["access_token"]
    return token


def _server_env(server: ServerProcess) -> dict[str, str]:
    return {
        **os.environ,
        "STOREWIRE_DATABASE_URL": server.database_url,
        "STOREWIRE_JWT_SECRET": server.jwt_secret,
    }


class Fence:
    """Proves a socket got nothing more: every listener joins one public storefront, and a product
    published there reaches them all after every earlier event (delivery is in ``seq`` order)."""

    def __init__(self, api: Api, seller: User) -> None:
        self.api = api
        self.seller = seller
        self.room = f"storefront:{seller.id}"

    @classmethod
    async def create(cls, api: Api) -> Fence:
        return cls(api, await api.register("seller"))

    async def join(self, *listeners: Listener) -> None:
        for listener in listeners:
            ack = await listener.join(self.room)
            assert ack == {"ok": True, "room": self.room}, ack

    async def wait(self, *listeners: Listener) -> None:
        """Returns once every listener got the fence event: all it will get before that is in."""
        product = await self.api.product(self.seller)
        for listener in listeners:
            await listener.wait_for_match(
                "product:created", lambda e: e["data"]["product_id"] == product["id"]
            )


ENVELOPE = {"id", "type", "epoch", "seq", "ts", "data", "invalidate"}
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def assert_envelope(event: dict[str, Any], name: str) -> None:
    """``event`` is a full envelope of event ``name`` (DESIGN §4)."""
    assert set(event) == ENVELOPE, event
    assert event["type"] == name
    assert event["id"].startswith("evt_")
    assert isinstance(event["seq"], int) and event["seq"] > 0
    assert re.fullmatch(r"[0-9a-f]{16}", event["epoch"])
    assert TS.match(event["ts"]), event["ts"]


async def one_each(name: str, *listeners: Listener) -> dict[str, Any]:
    """The one ``name`` event each listener got (waiting for it): the same full envelope for all."""
    events = [(await listener.wait_for(name))[0] for listener in listeners]
    for listener in listeners:
        assert len(listener.of(name)) == 1, listener.of(name)
    assert all(event == events[0] for event in events)
    first: dict[str, Any] = events[0]
    assert_envelope(first, name)
    return first


class Audience:
    """Named sockets that all joined one ``Fence``: once ``settle`` returns, what they got is final, so
    ``assert_reached`` proves an event reached exactly some of them, and nothing reached the others."""

    def __init__(self, sockets: dict[str, Listener], fence: Fence) -> None:
        self.sockets = sockets
        self.fence = fence

    def __getitem__(self, who: str) -> Listener:
        return self.sockets[who]

    async def settle(self) -> None:
        """Everything sent so far has arrived on every socket."""
        await self.fence.wait(*self.sockets.values())

    def got(self, name: str, **data: Any) -> dict[str, list[dict[str, Any]]]:
        """Per socket, the ``name`` events whose data contains ``data``."""
        return {
            who: [e for e in sock.of(name) if all(e["data"].get(k) == v for k, v in data.items())]
            for who, sock in self.sockets.items()
        }

    def assert_reached(self, name: str, who: set[str], count: int = 1, **data: Any) -> list[dict[str, Any]]:
        """After ``settle``: the sockets ``who``, and no other, got ``count`` ``name`` events whose data
        contains ``data``, each a full envelope, the same envelopes in the same order. Returns them."""
        received = self.got(name, **data)
        assert {w for w, events in received.items() if events} == who, (name, received)
        reached = [events for events in received.values() if events]
        assert all(len(events) == count for events in reached), (name, received)
        assert all(events == reached[0] for events in reached)  # one envelope for everyone
        for envelope in reached[0]:
            assert_envelope(envelope, name)
        assert len({e["id"] for e in reached[0]}) == count
        return reached[0]

    async def close(self) -> None:
        await close_all(*self.sockets.values())


async def open_audience(url: str, api: Api, tokens: dict[str, str], transports: list[str]) -> Audience:
    """Connect one socket per ``tokens`` entry (its name: the token) and join them all to a new fence."""
    fence = await Fence.create(api)
    sockets: dict[str, Listener] = {}
    try:
        for who, token in tokens.items():
            sockets[who] = await listen(url, token, transports)
        await fence.join(*sockets.values())
    except BaseException:
        await close_all(*sockets.values())
        raise
    return Audience(sockets, fence)


def assert_problem(response: httpx.Response, status: int, code: str) -> None:
    """``response`` is problem JSON (RFC 9457) with this status and ``code``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code, response.text


# -- orders: one seller with its staff and an admin, orders placed with them, and an order's audience ---


@dataclass
class Crew:
    """One seller with a kitchen staff member, and an admin (created once per module: the CLI is slow)."""

    seller: User
    staff_token: str
    admin_token: str


def make_crew(server: ServerProcess) -> Crew:
    with httpx.Client(base_url=f"{server.url}/api/v1", timeout=30) as http:

        def login(email: str) -> dict[str, Any]:
            response = http.post("/auth/login", json={"email": email, "password": PASSWORD})
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        email = f"seller-{secrets.token_hex(6)}@example.com"
        body = {"email": email, "password": PASSWORD, "name": "seller user", "role": "seller"}
        assert http.post("/auth/register", json=body).status_code == 201
        session = login(email)
        seller = User(session["user"]["id"], email, "seller", session["access_token"])
        staff = login(cli_user(server, "staff", seller.id))["access_token"]
        return Crew(seller, staff, login(cli_user(server, "admin"))["access_token"])


async def place(api: Api, crew: Crew, stock: int = 5, quantity: int = 2) -> tuple[User, dict[str, Any], str]:
    """A new buyer's order of ``quantity`` units of a new product of the crew's seller."""
    buyer = await api.register("buyer")
    product = await api.product(crew.seller, stock=stock)
    placed = await api.order(buyer, product["variants"][0]["id"], quantity)
    assert placed.status_code == 201, placed.text
    return buyer, product, placed.json()["id"]


async def stock_of(api: Api, seller: User, product: dict[str, Any]) -> int:
    response = await api.http.get(f"/products/{product['id']}", headers=seller.headers)
    assert response.status_code == 200, response.text
    stock: int = response.json()["variants"][0]["stock"]
    return stock


ORDER_FIELDS = {
    "order_id",
    "buyer_id",
    "seller_id",
    "status",
    "payment_status",
    "total_cents",
    "currency",
    "tracking_number",
}


class OrderAudience(Audience):
    """One order's audience: its buyer (``user:{buyer}``), its seller (``user:{seller}``), the seller's
    staff (``kitchen:{seller}``), an admin in ``order:{id}`` only (admins are not in the other rooms of
    these events), and an outsider who must get nothing."""

    MEMBERS = {"buyer", "seller", "staff", "room"}

    def __init__(self, sockets: dict[str, Listener], fence: Fence, order_id: str) -> None:
        super().__init__(sockets, fence)
        self.order_id = order_id
        self.buyer, self.seller, self.outsider = sockets["buyer"], sockets["seller"], sockets["outsider"]
        self.members = [sockets[who] for who in ("buyer", "seller", "staff", "room")]

    @classmethod
    async def open(
        cls, server: ServerProcess, api: Api, crew: Crew, buyer: User, order_id: str, transports: list[str]
    ) -> OrderAudience:
        outsider = await api.register("buyer")
        tokens = {
            "buyer": buyer.token,
            "seller": crew.seller.token,
            "staff": crew.staff_token,
            "room": crew.admin_token,
            "outsider": outsider.token,
        }
        crowd = await open_audience(server.url, api, tokens, transports)
        audience = cls(crowd.sockets, crowd.fence, order_id)
        try:
            room = f"order:{order_id}"
            assert await audience["room"].join(room) == {"ok": True, "room": room}
            # An outsider may not join the order's room either.
            refused = await audience.outsider.join(room)
            assert refused["ok"] is False and refused["error"]["code"] == "forbidden", refused
        except BaseException:
            await audience.close()
            raise
        return audience

    def of(self, listener: Listener, name: str) -> list[dict[str, Any]]:
        return [e for e in listener.of(name) if e["data"].get("order_id") == self.order_id]

    async def expect(self, name: str, count: int = 1) -> list[dict[str, Any]]:
        """After ``settle``: each member got exactly ``count`` ``name`` events of this order, the same
        envelopes in the same order, and the outsider got nothing but the fences."""
        await self.settle()
        events = self.assert_reached(name, self.MEMBERS, count, order_id=self.order_id)
        for envelope in events:
            assert set(envelope["data"]) >= ORDER_FIELDS, envelope["data"]
            assert envelope["invalidate"] == [["orders", self.order_id], ["orders"]]
        self.assert_outsider_clean()
        return events

    def assert_outsider_clean(self) -> None:
        assert [e for e, _ in self.outsider.events if e != "product:created"] == []
