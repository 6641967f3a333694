"""storewire resume: replay throughput of one large backlog, and a resume storm after a restart.

Run from the repository root:  .venv/bin/python bench/replay.py [--quick]   (or `make bench-replay`)

It starts a real `python -m storewire serve` on SQLite in a temp dir, pinned to CPU 0, with guests
allowed, the per-IP connection limit and the publish API's rate limit raised, and
`STOREWIRE_REPLAY_MAX_EVENTS` above the backlog. Events are `system:announcement`s to `everyone`
published through `POST /api/v1/publish` with a service key (`storewire keys create`); every guest
socket is in `everyone`. The clients are guest sockets of the official socket.io-client 4.x
(bench/replay_clients.js, Node, CPU 1) that remember their position and connect with `auth.resume`.

1. replay: one socket per transport gets a position, disconnects; `--backlog` events are published;
   it resumes (`--rounds` times, from the same position) and is timed from `connect()` to
   `sync:recovered`: events/s, and the server's CPU (utime+stime from /proc) during the replay.
2. storm: `--clients` sockets connect and get positions; the server gets SIGTERM and is started again
   on the same database; `--storm-events` events are published; then every socket `connect()`s in the
   same tick with `auth.resume`: time until all have `sync:recovered`, per-socket p50/p99, recovered
   true/false (by reason), the server's CPU. `--storm-modes plain` adds the same restart with a plain
   reconnect (no `auth.resume`) for comparison.

Printed, written to bench/results/replay.md (+ .json), never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (  # bench/run.py is a script beside this one
    CLK_TCK,
    LOADGEN_CPU,
    PY,
    RESULTS,
    ROOT,
    SERVER_CPU,
    NodeLines,
    Profiler,
    Server,
    free_port,
    loadavg,
    process_tree,
    stop_group,
    table,
)


class GilProfiler(Profiler):
    """``run.Profiler`` with ``--gil``: only the thread holding the GIL is sampled.

    The server's aiosqlite connections each have a worker thread that waits in ``SimpleQueue.get``
    with a timeout; ``py-spy --nonblocking`` does not see those waits as idle, so without ``--gil``
    they fill a large share of the samples (40 % in the storm) that is no CPU at all.
    """

    flags = ("--nonblocking", "--gil")


class StorewireServer(Server):
    """`python -m storewire serve` on a given port, so that a restart listens where the clients are."""

    def __init__(self, port: int, tag: str) -> None:
        super().__init__("storewire", f"{PY} -m storewire serve --host 127.0.0.1 --port {port}", tag)
        self.port = port  # Server picked a free port for $PORT; this command does not read it

    def terminate(self, timeout: float) -> float:
        """SIGTERM (graceful shutdown); the seconds until the process exited (SIGKILL after timeout)."""
        t0 = time.perf_counter()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            stop_group(self.proc, 0)
        self.log.close()
        return time.perf_counter() - t0


# ----------------------------------------------------------------------------- the clients
class Clients(NodeLines):
    """bench/replay_clients.js: N guest sockets (socket.io-client) that resume when told."""

    name = "replay clients"

    def __init__(self, port: int, clients: int, transport: str = "websocket", timeout: float = 120) -> None:
        self.transport = transport
        args = ["--port", str(port), "--clients", str(clients), "--transports", transport]
        super().__init__("replay_clients.js", [*args, "--timeout", str(timeout)])
        self.expect("ready", 30)

    def send(self, cmd: str, **fields: Any) -> None:
        self.write(orjson.dumps({"cmd": cmd, **fields}))

    def expect(self, event: str, timeout: float) -> dict[str, Any]:
        return self.next_is(event, timeout)

    def call(self, cmd: str, event: str, timeout: float = 180, **fields: Any) -> dict[str, Any]:
        self.send(cmd, **fields)
        return self.expect(event, timeout)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.send("quit")
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            stop_group(self.proc, 1)


# ----------------------------------------------------------------------------- publishing events
async def publish(port: int, key: str, n: int, concurrency: int, first: int = 0) -> float:
    """Publish ``n`` `system:announcement`s to `everyone` (``concurrency`` requests in flight); seconds."""
    url = f"http://127.0.0.1:{port}/api/v1/publish"
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    numbers = iter(range(first, first + n))

    async def worker(http: aiohttp.ClientSession) -> None:
        for i in numbers:
            body = {
                "event": "system:announcement",
                "data": {
                    "announcement_id": f"ann_bench_{i:07d}",
                    "audience": "everyone",
                    "level": "info",
                    "title": f"bench announcement {i}",
                    "body": "The replay bench publishes this to everyone. " * 3,
                    "created_at": created,
                },
            }
            async with http.post(url, data=orjson.dumps(body), headers=headers) as response:
                if response.status != 202:
                    raise RuntimeError(f"publish answered {response.status}: {await response.text()}")

    t0 = time.perf_counter()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
    return time.perf_counter() - t0


def service_key() -> str:
    """`storewire keys create --name bench` on the bench's database (the environment says which)."""
    done = subprocess.run(
        [PY, "-m", "storewire", "keys", "create", "--name", "bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT / "src")),
    )
    return done.stdout.strip().splitlines()[-1]


def core_busy(cpu: str = SERVER_CPU) -> float:
    """Seconds the core ``cpu`` has been busy (anything but idle and iowait), from /proc/stat."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(f"cpu{cpu} "):
                ticks = [int(x) for x in line.split()[1:]]
                return (sum(ticks) - ticks[3] - ticks[4]) / CLK_TCK
    return 0.0


def measured(
    server: Server, clients: Clients, cmd: str, profile: str | None, **fields: Any
) -> dict[str, Any]:
    """Run a client round, with the server's CPU, the server core's busy time (the machine is shared:
    other processes on that core slow the server down) and py-spy, if asked, around it."""
    profiler = GilProfiler(server.proc.pid, profile) if profile else None
    cpu0, busy0, t0 = server.cpu(), core_busy(), time.perf_counter()
    try:
        result = clients.call(cmd, "round", **fields)
    finally:
        cpu, busy = server.cpu() - cpu0, core_busy() - busy0
        wall = time.perf_counter() - t0
        if profiler is not None:
            top = profiler.stop()
            print(f"  py-spy: {top}", flush=True)
    result["server_cpu_ms"] = round(cpu * 1000)
    result["others_cpu_ms"] = max(0, round((busy - cpu) * 1000))  # other processes on the server's core
    result["harness_ms"] = round(wall * 1000)  # the window the CPU figures cover
    return result


def _shares(r: dict[str, Any]) -> str:
    """The server's and other processes' share of the server's core during a round."""
    wall = r["harness_ms"]
    if not wall:
        return ""
    return f"{100 * r['server_cpu_ms'] / wall:.0f} / {100 * r['others_cpu_ms'] / wall:.0f}"


# ----------------------------------------------------------------------------- 1. replay throughput
def run_replay(args: argparse.Namespace, server: Server, key: str) -> dict[str, Any]:
    transports = [t for t in args.transports.split(",") if t]
    out: dict[str, Any] = {"backlog": args.backlog, "rounds": []}
    probe = Clients(server.port, 1)  # a live socket: when it has every event, they are all in the log
    replayers = {t: Clients(server.port, 1, t) for t in transports}
    try:
        probe.call("open", "round")
        for replayer in replayers.values():
            replayer.call("open", "round")
            replayer.call("save", "saved")
            replayer.call("close", "closed")
        probe.call("mark", "marked")
        profiler = GilProfiler(server.proc.pid, "replay-build") if args.pyspy else None
        cpu0 = server.cpu()
        seconds = asyncio.run(publish(server.port, key, args.backlog, args.publish_concurrency))
        got = probe.call("wait_events", "events", timeout=300, n=args.backlog)
        cpu = server.cpu() - cpu0
        if profiler is not None:
            print(f"  py-spy: {profiler.stop()}", flush=True)
        out["build"] = {
            "events": args.backlog,
            "seconds": round(seconds, 2),
            "per_s": round(args.backlog / seconds),
            "server_cpu_ms_per_publish": round(cpu * 1000 / args.backlog, 3),
            "probe_last_ms": got["ms"],
        }
        print(
            f"  backlog: {args.backlog} events published in {seconds:.1f} s "
            f"({args.backlog / seconds:.0f}/s, {cpu * 1000 / args.backlog:.2f} ms server CPU each)",
            flush=True,
        )
        for transport, replayer in replayers.items():
            for i in range(args.rounds):
                profile = f"replay-{transport}" if args.pyspy and i == args.rounds - 1 else None
                result = measured(server, replayer, "resume", profile, **{"from": "saved"})
                result["round"] = i + 1
                replayer.call("close", "closed")
                out["rounds"].append(result)
                ms = result["recovered_ms"]["max"]
                print(
                    f"  {transport} round {i + 1}: {result['events_before_sync']['total']} events, "
                    f"sync:recovered after {ms} ms",
                    flush=True,
                )
    finally:
        probe.close()
        for replayer in replayers.values():
            replayer.close()
    return out


# ----------------------------------------------------------------------------- 2. resume storm
def run_storm(args: argparse.Namespace, box: list[StorewireServer], key: str, mode: str) -> dict[str, Any]:
    """``box[0]`` is the running server; it is replaced by the restarted one."""
    server = box[0]
    out: dict[str, Any] = {"mode": mode, "clients": args.clients, "events": args.storm_events}
    storm = Clients(server.port, args.clients, timeout=args.timeout)
    try:
        opened = measured(server, storm, "open", None, inflight=128)
        out["open"] = opened
        print(
            f"  {mode}: {opened['connected']} sockets connected in {opened['wall_ms'] / 1000:.1f} s "
            f"({opened['not_recovered']} sync:recovered {opened['reasons']}, errors {opened['errors']})",
            flush=True,
        )
        # a few live events first: the sockets' positions are those of events they handled
        storm.call("mark", "marked")
        warm = args.warm_events
        asyncio.run(publish(server.port, key, warm, min(warm, args.publish_concurrency), first=10**6))
        storm.call("wait_events", "events", timeout=120, n=warm)

        # restart: SIGTERM, then start again on the same database and port
        storm.send("await_down", timeout=60)
        out["shutdown_s"] = round(server.terminate(args.shutdown_wait), 2)
        out["down"] = storm.expect("down", 60)
        t0 = time.perf_counter()
        server = box[0] = StorewireServer(server.port, f"replay-storm-{mode}")
        server.start()
        out["startup_s"] = round(time.perf_counter() - t0, 2)
        print(
            f"  {mode}: SIGTERM -> exit {out['shutdown_s']} s ({out['down']['reasons']}), "
            f"start -> port open {out['startup_s']} s",
            flush=True,
        )

        # meanwhile, events: the sockets are all down, each gets a backlog of storm_events
        if args.storm_events:
            probe = Clients(server.port, 1)
            try:
                probe.call("open", "round")
                probe.call("mark", "marked")
                asyncio.run(
                    publish(
                        server.port,
                        key,
                        args.storm_events,
                        min(args.storm_events, args.publish_concurrency),
                        first=2 * 10**6,
                    )
                )
                probe.call("wait_events", "events", timeout=120, n=args.storm_events)
            finally:
                probe.close()

        server.pids = process_tree(server.proc.pid)
        profile = f"replay-storm-{mode}" if args.pyspy else None
        result = measured(server, storm, "resume", profile, **({"from": "none"} if mode == "plain" else {}))
        out["storm"] = result
        print(
            f"  {mode}: {args.clients} sockets back in {result['wall_ms'] / 1000:.2f} s "
            f"(recovered {result['recovered']}, not {result['not_recovered']} {result['reasons']}, "
            f"errors {result['errors']})",
            flush=True,
        )
    finally:
        storm.close()
    return out


# ----------------------------------------------------------------------------- output
def _dist(d: dict[str, Any]) -> str:
    return f"{d['p50']} / {d['p99']} / {d['max']}" if d.get("n") else ""


def render(replay: dict[str, Any] | None, storms: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    lines = [f"## Resume: replay throughput and resume storm ({meta['when']})", ""]
    lines.append(
        "SQLite in a temp dir; server (`python -m storewire serve`) on CPU 0, socket.io-client guests"
        " on CPU 1; events are `system:announcement`s to `everyone` (~490-byte Socket.IO packets) via"
        " `POST /api/v1/publish`."
    )
    if replay is not None:
        build = replay["build"]
        lines += [
            "",
            f"### Replay of a {replay['backlog']:,}-event backlog to one socket",
            "",
            f"Backlog built with the publish API: {build['events']:,} events in {build['seconds']} s "
            f"({build['per_s']:,}/s, {build['server_cpu_ms_per_publish']} ms server CPU per publish,"
            f" {meta['publish_concurrency']} requests in flight).",
            "",
        ]
        headers = [
            "transport",
            "round",
            "events",
            "CONNECT ack ms",
            "first event ms",
            "sync:recovered ms",
            "events/s",
            "server CPU ms",
            "server CPU µs/event",
            "CPU 0: server / others %",
            "client CPU ms",
            "recovered",
        ]
        rows = []
        for r in replay["rounds"]:
            events = r["events_before_sync"]["total"]
            ms = r["recovered_ms"]["max"]
            rows.append(
                [
                    r["transports"][0],
                    str(r["round"]),
                    f"{events:,}",
                    str(r["connect_ms"]["max"]),
                    str(r["first_event_ms"]["max"]),
                    str(ms),
                    f"{events / (ms / 1000):,.0f}" if ms else "",
                    str(r["server_cpu_ms"]),
                    f"{r['server_cpu_ms'] * 1000 / events:.1f}" if events else "",
                    _shares(r),
                    str(r["client_cpu_ms"]),
                    _recovered(r),
                ]
            )
        lines.append(table(headers, rows))
    if storms:
        lines += [
            "",
            f"### Resume storm: {storms[0]['clients']:,} sockets reconnect at once after a restart",
            "",
        ]
        headers = [
            "mode",
            "backlog/socket",
            "all back s",
            "recovered",
            "CONNECT ack ms p50 / p99 / max",
            "sync:recovered ms p50 / p99 / max",
            "events before sync min-max",
            "server CPU s",
            "CPU 0: server / others %",
            "client CPU s",
            "errors",
        ]
        rows = []
        for s in storms:
            r = s["storm"]
            ev = r["events_before_sync"]
            rows.append(
                [
                    "auth.resume" if s["mode"] == "resume" else "plain (no resume)",
                    str(s["events"]) if s["mode"] == "resume" else f"{s['events']} (not replayed)",
                    f"{r['wall_ms'] / 1000:.2f}",
                    _recovered(r) if s["mode"] == "resume" else f"{r['connected']} connected",
                    _dist(r["connect_ms"]),
                    _dist(r["recovered_ms"]),
                    f"{ev['min']}-{ev['max']}",
                    f"{r['server_cpu_ms'] / 1000:.2f}",
                    _shares(r),
                    f"{r['client_cpu_ms'] / 1000:.2f}",
                    ", ".join(f"{k}: {v}" for k, v in r["errors"].items()) or "none",
                ]
            )
        lines.append(table(headers, rows))
        lines.append("")
        for s in storms:
            o = s["open"]
            lines.append(
                f"- {s['mode']}: first connect of {o['clients']:,} sockets (128 handshakes in flight)"
                f" {o['wall_ms'] / 1000:.2f} s, {o['server_cpu_ms'] / 1000:.2f} s server CPU;"
                f" SIGTERM -> exit {s['shutdown_s']} s (client side: {s['down']['reasons']});"
                f" restart -> port open {s['startup_s']} s; order violations {s['storm']['disorder']}."
            )
    lines += ["", f"load average: {meta['load_start']} -> {meta['load_end']}"]
    return "\n".join(lines) + "\n"


def _recovered(r: dict[str, Any]) -> str:
    text = f"{r['recovered']} true"
    if r["not_recovered"]:
        text += (
            f", {r['not_recovered']} false (" + ", ".join(f"{k}: {v}" for k, v in r["reasons"].items()) + ")"
        )
    return text


# ----------------------------------------------------------------------------- main
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="backlog 2,000, 200 clients, 1 round (a smoke run)")
    ap.add_argument("--scenarios", default="replay,storm", help="comma list of replay,storm")
    ap.add_argument("--backlog", type=int, default=10_000, help="events to replay to one socket (10,000)")
    ap.add_argument("--transports", default="websocket,polling", help="replay transports (websocket,polling)")
    ap.add_argument("--rounds", type=int, default=3, help="replays of the same backlog per transport (3)")
    ap.add_argument("--clients", type=int, default=1000, help="sockets in the resume storm (1,000)")
    ap.add_argument("--storm-events", type=int, default=20, help="events published while they are away (20)")
    ap.add_argument("--warm-events", type=int, default=5, help="live events before the restart (5)")
    ap.add_argument("--storm-modes", default="resume,plain", help="resume,plain (plain: no auth.resume)")
    ap.add_argument("--publish-concurrency", type=int, default=8, help="publish requests in flight (8)")
    ap.add_argument("--timeout", type=float, default=120, help="seconds a client round may take (120)")
    ap.add_argument("--shutdown-wait", type=float, default=20, help="SIGTERM -> SIGKILL after this (20 s)")
    ap.add_argument(
        "--pyspy",
        action="store_true",
        help="py-spy the server while building the backlog, the last replay, the storm",
    )
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (database)")
    args = ap.parse_args()
    if args.quick:
        args.backlog, args.clients, args.rounds = min(args.backlog, 2000), min(args.clients, 200), 1
    if shutil.which("taskset") is None or shutil.which("node") is None or (os.cpu_count() or 1) < 2:
        print("needs taskset, node and at least 2 CPUs", file=sys.stderr)
        return 2
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, {int(LOADGEN_CPU)})  # keep the harness off the server's CPU

    wanted = set(args.scenarios.split(","))
    tmp = Path(tempfile.mkdtemp(prefix="storewire-replay-"))
    os.environ.update(
        STOREWIRE_DATABASE_URL=f"sqlite+aiosqlite:///{tmp / 'storewire.db'}",
        STOREWIRE_JWT_SECRET=secrets.token_hex(24),
        STOREWIRE_ALLOW_GUESTS="true",
        STOREWIRE_MAX_CONNECTIONS_PER_IP=str(args.clients + 100),
        STOREWIRE_PUBLISH_PER_SECOND="1000000",
        STOREWIRE_PUBLISH_BURST="1000000",
        STOREWIRE_REPLAY_MAX_EVENTS=str(max(10_000, args.backlog + 1000)),
        STOREWIRE_LOG_LEVEL="WARNING",
    )
    meta: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_start": loadavg(),
        "publish_concurrency": args.publish_concurrency,
        "args": vars(args),
    }
    print(
        f"replay bench: backlog {args.backlog}, storm of {args.clients} sockets, load {meta['load_start']}",
        flush=True,
    )
    key = service_key()
    replay: dict[str, Any] | None = None
    storms: list[dict[str, Any]] = []
    box = [StorewireServer(free_port(), "replay")]
    try:
        box[0].start()
        if "replay" in wanted:
            replay = run_replay(args, box[0], key)
        if "storm" in wanted:
            for mode in args.storm_modes.split(","):
                storms.append(run_storm(args, box, key, mode))
    finally:
        box[0].stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept {tmp}", file=sys.stderr)
    meta["load_end"] = loadavg()
    text = render(replay, storms, meta)
    print()
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "replay.md").write_text(text)
    raw = {"meta": meta, "replay": replay, "storms": storms}
    (RESULTS / "replay.json").write_text(json.dumps(raw, indent=1))
    print(f"written to {(RESULTS / 'replay.md').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
