"""Hardening against misbehaving clients: each test reproduces one reviewed defect over real sockets.

Assertions are on state (sessions, uvicorn's ``server_state.connections``, buffered bytes, task
counts), never on elapsed time; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import base64
import socket
from typing import Any

import httpx
import orjson
import pytest
import websockets
from test_server_support import RawWs, mask_frame, serve_uvicorn, wait_until

from storewire.engine import Server, Socket
from storewire.engine import eio_server as eio_server_module
from storewire.engine import server as server_module
from storewire.engine.eio_server import EioServer
from storewire.engine.uvicorn_ws import make_ws_protocol

SIO_WS = "/socket.io/?EIO=4&transport=websocket"
BIG = "x" * 60_000


def _server(**kwargs: Any) -> Server:
    server = Server(**kwargs)

    async def on_connect(sock: Socket, auth: Any) -> None:
        pass

    server.on_connect(on_connect)
    return server


def _hostport(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


async def _connected(server: Server, url: str) -> tuple[RawWs, Socket]:
    """A raw WebSocket client (tiny receive buffer) connected to ``/``, and its server-side socket."""
    before = set(server.engine.sessions)
    ws = await RawWs.connect(url, SIO_WS, rcvbuf=4096)
    assert (await asyncio.wait_for(ws.recv_text(), 10)).startswith("0{")
    await ws.send("40")
    assert (await asyncio.wait_for(ws.recv_text(), 10)).startswith("40{")
    (eio_sid,) = set(server.engine.sessions) - before
    sock = server.get_socket(server.engine.sessions[eio_sid].app.sockets["/"].sid)
    assert sock is not None
    return ws, sock


def _small_sndbuf(sock: Socket) -> asyncio.Transport:
    """Keep the kernel's share small, so that what is unsent stays in the transport's buffer."""
    conn = sock.eio.conn
    assert conn is not None
    transport = conn.transport
    transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16 * 1024)
    return transport


def _stuck(server: Server, sock: Socket) -> asyncio.Transport:
    """Fill ``sock``'s transport buffer: its client never reads. Returns the server-side transport."""
    transport = _small_sndbuf(sock)
    for _ in range(40):  # 2.4 MB: far above what the kernel buffers, far below max_buffered_bytes
        server.emit("big", BIG)
    return transport


