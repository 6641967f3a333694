"""storewire REST mutation -> event latency, with 1,000 connected clients (DESIGN §7: p99 < 10 ms).

Run from the repository root:  .venv/bin/python bench/latency.py [--n 300]   (or `make bench-latency`)

It starts a real `python -m storewire serve` on SQLite in a temp dir (embedded defaults: in-process
broker), pinned to CPU 0. Over REST it creates a seller, a buyer and a published product. 999 guest
sockets (bench/latency_clients.js, Node, CPU 1) join `storefront:{seller}` / `product:{id}`, so every
stock event fans out to all of them; the measuring client (this process, CPU 1) is the seller's socket
(`user:{seller}`). Then, one at a time, it measures N times:

- orders: `POST /api/v1/orders` (with an Idempotency-Key) -> `order:created` at the seller's socket;
- stock:  `PUT /api/v1/variants/{id}/stock {"quantity": n}` -> `product:stock_changed` with that n;
- floor:  `GET /healthz` (no database): what HTTP and this client cost by themselves.

For each: REST alone (send -> response body read) and REST -> event (send -> the event's frame read at
the socket), p50/p90/p99/max, plus the server's CPU per operation (utime+stime from /proc) and the
deliveries counted at the 999 audience sockets. Printed, written to bench/results/latency.md (+ .json),
never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (  # bench/run.py is a script beside this one
    LOADGEN_CPU,
    PY,
    RESULTS,
    ROOT,
    NodeLines,
    Profiler,
    Server,
    loadavg,
    stop_group,
    table,
)

PASSWORD = "latency-bench-password"
SERVE = f"{PY} -m storewire serve --host 127.0.0.1 --port $PORT"


def pct(sorted_ms: list[float], q: float) -> float:
    """The q-quantile by the nearest-rank method (as loadgen.js)."""
    i = min(len(sorted_ms) - 1, max(0, math.ceil(q * len(sorted_ms)) - 1))
    return sorted_ms[i]


# ----------------------------------------------------------------------------- the audience sockets
class Audience(NodeLines):
    """bench/latency_clients.js: N guest sockets joined to the given rooms, counting what they get."""

    name = "audience clients"

    def __init__(self, port: int, clients: int, rooms: list[str]) -> None:
        args = ["--port", str(port), "--clients", str(clients), "--rooms", ",".join(rooms)]
        super().__init__("latency_clients.js", args)

    def expect(self, event: str, timeout: float) -> dict[str, Any]:
        return self.next_is(event, timeout)

    def count(self) -> dict[str, Any]:
        self.write(b"count")
        return self.expect("count", 30)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.write(b"quit")
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            stop_group(self.proc, 1)


# ----------------------------------------------------------------------------- the measuring client
class Socket:
    """A minimal Socket.IO v5 client (WebSocket transport) that timestamps each event as it is read.

    Hand-rolled on aiohttp so that the measuring side adds as little as possible: one frame read, one
    orjson parse, one dict lookup per event.
    """

    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self.http = http
        self.url = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        self.arrived: dict[tuple[Any, ...], tuple[float, dict[str, Any]]] = {}
        self.waiting: dict[tuple[Any, ...], asyncio.Future[tuple[float, dict[str, Any]]]] = {}
        self.events = 0
        self._task: asyncio.Task[None] | None = None

    async def connect(self, token: str) -> None:
        self.ws = await self.http.ws_connect(self.url, autoping=True)
        opened = await self.ws.receive_str()
        assert opened.startswith("0"), opened
        await self.ws.send_str("40" + json.dumps({"token": token}))
        ack = await self.ws.receive_str()
        if not ack.startswith("40"):
            raise RuntimeError(f"socket refused: {ack}")
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            now = time.perf_counter()
            text = msg.data
            if not isinstance(text, str):
                continue
            if text == "2":
                await self.ws.send_str("3")
            elif text.startswith("42"):
                name, envelope = orjson.loads(text[2:])
                self.events += 1
                key = _key(name, envelope["data"])
                future = self.waiting.pop(key, None)
                if future is not None and not future.done():
                    future.set_result((now, envelope))
                else:
                    self.arrived[key] = (now, envelope)

    async def wait(self, key: tuple[Any, ...]) -> tuple[float, dict[str, Any]]:
        """The arrival time and envelope of the event with ``key`` (10 s at most)."""
        if key in self.arrived:
            return self.arrived.pop(key)
        future = self.waiting[key] = asyncio.get_running_loop().create_future()
        return await asyncio.wait_for(future, 10)

    async def close(self) -> None:
        await self.ws.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task


def _key(name: str, data: dict[str, Any]) -> tuple[Any, ...]:
    if name == "order:created":
        return (name, data.get("order_id"))
    if name == "product:stock_changed":
        return (name, data.get("variant_id"), data.get("stock"))
    return (name,)


ENVELOPE = {"id", "type", "epoch", "seq", "ts", "data", "invalidate"}


@dataclass
class Series:
    """One scenario's samples (ms)."""

    name: str
    rest: list[float] = field(default_factory=list)
    event: list[float] = field(default_factory=list)
    cpu_ms_per_op: float | None = None
    audience: str = ""
    note: str = ""


