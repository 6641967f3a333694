"""Connection lifecycle: closed connections are released at once, shutdown closes everything."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import httpx
from test_server_support import RawWs, serve

from storewire.engine import EioSocket, Server, Socket
from storewire.engine.sockets import Client


def _alive(server: Server) -> int:
    gc.collect()
    return sum(
        1
        for obj in gc.get_objects()
        if (isinstance(obj, EioSocket) and obj.server is server.engine)
        or (isinstance(obj, Client | Socket) and obj.eio.server is server.engine)
    )


async def test_closed_connections_are_released_before_their_timers_fire() -> None:
    # long timers: a closed connection must not wait for them to be freed
    server = Server(ping_interval=60, ping_timeout=60, connect_timeout=60)
    joined: list[str] = []

    async def on_connect(sock: Socket, auth: Any) -> None:
        server.enter_room(sock.sid, "room")
        joined.append(sock.sid)

    server.on_connect(on_connect)
    async with serve(server.asgi(), ws=server.uvicorn_ws_protocol()) as url:
        clients = []
        for _ in range(20):
            ws = await RawWs.connect(url, "/socket.io/?EIO=4&transport=websocket")
            await ws.recv()
            await ws.send("40")
            await ws.recv()
            clients.append(ws)
        async with httpx.AsyncClient() as http:
            for _ in range(5):
                await http.get(f"{url}/socket.io/?EIO=4&transport=polling")  # never connects a namespace
        assert len(server.engine.sessions) == 25
        assert _alive(server) > 25
        for ws in clients:
            await ws.close()
        for session in list(server.engine.sessions.values()):
            session.close("test")
        del session
        while server.engine.sessions or server.room_size("room"):
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        assert _alive(server) == 0
        assert len(joined) == 20
        await server.shutdown()


async def test_shutdown_closes_websocket_and_polling_sessions() -> None:
    server = Server(ping_interval=60, ping_timeout=60)
    reasons: list[str] = []

    async def on_connect(sock: Socket, auth: Any) -> None:
        pass

    async def on_disconnect(sock: Socket, reason: str) -> None:
        reasons.append(reason)

    server.on_connect(on_connect)
    server.on_disconnect(on_disconnect)
    async with serve(server.asgi(), ws=server.uvicorn_ws_protocol()) as url:
        ws = await RawWs.connect(url, "/socket.io/?EIO=4&transport=websocket")
        await ws.recv()
        await ws.send("40")
        await ws.recv()
        async with httpx.AsyncClient(timeout=10) as http:
            base = f"{url}/socket.io/?EIO=4&transport=polling"
            sid = (await http.get(base)).text[9:29]
            assert (await http.post(f"{base}&sid={sid}", content="40")).text == "ok"
            assert (await http.get(f"{base}&sid={sid}")).text.startswith("40{")
            pending = asyncio.ensure_future(http.get(f"{base}&sid={sid}"))
            await asyncio.sleep(0.05)
            await server.shutdown()
            assert (await pending).text == "1"  # the pending poll gets the close packet
        assert await ws.recv() is None  # the WebSocket gets a close frame
        await ws.close()
    assert reasons == ["server shutting down", "server shutting down"]
    assert not server.engine.sessions
