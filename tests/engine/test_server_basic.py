"""Connect, events, rooms, acks both ways and binary over WebSocket, polling and polling->WebSocket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import socketio
from test_server_support import serve

from storewire.engine import ConnectionRefused, Server, Socket

TRANSPORTS = [["websocket"], ["polling"], ["polling", "websocket"]]


class App:
    """A small application on the engine, recording what the handlers saw."""

    def __init__(self) -> None:
        self.server = Server(ping_interval=1, ping_timeout=1)
        self.connected: list[tuple[Socket, Any]] = []
        self.disconnected: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self.server.on_connect(self.on_connect)
        self.server.on_event(self.on_event)
        self.server.on_disconnect(self.on_disconnect)
        self.server.on_connect(self.on_connect_admin, nsp="/admin")

    async def on_connect(self, sock: Socket, auth: Any) -> None:
        if auth.get("token") == "bad":
            raise ConnectionRefused({"message": "unauthorized", "data": {"code": 401}})
        self.server.enter_room(sock.sid, "shop:1")
        self.server.emit_to(sock.sid, "welcome", sock.sid)
        self.connected.append((sock, auth))

    async def on_connect_admin(self, sock: Socket, auth: Any) -> None:
        raise ConnectionRefused("admins only")

    async def on_event(self, sock: Socket, event: str, args: list[Any]) -> Any:
        if event == "echo":
            return args
        if event == "boom":
            raise RuntimeError("handler bug")
        if event == "shout":
            self.server.emit("shouted", *args, rooms="shop:1")
        return None

    async def on_disconnect(self, sock: Socket, reason: str) -> None:
        await self.disconnected.put((sock.sid, reason))


@pytest.fixture
async def app() -> AsyncIterator[tuple[App, str]]:
    application = App()
    async with serve(application.server.asgi(), ws=application.server.uvicorn_ws_protocol()) as url:
        yield application, url
        await application.server.shutdown()


async def _client(
    url: str, transports: list[str], auth: dict[str, Any] | None = None
) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(url, transports=transports, auth=auth or {"token": "ok"}, wait_timeout=10)
    return client


@pytest.mark.parametrize("transports", TRANSPORTS, ids=lambda t: "+".join(t))
async def test_connect_emit_ack(app: tuple[App, str], transports: list[str]) -> None:
    application, url = app
    server = application.server
    client = socketio.AsyncClient(reconnection=False)
    inbox: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    client.on("welcome", lambda sid: inbox.put_nowait(("welcome", sid)))
    client.on("shouted", lambda *a: inbox.put_nowait(("shouted", a)))
    client.on("question", lambda *a: ("answer", *a))
    await client.connect(url, transports=transports, auth={"token": "ok"}, wait_timeout=10)
    try:
        assert client.transport() == transports[-1]
        sock, auth = application.connected[-1]
        assert auth == {"token": "ok"}
        assert sock.transport == transports[-1]
        assert sock.rooms == {sock.sid, "shop:1"}
        assert sock.remote_addr == "127.0.0.1"
        assert "host" in sock.headers
        assert sock.query["EIO"] == "4"
        assert await inbox.get() == ("welcome", sock.sid)

        # client -> server with ack: the handler's return value is the ack's args
        assert await client.call("echo", {"a": 1}, timeout=10) == {"a": 1}
        # a failing handler still answers the ack (with no args) and keeps the connection
        assert await client.call("boom", timeout=10) is None
        assert client.connected

        # fan-out into a room
        await client.emit("shout", ("hi", 2))
        assert await inbox.get() == ("shouted", ("hi", 2))
        assert server.room_size("shop:1") == 1
        assert server.emit("shouted", "direct", rooms=["shop:1", sock.sid]) == 1  # de-duplicated
        assert await inbox.get() == ("shouted", ("direct",))
        assert server.emit("shouted", "nobody", rooms="shop:1", exclude_sid=sock.sid) == 0

        # server -> client with ack
        assert await server.call(sock.sid, "question", 42, timeout=10) == ["answer", 42]
        # binary both ways
        assert await client.call("echo", (b"\x00\x01", [b"\x02"]), timeout=10) == (b"\x00\x01", [b"\x02"])
        assert await server.call(sock.sid, "question", b"\xff", timeout=10) == ["answer", b"\xff"]

        server.leave_room(sock.sid, "shop:1")
        assert server.room_size("shop:1") == 0
    finally:
        await client.disconnect()
    sid, reason = await asyncio.wait_for(application.disconnected.get(), 10)
    assert sid == sock.sid
    # python-socketio's client may drop the transport before its DISCONNECT packet is written (over
    # polling it may not even send it: then the heartbeat ends the session)
    assert reason in ("client namespace disconnect", "transport close", "ping timeout")
    assert server.get_socket(sock.sid) is None


@pytest.mark.parametrize("transports", TRANSPORTS, ids=lambda t: "+".join(t))
async def test_connect_refused_and_unknown_namespace(app: tuple[App, str], transports: list[str]) -> None:
    _, url = app
    client = socketio.AsyncClient(reconnection=False)
    errors: asyncio.Queue[Any] = asyncio.Queue()
    client.on("connect_error", errors.put_nowait)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(url, transports=transports, auth={"token": "bad"}, wait_timeout=10)
    assert await errors.get() == {"message": "unauthorized", "data": {"code": 401}}

    client = socketio.AsyncClient(reconnection=False)
    client.on("connect_error", errors.put_nowait, namespace="/nope")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(url, transports=transports, namespaces=["/nope"], wait_timeout=10)
    assert await errors.get() == {"message": "Invalid namespace"}

    client = socketio.AsyncClient(reconnection=False)
    client.on("connect_error", errors.put_nowait, namespace="/admin")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(url, transports=transports, namespaces=["/admin"], wait_timeout=10)
    assert await errors.get() == {"message": "admins only"}


async def test_server_disconnect_and_timeout(app: tuple[App, str]) -> None:
    application, url = app
    server = application.server
    client = await _client(url, ["websocket"])
    sock, _ = application.connected[-1]
    # a client that does not answer in time: the server-side ack times out
    release = asyncio.Event()

    async def slow() -> None:
        await release.wait()

    client.on("slow", slow)
    with pytest.raises(TimeoutError):
        await server.call(sock.sid, "slow", timeout=0.2)
    release.set()
    gone = asyncio.Event()
    client.on("disconnect", lambda *a: gone.set())
    server.disconnect(sock.sid)
    await asyncio.wait_for(gone.wait(), 10)
    assert await asyncio.wait_for(application.disconnected.get(), 10) == (
        sock.sid,
        "server namespace disconnect",
    )
    assert not server.emit_to(sock.sid, "x")
    await client.disconnect()


async def test_a_burst_reaches_a_polling_python_client_whole(app: tuple[App, str]) -> None:
    # python-engineio's client drops a polling payload of more than 16 packets: the engine sends a
    # burst in batches of at most 16, the rest on the next GET, in order.
    application, url = app
    server = application.server
    client = socketio.AsyncClient(reconnection=False)
    got: list[int] = []
    client.on("n", got.append)
    await client.connect(url, transports=["polling"], auth={"token": "ok"}, wait_timeout=10)
    try:
        sock, _ = application.connected[-1]
        for i in range(100):
            server.emit_to(sock.sid, "n", i)
        for _ in range(200):
            if len(got) == 100:
                break
            await asyncio.sleep(0.05)
        assert got == list(range(100))
        assert client.connected
    finally:
        await client.disconnect()
