"""Protocol behaviour of the conformance app, mirroring the official test suites with raw clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from test_server_support import RawWs, mask_frame, serve

from storewire.engine.asgi import route
from storewire.engine.conformance import build
from storewire.engine.uvicorn_ws import make_ws_protocol


@pytest.fixture
async def url() -> AsyncIterator[str]:
    sio, echo = build()
    async with serve(route([sio.engine, echo], None), ws=make_ws_protocol([sio.engine, echo])) as base:
        yield base
        await sio.shutdown()
        await echo.shutdown()


async def _session(http: httpx.AsyncClient, url: str, path: str = "engine.io") -> str:
    text = (await http.get(f"{url}/{path}/?EIO=4&transport=polling")).text
    assert text.startswith("0")
    handshake = orjson.loads(text[1:])
    assert set(handshake) == {"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"}
    assert handshake["upgrades"] == ["websocket"]
    assert (handshake["pingInterval"], handshake["pingTimeout"], handshake["maxPayload"]) == (
        300,
        200,
        1000000,
    )
    return str(handshake["sid"])


async def test_polling_handshake_errors_and_echo(url: str) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        base = f"{url}/engine.io/"
        for query in ("?transport=polling", "?EIO=abc&transport=polling", "?EIO=4", "?EIO=4&transport=abc"):
            assert (await http.get(base + query)).status_code == 400
        assert (await http.post(base + "?EIO=4&transport=polling")).status_code == 400
        assert (await http.put(base + "?EIO=4&transport=polling")).status_code == 400
        assert (await http.get(base + "?EIO=4&transport=polling&sid=unknown")).status_code == 400

        sid = await _session(http, url)
        poll = f"{base}?EIO=4&transport=polling&sid={sid}"
        assert (await http.post(poll, content="4hello\x1e4world\x1ebAQIDBA==")).text == "ok"
        assert (await http.get(poll)).text == "4hello\x1e4world\x1ebAQIDBA=="
        # heartbeat over polling: the server pings, the client pongs
        assert (await http.get(poll)).text == "2"
        assert (await http.post(poll, content="3")).status_code == 200


async def test_polling_closes_on_bad_packet_duplicate_get_cancel_and_close(url: str) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        base = f"{url}/engine.io/?EIO=4&transport=polling"
        sid = await _session(http, url)
        assert (await http.post(f"{base}&sid={sid}", content="abc")).status_code == 400
        assert (await http.get(f"{base}&sid={sid}")).status_code == 400

        sid = await _session(http, url)
        first = asyncio.ensure_future(http.get(f"{base}&sid={sid}"))
        await asyncio.sleep(0.05)
        second = await http.get(f"{base}&sid={sid}&t=burst")
        assert second.status_code == 400
        assert (await first).text == "1"
        assert (await http.get(f"{base}&sid={sid}")).status_code == 400

        sid = await _session(http, url)
        pending = asyncio.ensure_future(http.get(f"{base}&sid={sid}"))
        await asyncio.sleep(0.05)
        assert (await http.post(f"{base}&sid={sid}", content="1")).status_code == 200
        assert (await pending).text == "6"
        assert (await http.get(f"{base}&sid={sid}")).status_code == 400

    async with httpx.AsyncClient(timeout=10) as http:
        sid = await _session(http, url)
    async with httpx.AsyncClient(timeout=0.05) as impatient:
        with pytest.raises(httpx.TimeoutException):
            await impatient.get(f"{base}&sid={sid}")  # a cancelled poll ends the session
    async with httpx.AsyncClient(timeout=10) as http:
        await asyncio.sleep(0.05)
        assert (await http.get(f"{base}&sid={sid}")).status_code == 400


async def test_ping_timeout_closes_sessions(url: str) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        sid = await _session(http, url)
        ws = await RawWs.connect(url, "/engine.io/?EIO=4&transport=websocket")
        assert (await ws.recv_text()).startswith("0{")
        assert await ws.recv() == "2"  # ping, never answered
        assert await asyncio.wait_for(ws.recv(), 10) is None  # closed by the server
        await asyncio.sleep(0.6)  # interval + timeout have long passed for the polling session
        assert (await http.get(f"{url}/engine.io/?EIO=4&transport=polling&sid={sid}")).status_code == 400
        await ws.close()


async def test_websocket_echo_binary_invalid_and_close(url: str) -> None:
    path = "/engine.io/?EIO=4&transport=websocket"
    for bad in (
        "/engine.io/?transport=websocket",
        "/engine.io/?EIO=abc&transport=websocket",
        "/engine.io/?EIO=4",
    ):
        with pytest.raises(ConnectionError, match="400"):
            await RawWs.connect(url, bad)
    ws = await RawWs.connect(url, path)
    handshake = orjson.loads(str(await ws.recv())[1:])
    assert handshake["upgrades"] == []
    await ws.send("4hello")
    assert await ws.recv() == "4hello"
    await ws.send(b"\x01\x02\x03\x04")
    assert await ws.recv() == b"\x01\x02\x03\x04"
    await ws.send("abc")
    assert await ws.recv() is None
    await ws.close()

    ws = await RawWs.connect(url, path)
    await ws.recv()
    await ws.send("1")
    assert await ws.recv() is None
    await ws.close()

    ws = await RawWs.connect(url, path)
    await ws.recv()
    ws.writer.write(b"\x81\x05hello")  # unmasked client frame: protocol error
    assert await ws.recv() is None
    await ws.close()

    ws = await RawWs.connect(url, path)
    await ws.recv()
    ws.writer.write(mask_frame(1, b"4" + b"x" * 1_000_001))  # over maxPayload
    assert await ws.recv() is None
    await ws.close()


async def test_upgrade_probe_noop_and_duplicates(url: str) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        sid = await _session(http, url)
        poll = f"{url}/engine.io/?EIO=4&transport=polling&sid={sid}"
        ws = await RawWs.connect(url, f"/engine.io/?EIO=4&transport=websocket&sid={sid}")
        # a second WebSocket for a session already being probed is accepted, then closed (as the reference)
        extra = await RawWs.connect(url, f"/engine.io/?EIO=4&transport=websocket&sid={sid}")
        assert await extra.recv() is None
        await extra.close()
        await ws.send("2probe")
        assert await ws.recv() == "3probe"
        assert (await http.get(poll)).text == "6"
        await ws.send("5")
        await ws.send("4hello")
        assert await ws.recv() == "4hello"
        assert (await http.get(poll)).status_code == 400
        extra = await RawWs.connect(url, f"/engine.io/?EIO=4&transport=websocket&sid={sid}")
        assert await extra.recv() is None
        await extra.close()
        await ws.send("4again")
        assert await ws.recv() == "4again"
        await ws.close()


async def _sio(url: str) -> RawWs:
    ws = await RawWs.connect(url, "/socket.io/?EIO=4&transport=websocket")
    assert (await ws.recv_text()).startswith("0{")
    return ws


async def test_socketio_connect_namespaces_and_messages(url: str) -> None:
    ws = await _sio(url)
    await ws.send('40{"token":"123"}')
    assert set(orjson.loads(str(await ws.recv())[2:])) == {"sid"}
    assert await ws.recv() == '42["auth",{"token":"123"}]'
    await ws.send("40/custom,")
    assert str(await ws.recv()).startswith("40/custom,{")
    assert await ws.recv() == '42/custom,["auth",{}]'
    await ws.send("40/random")
    assert await ws.recv() == '44/random,{"message":"Invalid namespace"}'
    await ws.send("41/custom,")
    await ws.send('42["message",1,"2",{"3":[true]}]')
    assert await ws.recv() == '42["message-back",1,"2",{"3":[true]}]'
    await ws.send('42456["message-with-ack",1,"2",{"3":[false]}]')
    assert await ws.recv() == '43456[1,"2",{"3":[false]}]'
    await ws.send('452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]')
    await ws.send(b"\x01\x02\x03")
    await ws.send(b"\x04\x05\x06")
    assert await ws.recv() == '462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'
    assert await ws.recv() == b"\x01\x02\x03"
    assert await ws.recv() == b"\x04\x05\x06"
    await ws.close()

    for bad in ("4abc", "42{}", '42abc["message-with-ack",1]', '42["message"]'):
        ws = await _sio(url)
        if bad != '42["message"]':  # an event before any CONNECT is a protocol violation by itself
            await ws.send("40")
            await ws.recv()
            await ws.recv()
        await ws.send(bad)
        while (msg := await asyncio.wait_for(ws.recv(), 10)) is not None:
            assert msg == "2"
        await ws.close()


async def test_socketio_connect_timeout(url: str) -> None:
    ws = await _sio(url)
    while (msg := await asyncio.wait_for(ws.recv(), 10)) is not None:
        await ws.send("3")  # keep the heartbeat alive: only the connect timeout may close it
        assert msg == "2"
    await ws.close()
