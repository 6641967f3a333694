"""Bench server on storewire's engine, implementing shared/bench-contract.md.

    PORT=3000 HOST=127.0.0.1 python -m storewire.bench_server

One process, one event loop: ``storewire.engine.Server`` under uvicorn with the engine's own WebSocket
protocol class (``ws=server.uvicorn_ws_protocol()``), so WebSocket upgrades to ``/socket.io/`` are
served by the engine's asyncio protocol and fan-out writes go straight to the transports.

- A client connecting with auth ``{"room": R}`` is put in room ``R`` inside the connect handler, i.e.
  before the CONNECT ack is sent; no auth (or ``{}``) joins no room.
- ``bench:publish {room, n, size}`` emits ``n`` events ``bench:event {seq, t, pad}`` to the room as
  fast as it can (``t`` = epoch milliseconds as a float at emit time) and acks ``[true]`` when the loop
  is done. ``server.emit`` only queues bytes; the loop yields to the event loop after every
  ``~YIELD_BYTES`` of frames per recipient so the engine's once-per-tick flush runs and the kernel
  keeps receiving data while the burst is produced (what a recipient has queued stays around
  ``YIELD_BYTES`` plus what its kernel buffer has not taken, whatever ``n`` is).
  ``BENCH_YIELD_BYTES`` (default 32 KiB) sets that amount; 0 yields after every event.
- ``bench:ping X`` acks ``[X]`` (``[null]`` when absent).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

import uvicorn

from storewire.engine import Server, Socket

YIELD_BYTES = int(os.environ.get("BENCH_YIELD_BYTES", str(32 * 1024)))
"""Frame bytes queued per recipient between two yields to the event loop during a publish
(env ``BENCH_YIELD_BYTES``; 0 yields after every event, the worst case for the engine's coalescing)."""


def build_server() -> Server:
    server = Server()  # defaults, including the 8 MiB slow-consumer limit

    async def on_connect(sock: Socket, auth: Any) -> None:
        if isinstance(auth, dict):
            room = auth.get("room")
            if isinstance(room, str):
                server.enter_room(sock.sid, room)

    async def on_event(sock: Socket, event: str, args: list[Any]) -> Any:
        if event == "bench:publish":
            p = args[0] if args and isinstance(args[0], dict) else {}
            await publish(server, str(p.get("room")), int(p.get("n", 0)), int(p.get("size", 0)))
            return [True]
        if event == "bench:ping":
            return [args[0] if args else None]
        return None

    server.on_connect(on_connect)
    server.on_event(on_event)
    return server


async def publish(server: Server, room: str, n: int, size: int) -> None:
    pad = "x" * max(0, size - 48)
    per_yield = max(1, YIELD_BYTES // (size + 16)) if YIELD_BYTES > 0 else 1
    emit = server.emit
    clock = time.time
    for i in range(n):
        emit("bench:event", {"seq": i, "t": clock() * 1000.0, "pad": pad}, rooms=room)
        if i % per_yield == per_yield - 1:
            await asyncio.sleep(0)


async def serve(server: Server, config: uvicorn.Config) -> None:
    await server.start()
    try:
        await uvicorn.Server(config).serve()
    finally:
        await server.shutdown()


def main() -> None:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "3000"))
    logging.basicConfig(level=logging.WARNING)
    server = build_server()
    config = uvicorn.Config(
        app=server.asgi(None),
        ws=server.uvicorn_ws_protocol(),
        host=host,
        port=port,
        backlog=2048,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=3,
    )
    print(f"storewire engine bench server on {host}:{port}", flush=True)
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(serve(server, config))


if __name__ == "__main__":
    main()