class Bench:
    def __init__(self, url: str, http: aiohttp.ClientSession) -> None:
        self.url = url
        self.api = url + "/api/v1"
        self.http = http

    async def call(
        self, method: str, path: str, token: str | None = None, body: Any = None, **headers: str
    ) -> tuple[int, Any, float]:
        """One request; returns (status, JSON body, ms from send to body read)."""
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = orjson.dumps(body) if body is not None else None
        if data is not None:
            headers["Content-Type"] = "application/json"
        t0 = time.perf_counter()
        async with self.http.request(method, path, data=data, headers=headers) as response:
            raw = await response.read()
        ms = (time.perf_counter() - t0) * 1000
        return response.status, (orjson.loads(raw) if raw else None), ms

    async def user(self, role: str) -> tuple[str, str]:
        email = f"{role}-{secrets.token_hex(6)}@bench.example"
        status, body, _ = await self.call(
            "POST",
            self.api + "/auth/register",
            body={"email": email, "password": PASSWORD, "name": f"bench {role}", "role": role},
        )
        assert status == 201, body
        status, body, _ = await self.call(
            "POST", self.api + "/auth/login", body={"email": email, "password": PASSWORD}
        )
        assert status == 200, body
        return body["user"]["id"], body["access_token"]


async def measure(
    bench: Bench, socket: Socket, name: str, n: int, warmup: int, op: Any, server: Server
) -> Series:
    """Run ``op(i)`` warmup + n times, one at a time; ``op`` returns (rest_ms, event key or None, t0)."""
    series = Series(name)
    for i in range(warmup):
        await op(-1 - i)
    cpu0 = server.cpu()
    for i in range(n):
        rest_ms, key, t0 = await op(i)
        series.rest.append(rest_ms)
        if key is not None:
            t_event, envelope = await socket.wait(key)
            assert set(envelope) == ENVELOPE, envelope
            series.event.append((t_event - t0) * 1000)
    series.cpu_ms_per_op = (server.cpu() - cpu0) * 1000 / n
    return series


