"""Malformed input closes the offending connection; nothing raises out of the engine; others carry on."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from test_server_support import RawWs, mask_frame, serve

from storewire.engine import Server, Socket

MALFORMED_WS: list[str | bytes] = [
    "",
    "abc",
    "9",
    "4",  # an Engine.IO message with an empty Socket.IO packet
    "47",
    "4abc",
    "42",
    "42{}",
    "42[]",
    '42["connect"]',
    "42[1,2",
    '42abc["x"]',
    '42/nope,["x"]',
    '421-["x",{"_placeholder":true,"num":0}]',  # BINARY type announced with the wrong type digit
    '452-["x",{"_placeholder":true,"num":0}]',  # waits for two attachments ...
    "40[]",
    '40"auth"',
    "44{}",
    b"\x00\x01",  # binary with no pending packet
    "4\x00\xff",
]


@pytest.fixture
async def app() -> AsyncIterator[tuple[Server, str]]:
    server = Server(ping_interval=5, ping_timeout=5, max_payload=10_000)

    async def on_connect(sock: Socket, auth: Any) -> None:
        server.enter_room(sock.sid, "all")

    async def on_event(sock: Socket, event: str, args: list[Any]) -> Any:
        return args

    server.on_connect(on_connect)
    server.on_event(on_event)
    async with serve(server.asgi(), ws=server.uvicorn_ws_protocol()) as url:
        yield server, url
        await server.shutdown()


async def _connected(url: str) -> RawWs:
    ws = await RawWs.connect(url, "/socket.io/?EIO=4&transport=websocket")
    assert (await ws.recv_text()).startswith("0{")
    await ws.send("40")
    assert (await ws.recv_text()).startswith("40{")
    return ws


async def _closed(ws: RawWs) -> None:
    while (msg := await asyncio.wait_for(ws.recv(), 10)) is not None:
        assert msg == "2"
    await ws.close()


async def test_malformed_websocket_packets_close_only_that_connection(
    app: tuple[Server, str], caplog: pytest.LogCaptureFixture
) -> None:
    server, url = app
    witness = await _connected(url)
    for bad in MALFORMED_WS:
        ws = await _connected(url)
        await ws.send(bad)
        if bad == '452-["x",{"_placeholder":true,"num":0}]':
            await ws.send("42[]")  # text while attachments are expected
        await _closed(ws)
    # malformed frames: unmasked, reserved bits, oversized message
    for raw in (
        b"\x81\x02hi",
        b"\xf1\x80abcd",
        mask_frame(1, b"4" + b"x" * 20_000),
        mask_frame(9, b"x" * 126),
    ):
        ws = await _connected(url)
        ws.writer.write(raw)
        await _closed(ws)
    # the witness is unaffected
    assert server.emit("still", "here") == 1
    assert await witness.recv() == '42["still","here"]'
    await witness.close()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith("storewire")]


async def test_fuzzed_input_never_breaks_the_server(app: tuple[Server, str]) -> None:
    _, url = app
    rng = random.Random(1234)
    alphabet = '0123456789[]{}",-/:abcx\x1e'
    for _ in range(60):
        ws = await _connected(url)
        for _ in range(5):
            size = rng.randint(0, 30)
            if rng.random() < 0.2:
                await ws.send(bytes(rng.getrandbits(8) for _ in range(size)))
            else:
                await ws.send("4" + "".join(rng.choice(alphabet) for _ in range(size)))
        await ws.close()
    async with httpx.AsyncClient(timeout=10) as http:
        base = f"{url}/socket.io/?EIO=4&transport=polling"
        for _ in range(40):
            sid = orjson.loads((await http.get(base)).text[1:])["sid"]
            body = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
            status = (await http.post(f"{base}&sid={sid}", content=body.encode())).status_code
            assert status in (200, 400)
        assert (await http.post(f"{base}&sid=x", content=b"\xff\xfe")).status_code == 400
        big = orjson.loads((await http.get(base)).text[1:])["sid"]
        assert (await http.post(f"{base}&sid={big}", content=b"4" + b"x" * 20_000)).status_code == 413
        assert (await http.get(f"{base}&sid={big}")).status_code == 400
    # still serving
    ws = await _connected(url)
    await ws.send('42["echo",1]')
    await ws.close()