# -- 1. a malformed Sec-WebSocket-Key ------------------------------------------------------------------
@pytest.mark.parametrize("key", [b"\xff\xfe", b"not base64!", b"c2hvcnQ="])
async def test_bad_websocket_key_is_refused_and_leaves_nothing(key: bytes) -> None:
    server = _server(ping_interval=30, ping_timeout=30)
    async with serve_uvicorn(server.asgi(), ws=server.uvicorn_ws_protocol()) as (url, uv, task):
        reader, writer = await asyncio.open_connection(*_hostport(url))
        writer.write(
            b"GET " + SIO_WS.encode() + b" HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        status = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        assert status.startswith(b"HTTP/1.1 400"), status
        assert await asyncio.wait_for(reader.read(), 10) is not None  # the server closes
        writer.close()
        assert not server.engine.sessions
        await wait_until(lambda: not uv.server_state.connections)
        uv.should_exit = True
        await asyncio.wait_for(asyncio.shield(task), 10)  # nothing holds the shutdown


# -- 2. closing a connection whose client stopped reading ---------------------------------------------
async def test_ping_timeout_drops_a_client_that_stopped_reading() -> None:
    server = _server(ping_interval=0.5, ping_timeout=0.5)
    async with serve_uvicorn(server.asgi(), ws=server.uvicorn_ws_protocol()) as (url, uv, _):
        ws, sock = await _connected(server, url)
        transport = _stuck(server, sock)
        await wait_until(lambda: transport.get_write_buffer_size() > 0)
        # the client answers no ping: the session ends, and its connection with it, buffer dropped
        await wait_until(lambda: not server.engine.sessions)
        assert transport.get_write_buffer_size() == 0
        await wait_until(lambda: not uv.server_state.connections)
        await ws.close()


async def test_graceful_close_gives_up_on_a_client_that_stopped_reading(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(eio_server_module, "CLOSE_LINGER", 0.2, raising=False)
    server = _server(ping_interval=30, ping_timeout=30)
    async with serve_uvicorn(server.asgi(), ws=server.uvicorn_ws_protocol()) as (url, uv, _):
        ws, sock = await _connected(server, url)
        transport = _stuck(server, sock)
        await wait_until(lambda: transport.get_write_buffer_size() > 0)
        sock.eio.close("forced close")  # graceful: the queued bytes may still go out ...
        assert transport.is_closing()
        assert transport.get_write_buffer_size() > 0
        # ... but not forever: past the linger deadline the connection is dropped
        await wait_until(lambda: not uv.server_state.connections)
        assert transport.get_write_buffer_size() == 0
        await ws.close()


async def test_shutdown_drops_clients_that_stopped_reading() -> None:
    server = _server(ping_interval=30, ping_timeout=30)
    async with serve_uvicorn(server.asgi(), ws=server.uvicorn_ws_protocol()) as (url, uv, task):
        ws1, sock1 = await _connected(server, url)
        ws2, sock2 = await _connected(server, url)
        t2 = _small_sndbuf(sock2)
        t1 = _stuck(server, sock1)  # fills both
        await wait_until(lambda: t1.get_write_buffer_size() > 0 and t2.get_write_buffer_size() > 0)
        await server.shutdown()  # the engine's own shutdown: abort at once what cannot drain
        assert t1.is_closing() and t1.get_write_buffer_size() == 0
        assert t2.is_closing() and t2.get_write_buffer_size() == 0
        await wait_until(lambda: not uv.server_state.connections)

        ws3, sock3 = await _connected(server, url)
        t3 = _stuck(server, sock3)
        await wait_until(lambda: t3.get_write_buffer_size() > 0)
        uv.should_exit = True  # uvicorn's shutdown calls shutdown() on the connection: no waiting
        await asyncio.wait_for(asyncio.shield(task), 10)
        assert t3.get_write_buffer_size() == 0
        for ws in (ws1, ws2, ws3):
            await ws.close()


# -- 3. a message split into countless tiny fragments --------------------------------------------------
def _fragment(opcode: int, payload: bytes, fin: bool) -> bytes:
    frame = mask_frame(opcode, payload)
    return bytes((frame[0] & 0x7F if not fin else frame[0],)) + frame[1:]


async def _close_code(ws: RawWs) -> int | None:
    """Read until the server's close frame; its status code (None if the connection just ended)."""
    while (frame := await ws.read_frame()) is not None:
        opcode, payload = frame
        if opcode == 8:
            return int.from_bytes(payload[:2], "big")
    return None


async def test_tiny_fragments_are_capped() -> None:
    echo = EioServer(path="/engine.io/", ping_interval=30, ping_timeout=30)
    got: list[str | bytes] = []
    echo.on_message(lambda s, d: got.append(d))
    async with serve_uvicorn(echo.asgi(), ws=make_ws_protocol([echo])) as (url, uv, _):
        ws = await RawWs.connect(url, "/engine.io/?EIO=4&transport=websocket")
        assert (await asyncio.wait_for(ws.recv_text(), 10)).startswith("0{")
        # a legitimate fragmented message still arrives whole
        ws.writer.write(_fragment(1, b"4ab", False) + _fragment(0, b"", False) + _fragment(0, b"cd", True))
        await wait_until(lambda: got == ["abcd"])
        # 5,000 one-byte fragments (well under maxPayload in bytes): refused with 1009
        ws.writer.write(_fragment(1, b"4", False) + _fragment(0, b"x", False) * 5000)
        assert await asyncio.wait_for(_close_code(ws), 10) == 1009
        await wait_until(lambda: not echo.sessions and not uv.server_state.connections)
        assert got == ["abcd"]
        await ws.close()


# -- 4. event handlers in flight per client ------------------------------------------------------------
class _Gate:
    """An event handler that waits for ``release`` and records how many ran at once."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.running = 0
        self.peak = 0
        self.done = 0

    async def __call__(self, sock: Socket, event: str, args: list[Any]) -> None:
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            await self.release.wait()
        finally:
            self.running -= 1
            self.done += 1


EVENTS = 1000
LIMIT = getattr(server_module, "MAX_HANDLERS", 128)


@pytest.mark.parametrize("hook", [True, False], ids=["uvicorn-hook", "asgi-fallback"])
async def test_handlers_in_flight_are_capped_over_websocket(hook: bool) -> None:
    server = _server(ping_interval=30, ping_timeout=30)
    gate = _Gate()
    server.on_event(gate)
    ws_impl = server.uvicorn_ws_protocol() if hook else "websockets-sansio"
    async with serve_uvicorn(server.asgi(), ws=ws_impl) as (url, _, _):
        ws, sock = await _connected(server, url)
        one = mask_frame(1, b'42["slow"]')
        ws.writer.write(one * EVENTS)  # 1,000 events in one write
        await wait_until(lambda: getattr(sock.eio, "reading_paused", False) and gate.running == LIMIT)
        await asyncio.sleep(0.05)  # not a threshold: only lets a wrongly unbounded server go on
        assert gate.running == LIMIT
        assert len(server._tasks) == LIMIT
        if hook:
            assert not sock.eio.conn.transport.is_reading()  # type: ignore[union-attr]
        gate.release.set()
        await wait_until(lambda: gate.done == EVENTS)
        assert gate.peak == LIMIT
        assert not sock.eio.reading_paused
        await ws.close()


async def test_handlers_in_flight_are_capped_over_polling() -> None:
    server = _server(ping_interval=30, ping_timeout=30)
    gate = _Gate()
    server.on_event(gate)
    async with serve_uvicorn(server.asgi()) as (url, _, _), httpx.AsyncClient(timeout=20) as http:
        base = f"{url}/socket.io/?EIO=4&transport=polling"
        sid = orjson.loads((await http.get(base)).text[1:])["sid"]
        base += f"&sid={sid}"
        assert (await http.post(base, content="40")).text == "ok"
        assert (await http.get(base)).text.startswith("40{")
        post = asyncio.ensure_future(http.post(base, content="\x1e".join(['42["slow"]'] * EVENTS)))
        await wait_until(lambda: gate.running == LIMIT)
        await asyncio.sleep(0.05)  # not a threshold: only lets a wrongly unbounded server go on
        assert gate.running == LIMIT
        assert not post.done()  # the POST is answered once the client's packets are all taken
        gate.release.set()
        assert (await asyncio.wait_for(post, 20)).text == "ok"
        await wait_until(lambda: gate.done == EVENTS)
        assert gate.peak == LIMIT


# -- 5. uvicorn's graceful shutdown with a long-poll pending ------------------------------------------
async def test_uvicorn_shutdown_answers_pending_polls() -> None:
    server = _server(ping_interval=60, ping_timeout=30)  # the next ping is far away
    reasons: list[str] = []

    async def on_disconnect(sock: Socket, reason: str) -> None:
        reasons.append(reason)

    server.on_disconnect(on_disconnect)
    async with (
        serve_uvicorn(server.asgi(), exit_timeout=60) as (url, uv, task),
        httpx.AsyncClient(timeout=90) as http,
    ):
        base = f"{url}/socket.io/?EIO=4&transport=polling"
        sid = orjson.loads((await http.get(base)).text[1:])["sid"]
        base += f"&sid={sid}"
        assert (await http.post(base, content="40")).text == "ok"
        assert (await http.get(base)).text.startswith("40{")
        eio = server.engine.sessions[sid]
        pending = asyncio.ensure_future(http.get(base))
        await wait_until(lambda: eio._waiter is not None)
        uv.should_exit = True  # what SIGTERM does
        await asyncio.wait_for(asyncio.shield(task), 10)
        assert (await asyncio.wait_for(pending, 10)).text == "1"  # close, not a ping
        assert not server.engine.sessions
        await wait_until(lambda: reasons == ["server shutting down"])


# -- 6. binary fan-out ---------------------------------------------------------------------------------
async def test_binary_fan_out_builds_each_frame_once() -> None:
    server = _server(ping_interval=30, ping_timeout=30)
    blob = bytes(range(256)) * 400  # 100 kB
    async with serve_uvicorn(server.asgi(), ws=server.uvicorn_ws_protocol()) as (url, _, _):
        clients = [await _connected(server, url) for _ in range(3)]
        async with httpx.AsyncClient(timeout=20) as http:
            base = f"{url}/socket.io/?EIO=4&transport=polling"
            sid = orjson.loads((await http.get(base)).text[1:])["sid"]
            base += f"&sid={sid}"
            assert (await http.post(base, content="40")).text == "ok"
            assert (await http.get(base)).text.startswith("40{")
            polling = server.engine.sessions[sid]

            assert server.emit("bin", blob) == 4
            # before the flush: every WebSocket recipient holds the very same two frame objects ...
            first = clients[0][1].eio._out[-2:]
            assert len(first) == 2
            for _, sock in clients[1:]:
                out = sock.eio._out[-2:]
                assert all(a is b for a, b in zip(out, first, strict=True))
            # ... and the polling one both packets, queued in order
            assert polling._poll is not None and len(polling._poll) == 2

            for ws, _ in clients:
                header = await asyncio.wait_for(ws.recv_text(), 10)
                assert header == '451-["bin",{"_placeholder":true,"num":0}]'
                assert await asyncio.wait_for(ws.recv(), 10) == blob
                await ws.close()
            body = (await http.get(base)).text
            header, attachment = body.split("\x1e")
            assert header == '451-["bin",{"_placeholder":true,"num":0}]'
            assert base64.b64decode(attachment[1:]) == blob


# -- 7. maxPayload on the ASGI WebSocket fallback ------------------------------------------------------
async def test_asgi_fallback_enforces_max_payload() -> None:
    echo = EioServer(path="/engine.io/", ping_interval=30, ping_timeout=30, max_payload=1000)
    got: list[str | bytes] = []
    echo.on_message(lambda s, d: (got.append(d), s.send(d)))
    async with serve_uvicorn(echo.asgi(), ws="websockets-sansio") as (url, _, _):
        ws_url = url.replace("http", "ws") + "/engine.io/?EIO=4&transport=websocket"
        for big in ("4" + "x" * 5000, "4" + "é" * 600, b"\x00" * 5000):
            async with websockets.connect(ws_url, max_size=None) as ws:
                assert str(await asyncio.wait_for(ws.recv(), 10)).startswith("0{")
                await ws.send("4ok")
                assert await asyncio.wait_for(ws.recv(), 10) == "4ok"
                await ws.send(big)
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await asyncio.wait_for(ws.recv(), 10)
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
            await wait_until(lambda: not echo.sessions)
        assert got == ["ok", "ok", "ok"]


# -- 8. an ack value JSON cannot carry -----------------------------------------------------------------
async def test_unencodable_ack_value_answers_an_empty_ack() -> None:
    server = _server(ping_interval=30, ping_timeout=30)
    deep: list[Any] = []
    for _ in range(300):  # deeper than orjson's 255 levels
        deep = [deep]
    values: dict[str, Any] = {"set": {1, 2}, "deep": deep, "fine": "fine"}

    async def on_event(sock: Socket, event: str, args: list[Any]) -> Any:
        return values[event]

    server.on_event(on_event)
    async with serve_uvicorn(server.asgi(), ws=server.uvicorn_ws_protocol()) as (url, _, _):
        ws, _sock = await _connected(server, url)
        await ws.send('421["set"]')
        assert await asyncio.wait_for(ws.recv_text(), 10) == "431[]"
        await ws.send('422["deep"]')
        assert await asyncio.wait_for(ws.recv_text(), 10) == "432[]"
        await ws.send('423["fine"]')
        assert await asyncio.wait_for(ws.recv_text(), 10) == '433["fine"]'
        await wait_until(lambda: not server._tasks)
        await ws.close()


# -- 9. CORS wildcard with credentials -----------------------------------------------------------------
async def test_cors_wildcard_never_reflects_origin_with_credentials() -> None:
    server = _server(cors_origins=["*"], cors_credentials=True)
    async with serve_uvicorn(server.asgi()) as (url, _, _), httpx.AsyncClient(timeout=20) as http:
        poll = f"{url}/socket.io/?EIO=4&transport=polling"
        origin = {"Origin": "https://evil.example"}
        ok = await http.get(poll, headers=origin)
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in ok.headers
        pre = await http.options(poll, headers={**origin, "Access-Control-Request-Method": "POST"})
        assert pre.status_code == 204
        assert pre.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in pre.headers
        await server.shutdown()