async def scenario(args: argparse.Namespace, server: Server, out: list[Series]) -> None:
    url = f"http://127.0.0.1:{server.port}"
    connector = aiohttp.TCPConnector(limit=4, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as http:
        bench = Bench(url, http)
        seller_id, seller_token = await bench.user("seller")
        _buyer_id, buyer_token = await bench.user("buyer")
        status, product, _ = await bench.call(
            "POST",
            bench.api + "/products",
            seller_token,
            {
                "name": "Bench Beans",
                "status": "published",
                "variants": [{"name": "1 kg", "price_cents": 1250, "currency": "EUR", "stock": 1_000_000}],
            },
        )
        assert status == 201, product
        variant_id = product["variants"][0]["id"]
        rooms = [f"storefront:{seller_id}", f"product:{product['id']}"]
        if args.idle:  # connected, but in a room none of these events reach
            bystander_id, _ = await bench.user("seller")
            rooms = [f"storefront:{bystander_id}"]
        audience = Audience(server.port, args.clients - 1, rooms)
        socket = Socket(http, url)
        try:
            ready = await asyncio.to_thread(audience.expect, "ready", 180)
            print(
                f"  {ready['joined']} audience sockets joined {rooms} in {ready['connect_s']:.1f} s",
                flush=True,
            )
            await socket.connect(seller_token)
            await _run_scenarios(
                args, bench, socket, server, audience, buyer_token, seller_token, variant_id, out
            )
        finally:
            await socket.close()
            audience.close()


async def _run_scenarios(
    args: argparse.Namespace,
    bench: Bench,
    socket: Socket,
    server: Server,
    audience: Audience,
    buyer_token: str,
    seller_token: str,
    variant_id: str,
    out: list[Series],
) -> None:
    n, warmup = args.n, args.warmup
    wanted = set(args.scenarios.split(","))
    profiler: Profiler | None = None

    async def floor(_i: int) -> tuple[float, None, float]:
        status, _body, ms = await bench.call("GET", bench.url + "/healthz")
        assert status == 200
        return ms, None, 0.0

    async def order(i: int) -> tuple[float, tuple[Any, ...], float]:
        t0 = time.perf_counter()
        status, body, ms = await bench.call(
            "POST",
            bench.api + "/orders",
            buyer_token,
            {"items": [{"variant_id": variant_id, "quantity": 1}]},
            **{"Idempotency-Key": f"bench-{i}-{secrets.token_hex(4)}"},
        )
        assert status == 201, body
        return ms, ("order:created", body["id"]), t0

    stock = iter(range(500_000, 0, -1))

    async def set_stock(_i: int) -> tuple[float, tuple[Any, ...], float]:
        quantity = next(stock)
        t0 = time.perf_counter()
        status, body, ms = await bench.call(
            "PUT", f"{bench.api}/variants/{variant_id}/stock", seller_token, {"quantity": quantity}
        )
        assert status == 200, body
        return ms, ("product:stock_changed", variant_id, quantity), t0

    ops: list[tuple[str, str, Any]] = [
        ("floor", "GET /healthz (no database)", floor),
        ("orders", "POST /orders -> order:created", order),
        ("stock", "PUT /variants/{id}/stock -> product:stock_changed", set_stock),
    ]
    for key, label, op in ops:
        if key not in wanted:
            continue
        before = await asyncio.to_thread(audience.count)
        if key == "stock":
            status, body, _ = await bench.call(
                "PUT", f"{bench.api}/variants/{variant_id}/stock", seller_token, {"quantity": 600_000}
            )
            if status in (404, 405) and (body or {}).get("code") in (None, "not_found", "method_not_allowed"):
                print(f"  skipped {label}: the endpoint is not there yet ({status} {body})", flush=True)
                out.append(Series(label, note=f"skipped: endpoint answered {status}"))
                continue
            assert status == 200, body
            await socket.wait(("product:stock_changed", variant_id, 600_000))
        if args.pyspy:
            profiler = Profiler(server.proc.pid, f"latency-{key}")
        try:
            series = await measure(bench, socket, label, n, warmup, op, server)
        finally:
            if profiler is not None:
                top = profiler.stop()
                print(f"  py-spy: {top}", flush=True)
                profiler = None
        if key != "floor":
            # each order and each stock update sends one product:stock_changed to every audience socket
            expected = (n + warmup + (key == "stock")) * (args.clients - 1)  # + the stock one's first PUT
            expected = 0 if args.idle else expected
            got = await _audience_received(audience, before["received"], expected)
            series.audience = f"{got}/{expected}"
        out.append(series)
        print(f"  {label}: done", flush=True)


async def _audience_received(audience: Audience, before: int, expected: int) -> int:
    """Deliveries at the audience sockets since ``before``, once all ``expected`` are in or 5 s pass."""
    deadline = time.monotonic() + 5
    while True:
        got = int((await asyncio.to_thread(audience.count))["received"]) - before
        if got >= expected or time.monotonic() > deadline:
            return got
        await asyncio.sleep(0.1)


# ----------------------------------------------------------------------------- output
def render(results: list[Series], meta: dict[str, Any]) -> str:
    headers = [
        "scenario",
        "measure",
        "n",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "server CPU ms/op",
        "audience",
    ]
    rows: list[list[str]] = []
    for s in results:
        if s.note:
            rows.append([s.name, s.note, "", "", "", "", "", "", ""])
            continue
        for measure_name, samples in (("REST alone", s.rest), ("REST -> event", s.event)):
            if not samples:
                continue
            ordered = sorted(samples)
            rows.append(
                [
                    s.name,
                    measure_name,
                    str(len(ordered)),
                    *(f"{pct(ordered, q):.2f}" for q in (0.5, 0.9, 0.99)),
                    f"{ordered[-1]:.2f}",
                    f"{s.cpu_ms_per_op:.2f}" if s.cpu_ms_per_op is not None else "",
                    s.audience,
                ]
            )
    lines = [
        f"## REST mutation -> event latency ({meta['when']})",
        "",
        f"{meta['clients']} connected clients ({meta['clients'] - 1} "
        + (
            "idle sockets in another store's room"
            if meta.get("idle")
            else "audience sockets in the product's storefront/product rooms"
        )
        + " + the measuring seller socket); SQLite in a temp dir; server on CPU 0,"
        " clients on CPU 1; requests one at a time.",
        "",
        table(headers, rows),
        "",
        f"load average: {meta['load_start']} -> {meta['load_end']}",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=300, help="measured operations per scenario (default 300)")
    ap.add_argument("--warmup", type=int, default=30, help="unmeasured operations first (default 30)")
    ap.add_argument("--clients", type=int, default=1000, help="connected clients incl. the measuring one")
    ap.add_argument("--scenarios", default="floor,orders,stock", help="comma list of floor,orders,stock")
    ap.add_argument("--pyspy", action="store_true", help="py-spy the server during each measured phase")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (database, server log)")
    ap.add_argument(
        "--idle",
        action="store_true",
        help="the other clients stay connected in an unrelated room instead of receiving every event",
    )
    args = ap.parse_args()
    if shutil.which("taskset") is None or shutil.which("node") is None or (os.cpu_count() or 1) < 2:
        print("needs taskset, node and at least 2 CPUs", file=sys.stderr)
        return 2
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, {int(LOADGEN_CPU)})  # keep the measuring client off the server's CPU

    tmp = Path(tempfile.mkdtemp(prefix="storewire-latency-"))
    os.environ.update(
        STOREWIRE_DATABASE_URL=f"sqlite+aiosqlite:///{tmp / 'storewire.db'}",
        STOREWIRE_JWT_SECRET=secrets.token_hex(24),
        STOREWIRE_ALLOW_GUESTS="true",
        STOREWIRE_MAX_CONNECTIONS_PER_IP=str(args.clients + 100),
        STOREWIRE_LOG_LEVEL="WARNING",
    )
    meta: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "clients": args.clients,
        "idle": args.idle,
        "load_start": loadavg(),
    }
    print(f"latency bench: {args.clients} clients, n={args.n}, load {meta['load_start']}", flush=True)
    results: list[Series] = []
    server = Server("storewire", SERVE, "latency")
    try:
        server.start()
        asyncio.run(scenario(args, server, results))
    finally:
        server.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept {tmp}", file=sys.stderr)
    meta["load_end"] = loadavg()
    text = render(results, meta)
    print()
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latency.md").write_text(text)
    raw = {"meta": meta, "series": [s.__dict__ for s in results]}
    (RESULTS / "latency.json").write_text(json.dumps(raw, indent=1))
    print(f"written to {(RESULTS / 'latency.md').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
