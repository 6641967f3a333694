"""Polling -> WebSocket upgrade while the server emits without pause: every event once, in order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
import socketio
from test_server_support import RawWs, serve

from storewire.engine import Server, Socket

TOTAL = 400


@pytest.fixture
async def app() -> AsyncIterator[tuple[Server, str]]:
    server = Server(ping_interval=5, ping_timeout=5)

    async def on_connect(sock: Socket, auth: Any) -> None:
        server.enter_room(sock.sid, "ticks")

    server.on_connect(on_connect)
    async with serve(server.asgi(), ws=server.uvicorn_ws_protocol()) as url:
        yield server, url
        await server.shutdown()


async def _emitter(server: Server, started: asyncio.Event, stop: asyncio.Event | None = None) -> int:
    """Emit numbered events to the room, a few per loop tick, without waiting for anyone.

    Stops after TOTAL events, or (with ``stop``) once ``stop`` is set and TOTAL // 4 more were sent,
    so that events are emitted before, during and after whatever the caller is doing. Returns the count.
    """
    while server.room_size("ticks") == 0:
        await asyncio.sleep(0.001)
    started.set()
    n = extra = 0
    while (stop is None and n < TOTAL) or (stop is not None and extra < TOTAL // 4):
        server.emit("tick", n, rooms="ticks")
        n += 1
        if stop is not None and stop.is_set():
            extra += 1
        if n % 3 == 0:
            await asyncio.sleep(0.001)
    return n


def _ticks(packets: list[str]) -> list[int]:
    out = []
    for pkt in packets:
        if pkt.startswith("42"):
            event, n = orjson.loads(pkt[2:])
            assert event == "tick"
            out.append(n)
    return out


async def test_events_during_upgrade_arrive_once_in_order(app: tuple[Server, str]) -> None:
    server, url = app
    base = f"{url}/socket.io/?EIO=4&transport=polling"
    received: list[int] = []
    async with httpx.AsyncClient(timeout=10) as http:
        opened = (await http.get(base)).text
        sid = orjson.loads(opened[1:])["sid"]
        poll = f"{base}&sid={sid}"
        assert (await http.post(poll, content="40")).text == "ok"
        started = asyncio.Event()
        upgraded = asyncio.Event()
        emitter = asyncio.ensure_future(_emitter(server, started, upgraded))
        # the namespace CONNECT answer, then some events over polling
        first = (await http.get(poll)).text.split("\x1e")
        assert first[0].startswith("40{")
        received += _ticks(first[1:])
        await started.wait()
        while len(received) < TOTAL // 4:
            received += _ticks((await http.get(poll)).text.split("\x1e"))

        # upgrade: keep one GET in flight while probing, exactly like a browser client
        in_flight = asyncio.ensure_future(http.get(poll))
        ws = await RawWs.connect(url, f"/socket.io/?EIO=4&transport=websocket&sid={sid}")
        await ws.send("2probe")
        assert await ws.recv() == "3probe"
        # the GET returns (with events, or ended by the server's noop) and the client pauses polling
        received += _ticks((await in_flight).text.split("\x1e"))
        await ws.send("5")
        upgraded.set()  # the emitter goes on for a while: events before, during and after the switch
        before = len(received)
        # a poll after the upgrade is refused
        assert (await http.get(poll)).status_code == 400

    while not emitter.done() or len(received) < emitter.result():
        msg = await asyncio.wait_for(ws.recv(), 10)
        assert isinstance(msg, str)
        received += _ticks([msg])
    total = emitter.result()
    assert before > 0
    assert total - before >= TOTAL // 4
    assert received == list(range(total))  # each exactly once, in order, across the upgrade
    await ws.close()


@pytest.mark.parametrize("transports", [["polling", "websocket"], ["websocket"], ["polling"]])
async def test_python_client_stream_in_order(app: tuple[Server, str], transports: list[str]) -> None:
    server, url = app
    client = socketio.AsyncClient(reconnection=False)
    got: list[int] = []
    done = asyncio.Event()

    def on_tick(n: int) -> None:
        got.append(n)
        if len(got) == TOTAL:
            done.set()

    client.on("tick", on_tick)
    await client.connect(url, transports=transports, wait_timeout=10)
    started = asyncio.Event()
    await _emitter(server, started)
    await asyncio.wait_for(done.wait(), 20)
    assert got == list(range(TOTAL))
    await client.disconnect()
