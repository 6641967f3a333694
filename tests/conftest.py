"""Shared fixtures: a real storewire server process on a free port, and API helpers."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import ServerProcess


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(tmp: Path, **env: str) -> ServerProcess:
    """Boot ``python -m storewire serve`` on a free port with its own SQLite file; wait until ready."""
    port = free_port()
    environ = {
        **os.environ,
        "STOREWIRE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'storewire.db'}",
        "STOREWIRE_JWT_SECRET": "test-secret-" + secrets.token_hex(16),
        "STOREWIRE_LOG_LEVEL": "WARNING",
        # Short heartbeats keep long-polling clients from idling in a pending GET when they close.
        "STOREWIRE_PING_INTERVAL": "2",
        "STOREWIRE_PING_TIMEOUT": "5",
        **env,
    }
    log = open(tmp / "server.log", "wb")  # noqa: SIM115 - closed by ServerProcess.stop
    process = subprocess.Popen(
        [sys.executable, "-m", "storewire", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=environ,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    server = ServerProcess(
        process,
        f"http://127.0.0.1:{port}",
        environ["STOREWIRE_JWT_SECRET"],
        log,
        tmp,
        environ["STOREWIRE_DATABASE_URL"],
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            server.stop()
            raise RuntimeError(f"server exited early:\n{(tmp / 'server.log').read_text()}")
        try:
            if httpx.get(f"{server.url}/readyz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"server did not become ready:\n{(tmp / 'server.log').read_text()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One real server process per test module."""
    proc = start_server(tmp_path_factory.mktemp("server"))
    yield proc
    proc.stop()
