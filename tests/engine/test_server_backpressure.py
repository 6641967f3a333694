"""A client that stops reading is dropped as a slow consumer; the others keep receiving.

Memory is measured as bytes, not time: what the server holds for the stuck socket (the transport's
write buffer plus the engine's pending frames) never exceeds the limit plus one tick's worth of data.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import orjson
import websockets
from test_server_support import RawWs, serve

from storewire.engine import Server, Socket
from storewire.engine.eio_server import CLOSED

LIMIT = 256 * 1024
EVENT = "x" * 16 * 1024  # 16 KiB per event
COUNT = 600  # ~9.6 MiB in total: far beyond what the kernel buffers for a loopback socket


async def test_slow_consumer_is_dropped_and_others_unaffected() -> None:
    server = Server(ping_interval=30, ping_timeout=30, max_buffered_bytes=LIMIT)
    sockets: dict[str, Socket] = {}
    reasons: dict[str, str] = {}

    async def on_connect(sock: Socket, auth: Any) -> None:
        sockets[auth["name"]] = sock

    async def on_disconnect(sock: Socket, reason: str) -> None:
        reasons[sock.sid] = reason

    server.on_connect(on_connect)
    server.on_disconnect(on_disconnect)
    async with serve(server.asgi(), ws=server.uvicorn_ws_protocol()) as url:
        # the stuck client: raw TCP, tiny receive buffer, reads nothing after the handshake
        slow = await RawWs.connect(url, "/socket.io/?EIO=4&transport=websocket", rcvbuf=4096)
        assert (await slow.recv_text()).startswith("0{")
        await slow.send('40{"name":"slow"}')
        assert (await slow.recv_text()).startswith("40{")

        ws_url = url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
        async with websockets.connect(ws_url, max_size=None) as normal:
            assert str(await normal.recv()).startswith("0{")
            await normal.send('40{"name":"normal"}')
            assert str(await normal.recv()).startswith("40{")
            while "normal" not in sockets or "slow" not in sockets:
                await asyncio.sleep(0.01)
            stuck = sockets["slow"]
            # keep the kernel's share small too, so the engine's own buffering is what is tested
            raw = stuck.eio.conn.transport.get_extra_info("socket")  # type: ignore[union-attr]
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16 * 1024)

            async def read_all() -> list[int]:
                seen: list[int] = []
                while len(seen) < COUNT:
                    msg = await normal.recv()
                    if msg == "2":
                        await normal.send("3")
                        continue
                    event, n, _ = orjson.loads(str(msg)[2:])
                    assert event == "big"
                    seen.append(n)
                return seen

            reader = asyncio.ensure_future(read_all())
            peak = 0
            paused_reading = False
            dropped_at = None
            for n in range(COUNT):
                server.emit("big", n, EVENT)
                await asyncio.sleep(0)  # one tick: the engine flushes every dirty socket once
                if stuck.eio.state != CLOSED:
                    transport = stuck.eio.conn.transport  # type: ignore[union-attr]
                    peak = max(peak, transport.get_write_buffer_size() + stuck.eio._out_n)
                    # while its writes are blocked, the engine stops reading from it
                    paused_reading = paused_reading or not transport.is_reading()
                elif dropped_at is None:
                    dropped_at = n
            seen = await asyncio.wait_for(reader, 60)
            assert sockets["normal"].connected

        assert dropped_at is not None, "the non-reading client was never dropped"
        assert paused_reading
        assert reasons[stuck.sid] == "slow consumer"
        assert server.get_socket(stuck.sid) is None
        # bounded: never more than the limit plus the one event queued in the tick that crossed it
        assert peak <= LIMIT + len(EVENT) + 1024
        # the healthy client got everything, in order
        assert seen == list(range(COUNT))
        await slow.close()
        await server.shutdown()
