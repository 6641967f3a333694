"""Helpers for the conformance ports: the conformance app as a subprocess, raw HTTP and WebSocket I/O.

The official suites (engine.io-protocol and socket.io-protocol, ``test-suite/test-suite.js``) talk to
the reference servers with ``fetch`` and a raw ``ws`` WebSocket; these helpers do the same with
httpx and the ``websockets`` client, with no Engine.IO or Socket.IO client logic in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from tests.support import terminate
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

PING_INTERVAL = 0.3  # the reference configuration of both suites, in seconds
PING_TIMEOUT = 0.2
MAX_PAYLOAD = 1_000_000
# What the official suites get from mocha: 2 s per test, 5 s for the heartbeat tests.
WAIT = 2.0
HEARTBEAT_WAIT = 5.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ConformanceApp:
    process: subprocess.Popen[bytes]
    port: int
    log: IO[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self) -> int:
        """SIGTERM, then the exit status (the process must exit on its own, promptly)."""
        if not terminate(self.process):
            raise AssertionError("the conformance app did not exit within 10 s of SIGTERM")
        return self.process.returncode


def start_app() -> ConformanceApp:
    """``python -m storewire.engine.conformance --port N`` on a free port, once it accepts connections."""
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by running_app() / the caller
    process = subprocess.Popen(
        [sys.executable, "-m", "storewire.engine.conformance", "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    app = ConformanceApp(process, port, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the conformance app exited early:\n{app.output()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return app
        time.sleep(0.05)
    app.stop()
    raise RuntimeError(f"the conformance app did not start:\n{app.output()}")


@contextlib.contextmanager
def running_app() -> Iterator[ConformanceApp]:
    app = start_app()
    try:
        yield app
    finally:
        app.stop()
        app.log.close()


def open_ws(url: str) -> connect:
    """A raw WebSocket, like the suites' ``new WebSocket(url)``: no extension, no WebSocket-level pings."""
    return connect(
        url, compression=None, ping_interval=None, open_timeout=WAIT, close_timeout=1, max_size=None
    )


async def recv(ws: ClientConnection, timeout: float = WAIT) -> str | bytes:
    return await asyncio.wait_for(ws.recv(), timeout)


async def recv_skipping_pings(ws: ClientConnection, timeout: float = WAIT) -> str | bytes:
    """Next message that is not an Engine.IO ping; pings are answered so the session stays up."""
    while True:
        msg = await recv(ws, timeout)
        if msg != "2":
            return msg
        await ws.send("3")


async def wait_closed(ws: ClientConnection, timeout: float = WAIT) -> ConnectionClosed:
    """Read until the server closes the connection; returns the close exception (codes, reason)."""

    async def drain() -> ConnectionClosed:
        while True:
            try:
                await ws.recv()
            except ConnectionClosed as exc:
                return exc

    return await asyncio.wait_for(drain(), timeout)


def handshake(text: str) -> dict[str, Any]:
    """The JSON of an Engine.IO open packet ``0{...}``."""
    assert text[:1] == "0", text
    value: dict[str, Any] = json.loads(text[1:])
    return value


def assert_handshake(value: dict[str, Any], upgrades: list[str]) -> None:
    assert set(value) == {"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"}
    assert isinstance(value["sid"], str)
    assert value["upgrades"] == upgrades
    assert value["pingInterval"] == 300
    assert value["pingTimeout"] == 200
    assert value["maxPayload"] == MAX_PAYLOAD
