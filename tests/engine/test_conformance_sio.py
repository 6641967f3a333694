"""Port of the official Socket.IO v5 test suite (socketio/socket.io-protocol, test-suite/test-suite.js).

Runs against ``python -m storewire.engine.conformance`` started as a subprocess on a free port, with
a raw WebSocket (``websockets``) and raw HTTP (httpx). The suite's "Engine.IO protocol" section at
``/socket.io/`` (handshake, heartbeat, close) is in test_conformance_eio.py, parametrized over both
paths; its upgrade cases are here. Cases marked "beyond the suite" cover the rest of the spec:
polling, upgrade with Socket.IO traffic, and the malformed packets the reference parser refuses.

The reference server: on connection it emits ``auth`` with the handshake auth; ``message`` is
echoed as ``message-back``; ``message-with-ack`` is acknowledged with its arguments; ``/custom``
emits ``auth`` too; any other namespace is unknown; connectTimeout is 1000 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from conformance_support import (
    WAIT,
    ConformanceApp,
    handshake,
    open_ws,
    recv,
    recv_skipping_pings,
    running_app,
    wait_closed,
)
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]

SIO = "/socket.io/"
CONNECT_TIMEOUT = 1.0
PLACEHOLDERS = '{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}'


@pytest.fixture(scope="module")
def app() -> Iterator[ConformanceApp]:
    with running_app() as running:
        yield running


@pytest.fixture
async def http(app: ConformanceApp) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=app.url, timeout=WAIT) as client:
        yield client


@pytest.fixture
async def ws(app: ConformanceApp) -> AsyncIterator[ClientConnection]:
    """An Engine.IO WebSocket session whose open packet has been read."""
    async with open_ws(f"{app.ws_url}{SIO}?EIO=4&transport=websocket") as conn:
        handshake(str(await recv(conn)))
        yield conn


@pytest.fixture
async def sio(ws: ClientConnection) -> ClientConnection:
    """Connected to the main namespace, its CONNECT ack and ``auth`` event read (initSocketIOConnection)."""
    await ws.send("40")
    assert str(await recv(ws)).startswith("40")
    assert await recv(ws) == '42["auth",{}]'
    return ws


def assert_connect_ack(msg: str | bytes, prefix: str) -> None:
    assert isinstance(msg, str)
    assert msg.startswith(prefix)
    ack = json.loads(msg[len(prefix) :])
    assert set(ack) == {"sid"}
    assert isinstance(ack["sid"], str)


# -- connect ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "prefix", "auth"),
    [
        ("40", "40", '42["auth",{}]'),
        ('40{"token":"123"}', "40", '42["auth",{"token":"123"}]'),
        ("40/custom,", "40/custom,", '42/custom,["auth",{}]'),
        ('40/custom,{"token":"abc"}', "40/custom,", '42/custom,["auth",{"token":"abc"}]'),
    ],
    ids=["main", "main-with-payload", "custom", "custom-with-payload"],
)
async def test_allows_connection(ws: ClientConnection, sent: str, prefix: str, auth: str) -> None:
    await ws.send(sent)
    assert_connect_ack(await recv(ws), prefix)
    assert await recv(ws) == auth


async def test_connect_ack_and_handler_emits_are_separate_messages(ws: ClientConnection) -> None:
    # the official suite reads them one by one; both must arrive, CONNECT first
    await ws.send("40")
    first, second = await recv(ws), await recv(ws)
    assert_connect_ack(first, "40")
    assert second == '42["auth",{}]'


async def test_disallows_connection_to_an_unknown_namespace(ws: ClientConnection) -> None:
    await ws.send("40/random")
    assert await recv(ws) == '44/random,{"message":"Invalid namespace"}'
    # beyond the suite: the refusal concerns that namespace only, the connection stays usable
    await ws.send("40")
    assert_connect_ack(await recv_skipping_pings(ws), "40")


async def test_disallows_connection_with_an_invalid_handshake(ws: ClientConnection) -> None:
    await ws.send("4abc")
    await wait_closed(ws)


async def test_closes_the_connection_if_no_handshake_is_received(ws: ClientConnection) -> None:
    opened = time.monotonic()

    async def answer_pings_until_closed() -> None:
        # pings are answered, so that only the missing CONNECT can end the session
        while True:
            try:
                msg = await ws.recv()
            except ConnectionClosed:
                return
            if msg == "2":
                await ws.send("3")

    await asyncio.wait_for(answer_pings_until_closed(), WAIT)
    assert time.monotonic() - opened >= CONNECT_TIMEOUT - 0.05


@pytest.mark.parametrize(
    "bad",
    ['40"token"', "40[]", "40/custom,true", '40{"a":1'],
    ids=["string-auth", "array-auth", "bool-auth", "bad-json"],
)
async def test_invalid_connect_payload_closes_the_connection(ws: ClientConnection, bad: str) -> None:
    # beyond the suite: socket.io-parser accepts only an object as CONNECT data
    await ws.send(bad)
    await wait_closed(ws)


async def test_connect_twice_to_a_namespace_closes_the_connection(sio: ClientConnection) -> None:
    # beyond the suite: the reference treats it as an invalid state and closes the client
    await sio.send("40")
    await wait_closed(sio)


# -- disconnect -----------------------------------------------------------------------------------


async def test_disconnects_from_the_main_namespace(sio: ClientConnection) -> None:
    await sio.send("41")
    # the Engine.IO session outlives the namespace: the next packet is the heartbeat
    assert await recv(sio) == "2"


async def test_connects_then_disconnects_from_a_custom_namespace(sio: ClientConnection) -> None:
    assert await recv(sio) == "2"  # ping
    await sio.send("3")
    await sio.send("40/custom")
    assert_connect_ack(await recv_skipping_pings(sio), "40/custom,")
    assert await recv_skipping_pings(sio) == '42/custom,["auth",{}]'
    await sio.send("41/custom")
    await sio.send('42["message","message to main namespace"]')
    assert await recv_skipping_pings(sio) == '42["message-back","message to main namespace"]'


async def test_event_to_a_namespace_not_connected_closes_the_connection(sio: ClientConnection) -> None:
    # beyond the suite: the reference closes the client on a packet for a namespace it did not join
    await sio.send('42/custom,["message"]')
    await wait_closed(sio)


# -- message --------------------------------------------------------------------------------------


async def test_sends_a_plain_text_packet(sio: ClientConnection) -> None:
    await sio.send('42["message",1,"2",{"3":[true]}]')
    assert await recv_skipping_pings(sio) == '42["message-back",1,"2",{"3":[true]}]'


async def test_sends_a_packet_with_binary_attachments(sio: ClientConnection) -> None:
    await sio.send(f'452-["message",{PLACEHOLDERS}]')
    await sio.send(bytes([1, 2, 3]))
    await sio.send(bytes([4, 5, 6]))
    assert [await recv_skipping_pings(sio) for _ in range(3)] == [
        f'452-["message-back",{PLACEHOLDERS}]',
        bytes([1, 2, 3]),
        bytes([4, 5, 6]),
    ]


async def test_sends_a_plain_text_packet_with_an_ack(sio: ClientConnection) -> None:
    await sio.send('42456["message-with-ack",1,"2",{"3":[false]}]')
    assert await recv_skipping_pings(sio) == '43456[1,"2",{"3":[false]}]'


async def test_sends_a_packet_with_binary_attachments_and_an_ack(sio: ClientConnection) -> None:
    await sio.send(f'452-789["message-with-ack",{PLACEHOLDERS}]')
    await sio.send(bytes([1, 2, 3]))
    await sio.send(bytes([4, 5, 6]))
    assert [await recv_skipping_pings(sio) for _ in range(3)] == [
        f"462-789[{PLACEHOLDERS}]",
        bytes([1, 2, 3]),
        bytes([4, 5, 6]),
    ]


async def test_events_on_a_custom_namespace(sio: ClientConnection) -> None:
    # beyond the suite: namespaces multiplexed on one connection keep their own identity
    await sio.send('40/custom,{"k":"v"}')
    assert_connect_ack(await recv_skipping_pings(sio), "40/custom,")
    assert await recv_skipping_pings(sio) == '42/custom,["auth",{"k":"v"}]'
    await sio.send('42["message","main"]')
    assert await recv_skipping_pings(sio) == '42["message-back","main"]'


@pytest.mark.parametrize(
    "bad",
    [
        "4abc",  # unknown packet type
        "42{}",  # invalid payload format
        '42abc["message-with-ack",1,"2",{"3":[false]}]',  # invalid ack id
        # beyond the suite: the other refusals of socket.io-parser
        '42["connect"]',  # reserved event name
        '42["disconnecting"]',
        "42[]",  # no event name
        "42[null]",
        "43{}",  # ack data must be an array
        '4511-["message"]',  # more attachments than the reference's limit of 10
        '45x-["message"]',  # illegal attachments count
        "4",  # empty Socket.IO packet
        "47",  # unknown packet type
    ],
)
async def test_closes_the_connection_upon_invalid_format(sio: ClientConnection, bad: str) -> None:
    await sio.send(bad)
    await wait_closed(sio)


async def test_binary_without_a_pending_packet_closes_the_connection(sio: ClientConnection) -> None:
    await sio.send(b"\x01\x02")
    await wait_closed(sio)


async def test_text_while_waiting_for_attachments_closes_the_connection(sio: ClientConnection) -> None:
    await sio.send(f'452-["message",{PLACEHOLDERS}]')
    await sio.send(b"\x01")
    await sio.send('42["message"]')
    await wait_closed(sio)


async def test_placeholder_out_of_range_closes_the_connection(sio: ClientConnection) -> None:
    await sio.send('451-["message",{"_placeholder":true,"num":1}]')
    await sio.send(b"\x01")
    await wait_closed(sio)


# -- upgrade (the suite's Engine.IO section at /socket.io/) -----------------------------------------


def polling(sid: str) -> str:
    return f"{SIO}?EIO=4&transport=polling&sid={sid}"


async def open_polling(http: httpx.AsyncClient) -> str:
    response = await http.get(f"{SIO}?EIO=4&transport=polling")
    assert response.status_code == 200
    sid: str = handshake(response.text)["sid"]
    return sid


async def upgrade(app: ConformanceApp, sid: str) -> ClientConnection:
    """Probe and upgrade; a CONNECT answered over the WebSocket proves the upgrade is complete."""
    conn = await open_ws(f"{app.ws_url}{SIO}?EIO=4&transport=websocket&sid={sid}")
    await conn.send("2probe")
    assert await recv(conn) == "3probe"
    await conn.send("5")
    return conn


async def test_upgrades_from_polling_to_websocket(app: ConformanceApp, http: httpx.AsyncClient) -> None:
    sid = await open_polling(http)
    async with await upgrade(app, sid) as conn:
        await conn.send("40")
        assert_connect_ack(await recv_skipping_pings(conn), "40")
        assert await recv_skipping_pings(conn) == '42["auth",{}]'


async def test_ignores_http_requests_with_same_sid_after_upgrade(
    app: ConformanceApp, http: httpx.AsyncClient
) -> None:
    sid = await open_polling(http)
    async with await upgrade(app, sid) as conn:
        await conn.send("40")
        assert_connect_ack(await recv_skipping_pings(conn), "40")
        assert (await http.get(polling(sid))).status_code == 400


async def test_ignores_websocket_connection_with_same_sid_after_upgrade(
    app: ConformanceApp, http: httpx.AsyncClient
) -> None:
    sid = await open_polling(http)
    async with await upgrade(app, sid) as conn:
        await conn.send("40")
        assert_connect_ack(await recv_skipping_pings(conn), "40")
        async with open_ws(f"{app.ws_url}{SIO}?EIO=4&transport=websocket&sid={sid}") as second:
            await wait_closed(second)


# -- Socket.IO over polling, and across an upgrade (beyond the suite) -------------------------------


async def poll_until(http: httpx.AsyncClient, sid: str, count: int) -> list[str]:
    """GET until ``count`` non-ping packets arrived (answering pings); returns them in order."""
    packets: list[str] = []
    while len(packets) < count:
        response = await http.get(polling(sid))
        assert response.status_code == 200, response.text
        for packet in response.text.split("\x1e"):
            if packet == "2":
                assert (await http.post(polling(sid), content="3")).status_code == 200
            elif packet != "6":
                packets.append(packet)
    return packets


async def test_socket_io_over_polling(http: httpx.AsyncClient) -> None:
    sid = await open_polling(http)
    assert (await http.post(polling(sid), content='40{"token":"t"}')).text == "ok"
    connect, auth = await poll_until(http, sid, 2)
    assert_connect_ack(connect, "40")
    assert auth == '42["auth",{"token":"t"}]'
    body = "\x1e".join(
        [
            '42["message",1]',
            '42456["message-with-ack","a"]',
            f'452-["message",{PLACEHOLDERS}]',
            "bAQID",
            "bBAUG",
        ]
    )
    assert (await http.post(polling(sid), content=body)).status_code == 200
    assert await poll_until(http, sid, 5) == [
        '42["message-back",1]',
        '43456["a"]',
        f'452-["message-back",{PLACEHOLDERS}]',
        "bAQID",
        "bBAUG",
    ]


async def test_invalid_packet_over_polling_closes_the_session(http: httpx.AsyncClient) -> None:
    sid = await open_polling(http)
    with contextlib.suppress(httpx.TransportError):  # the reference may end the request abruptly
        await http.post(polling(sid), content="4abc")
    assert (await http.get(polling(sid))).status_code == 400


async def test_events_emitted_during_upgrade_arrive_once_in_order(
    app: ConformanceApp, http: httpx.AsyncClient
) -> None:
    sid = await open_polling(http)
    assert (await http.post(polling(sid), content="40")).status_code == 200
    assert len(await poll_until(http, sid, 2)) == 2  # CONNECT ack, auth
    async with open_ws(f"{app.ws_url}{SIO}?EIO=4&transport=websocket&sid={sid}") as conn:
        await conn.send("2probe")
        assert await recv(conn) == "3probe"
        # sent over polling while the upgrade is in progress: the echoes must move to the WebSocket
        body = "\x1e".join(f'42["message",{i}]' for i in range(20))
        assert (await http.post(polling(sid), content=body)).status_code == 200
        await conn.send("5")
        await conn.send('42["message","after"]')
        got: list[str | bytes] = []
        while not got or got[-1] != '42["message-back","after"]':
            msg = await recv_skipping_pings(conn)
            if msg != "6":
                got.append(msg)
        assert got == [f'42["message-back",{i}]' for i in range(20)] + ['42["message-back","after"]']
