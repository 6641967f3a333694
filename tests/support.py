"""Test helpers: the server process handle, an API client with users and products, socket clients."""

from __future__ import annotations

import asyncio
import os
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


async def _user_token(server: ServerProcess, api: Api, role: str, seller_id: str | None = None) -> str:
    """Create an admin or staff user through the CLI, as an operator would, and log in."""
    email = f"{role}-{secrets.token_hex(6)}@example.com"
    command = [
        sys.executable,
        "-m",
        "storewire",
        "users",
        "create",
        "--email",
        email,
        "--password",
        PASSWORD,
        "--role",
        role,
    ]
    if seller_id:
        command += ["--seller-id", seller_id]
    env = {**_server_env(server)}
    done = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
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
