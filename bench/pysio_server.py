"""Third reference bench server: python-socketio AsyncServer under uvicorn (shared/bench-contract.md).

Start: PORT=3000 HOST=127.0.0.1 .venv/bin/python bench/pysio_server.py
"""

from __future__ import annotations

import os
import time
from typing import Any

import socketio
import uvicorn

sio = socketio.AsyncServer(
    async_mode="asgi", transports=["websocket"], cors_allowed_origins=[], logger=False, engineio_logger=False
)


async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
    # python-socketio sends the CONNECT ack after this handler returns: the room is in place first.
    if isinstance(auth, dict) and isinstance(auth.get("room"), str):
        await sio.enter_room(sid, auth["room"])


async def publish(sid: str, p: dict[str, Any]) -> bool:
    room = str(p.get("room"))
    pad = "x" * max(0, int(p.get("size", 0)) - 48)
    for i in range(int(p.get("n", 0))):
        await sio.emit("bench:event", {"seq": i, "t": time.time() * 1000.0, "pad": pad}, room=room)
    return True


async def ping(sid: str, x: Any = None) -> tuple[Any]:
    return (x,)  # a tuple is sent as the ack's argument list: [x], [null] when absent


sio.on("connect", connect)
sio.on("bench:publish", publish)
sio.on("bench:ping", ping)


def main() -> None:
    uvicorn.run(
        socketio.ASGIApp(sio),
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "3000")),
        backlog=2048,
        log_level="warning",
        lifespan="off",
    )


if __name__ == "__main__":
    main()
