"""One port, one process: uvicorn serves REST and other WebSockets, the engine its own WebSockets.

Covers the ``ws`` protocol-class hand-over (uvicorn 0.54's hook is not public API, so this test is
the guard for upgrades), the ASGI WebSocket fallback, origin checks and X-Forwarded-For.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest
import socketio
import websockets
from fastapi import FastAPI, WebSocket
from test_server_support import RawWs, serve

from storewire.engine import Server, Socket
from storewire.engine.websocket import WsConn


def _app() -> FastAPI:
    api = FastAPI()

    @api.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @api.websocket("/echo")
    async def echo(ws: WebSocket) -> None:
        await ws.accept()
        async for text in ws.iter_text():
            await ws.send_text(f"echo:{text}")

    return api


def _server(**kwargs: Any) -> tuple[Server, list[Socket]]:
    server = Server(ping_interval=5, ping_timeout=5, **kwargs)
    seen: list[Socket] = []

    async def on_connect(sock: Socket, auth: Any) -> None:
        seen.append(sock)

    async def on_event(sock: Socket, event: str, args: list[Any]) -> Any:
        return args

    server.on_connect(on_connect)
    server.on_event(on_event)
    return server, seen


@pytest.mark.parametrize(
    ("fallback", "http_impl"),
    [("websockets-sansio", "httptools"), ("wsproto", "h11"), ("websockets-sansio", "h11")],
)
async def test_hand_over_shares_port_with_fastapi(fallback: str, http_impl: str) -> None:
    pytest.importorskip(fallback.split("-")[0])
    pytest.importorskip(http_impl)
    server, seen = _server()
    async with serve(server.asgi(_app()), ws=server.uvicorn_ws_protocol(fallback), http=http_impl) as url:
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"{url}/health")).json() == {"status": "ok"}
            assert (await http.get(f"{url}/nope")).status_code == 404

        # another WebSocket path: uvicorn's own implementation and the FastAPI route
        async with websockets.connect(url.replace("http", "ws") + "/echo") as ws:
            await ws.send("hi")
            assert await ws.recv() == "echo:hi"

        # the engine path: served by the engine's protocol, no ASGI in between
        client = socketio.AsyncClient(reconnection=False)
        await client.connect(url, transports=["websocket"], wait_timeout=10)
        assert await client.call("echo", "x", timeout=10) == "x"
        conn = seen[-1].eio.conn
        assert isinstance(conn, WsConn)
        assert conn.transport.get_protocol() is conn  # the hand-over happened
        assert seen[-1].transport == "websocket"
        await client.disconnect()

        # REST still answered on the same port after upgrades
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"{url}/health")).status_code == 200


async def test_uvicorn_shutdown_closes_engine_connections() -> None:
    server, _ = _server()
    closed = asyncio.Event()
    async with serve(server.asgi(_app()), ws=server.uvicorn_ws_protocol()) as url:
        client = socketio.AsyncClient(reconnection=False)
        client.on("disconnect", lambda *a: closed.set())
        await client.connect(url, transports=["websocket"], wait_timeout=10)
        # leaving the block shuts uvicorn down: it calls shutdown() on our protocol and waits for it
    await asyncio.wait_for(closed.wait(), 10)
    assert not client.connected


async def test_asgi_websocket_fallback_without_hook() -> None:
    server, _ = _server()
    async with serve(server.asgi(_app()), ws="websockets-sansio") as url:
        for transports in (["websocket"], ["polling", "websocket"]):
            client = socketio.AsyncClient(reconnection=False)
            await client.connect(url, transports=transports, wait_timeout=10)
            assert client.transport() == "websocket"
            assert await client.call("echo", {"n": 1}, timeout=10) == {"n": 1}
            assert await client.call("echo", b"\x01\x02", timeout=10) == b"\x01\x02"
            assert server.emit("hello", 1) == 1
            await client.disconnect()
        await server.shutdown()


async def test_origin_check_and_forwarded_for() -> None:
    server, seen = _server(cors_origins=["https://shop.example"])
    async with serve(server.asgi(_app()), ws=server.uvicorn_ws_protocol()) as url:
        path = "/socket.io/?EIO=4&transport=websocket"
        with pytest.raises(ConnectionError, match="403"):
            await RawWs.connect(url, path, Origin="https://evil.example")
        ws = await RawWs.connect(url, path, Origin="https://shop.example", X_Forwarded_For="203.0.113.7")
        assert (await ws.recv_text()).startswith("0{")
        await ws.send("40")
        assert (await ws.recv_text()).startswith("40{")
        # 127.0.0.1 is a trusted proxy by default (uvicorn's forwarded_allow_ips)
        assert seen[-1].remote_addr == "203.0.113.7"
        await ws.close()

        async with httpx.AsyncClient() as http:
            poll = f"{url}/socket.io/?EIO=4&transport=polling"
            bad = await http.get(poll, headers={"Origin": "https://evil.example"})
            assert bad.status_code == 403
            ok = await http.get(poll, headers={"Origin": "https://shop.example"})
            assert ok.status_code == 200
            assert ok.headers["access-control-allow-origin"] == "https://shop.example"
            assert ok.headers["access-control-allow-credentials"] == "true"
            pre = await http.options(
                poll,
                headers={"Origin": "https://shop.example", "Access-Control-Request-Headers": "content-type"},
            )
            assert pre.status_code == 204
            assert pre.headers["access-control-allow-headers"] == "content-type"
        await server.shutdown()


def test_hand_over_under_uvloop() -> None:
    """uvicorn's default loop is uvloop when installed: run the same path on it (in a thread)."""
    uvloop = pytest.importorskip("uvloop")

    async def scenario() -> list[Any]:
        server, seen = _server()
        results: list[Any] = []
        async with serve(server.asgi(_app()), ws=server.uvicorn_ws_protocol()) as url:
            async with httpx.AsyncClient() as http:
                results.append((await http.get(f"{url}/health")).status_code)
            for transports in (["websocket"], ["polling", "websocket"]):
                client = socketio.AsyncClient(reconnection=False)
                await client.connect(url, transports=transports, wait_timeout=10)
                results.append(await client.call("echo", [1, b"\x02"], timeout=10))
                results.append(seen[-1].eio.conn.transport.get_protocol() is seen[-1].eio.conn)  # type: ignore[union-attr]
                await client.disconnect()
            await server.shutdown()
        return results

    box: list[Any] = []

    def run() -> None:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            box.append(runner.run(scenario()))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    assert box == [[200, [1, b"\x02"], True, [1, b"\x02"], True]]
