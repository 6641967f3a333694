"""``python -m storewire.bench_server`` keeps to shared/bench-contract.md (a smoke test, not a benchmark)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import socketio
from tests.conftest import free_port
from tests.support import terminate

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def bench_url() -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "storewire.bench_server"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "bench server did not start"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        assert terminate(process, 5), "the bench server must stop on SIGTERM"


async def _client(url: str, auth: dict[str, Any] | None, seen: list[Any]) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)

    @client.on("bench:event")
    async def on_event(data: Any) -> None:
        seen.append(data)

    await client.connect(url, auth=auth, transports=["websocket"], wait_timeout=10)
    return client


async def test_publish_reaches_the_room_in_order_and_ping_acks(bench_url: str) -> None:
    in_room: list[Any] = []
    control_seen: list[Any] = []
    member = await _client(bench_url, {"room": "r1"}, in_room)
    control = await _client(bench_url, None, control_seen)
    try:
        before = time.time() * 1000
        ack = await control.call("bench:publish", {"room": "r1", "n": 50, "size": 200}, timeout=10)
        assert ack is True
        async with asyncio.timeout(10):
            while len(in_room) < 50:
                await asyncio.sleep(0.01)
        assert [e["seq"] for e in in_room] == list(range(50))
        assert all(e["pad"] == "x" * 152 for e in in_room)
        assert all(before - 1 <= e["t"] <= time.time() * 1000 + 1 for e in in_room)
        assert control_seen == []  # the control client joined no room
        assert await control.call("bench:ping", 7, timeout=10) == 7
    finally:
        await asyncio.gather(member.disconnect(), control.disconnect())
