"""storewire fan-out / capacity bench, side by side with Node's socket.io 4.x (and python-socketio).

Run from the repository root:  .venv/bin/python bench/run.py [--quick]   (or `make bench`)

Each scenario starts a fresh server process (`taskset -c 0 bash -c "exec CMD"` with PORT/HOST in the
environment, as shared/bench-contract.md says), drives it with the Node load generator bench/loadgen.js
pinned to CPU 1, samples the server's CPU (utime+stime of its process tree) and memory (VmRSS every
20 ms, VmHWM) from /proc, prints the tables and writes them to bench/results/latest.md (+ latest.json).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
PY = str(ROOT / ".venv" / "bin" / "python")
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

SERVERS: dict[str, str] = {
    "node": "node bench/node_server.js",
    "storewire": f"{PY} -m storewire.bench_server",
    # the same engine with the bench server yielding to the event loop after every event, so nothing
    # can be coalesced: one write per recipient per event, the engine's floor (fan-out only)
    "storewire-per-event": f"env BENCH_YIELD_BYTES=0 {PY} -m storewire.bench_server",
    "python-socketio": f"{PY} bench/pysio_server.py",
}
FANOUT_ONLY = {"storewire-per-event"}
EXTRA_SERVERS: dict[str, str] = {
    # not in the default set: a fake that costs the server almost nothing, to show the loadgen's ceiling
    "flood": "node bench/flood_server.js",
}
REFERENCE = "node"
SERVER_CPU = "0"
LOADGEN_CPU = "1"


# ----------------------------------------------------------------------------- /proc helpers
def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as f:
                raw = f.read()
        except OSError:
            continue
        rest = raw[raw.rindex(b")") + 2 :].split()
        kids.setdefault(int(rest[1]), []).append(int(d))
    return kids


def process_tree(pid: int) -> list[int]:
    kids = _children_map()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat", "rb") as f:
                raw = f.read()
        except OSError:
            continue
        rest = raw[raw.rindex(b")") + 2 :].split()
        total += int(rest[11]) + int(rest[12])  # utime, stime (fields 14 and 15)
    return total / CLK_TCK


def status_kb(pids: list[int], key: bytes) -> int:
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status", "rb") as f:
                for line in f:
                    if line.startswith(key):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


def rss_kb(pids: list[int]) -> int:
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/statm", "rb") as f:
                total += int(f.read().split()[1]) * PAGE_KB
        except OSError:
            continue
    return total


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


class RssSampler(threading.Thread):
    """Max VmRSS of the process tree, sampled every 20 ms."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.peak_kb = 0
        self._stop_evt = threading.Event()

    def run(self) -> None:
        while not self._stop_evt.is_set():
            self.peak_kb = max(self.peak_kb, rss_kb(self.pids))
            self._stop_evt.wait(0.02)

    def stop(self) -> int:
        self._stop_evt.set()
        self.join()
        return self.peak_kb


# ----------------------------------------------------------------------------- processes
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.05)
    return False


def stop_group(proc: subprocess.Popen[Any], grace: float = 5.0) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


class Server:
    def __init__(self, name: str, cmd: str, tag: str) -> None:
        self.name, self.cmd = name, cmd
        self.port = free_port()
        RESULTS.mkdir(exist_ok=True)
        self.log_path = RESULTS / f"{name}-{tag}.log"
        env = dict(os.environ, PORT=str(self.port), HOST="127.0.0.1")
        env.setdefault("PYTHONPATH", str(ROOT / "src"))
        self.log = open(self.log_path, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            ["taskset", "-c", SERVER_CPU, "bash", "-c", f"exec {cmd}"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pids: list[int] = []

    def start(self) -> None:
        if not wait_port(self.port, self.proc):
            self.stop()
            tail = self.log_path.read_text(errors="replace")[-1500:]
            raise RuntimeError(f"{self.name} did not open 127.0.0.1:{self.port} within 30 s\n{tail}")
        self.pids = process_tree(self.proc.pid)

    def cpu(self) -> float:
        return cpu_seconds(self.pids)

    def rss_kb(self) -> int:
        return rss_kb(self.pids)

    def hwm_kb(self) -> int:
        return status_kb(self.pids, b"VmHWM:")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        stop_group(self.proc)
        self.log.close()


class NodeLines:
    """A Node script of this directory on the load generator's CPU, speaking JSON lines on stdout
    (read into ``lines``; ``None`` once it exits) and taking commands on stdin."""

    name = "node"

    def __init__(self, script: str, args: list[str]) -> None:
        self.proc = subprocess.Popen(
            ["taskset", "-c", LOADGEN_CPU, "node", str(BENCH / script), *args],
            cwd=BENCH,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            try:
                self.lines.put(json.loads(raw))
            except ValueError:
                self.stderr.append(raw.decode(errors="replace"))
        self.lines.put(None)

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            self.stderr.append(raw.decode(errors="replace"))

    def write(self, line: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + b"\n")
        self.proc.stdin.flush()

    def next_is(self, event: str, timeout: float) -> dict[str, Any]:
        """The next message, which must be ``event``."""
        try:
            msg = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(f"{self.name}: no {event!r} within {timeout:.0f} s") from None
        if msg is None or msg.get("event") != event:
            raise RuntimeError(f"{self.name}: expected {event!r}, got {msg} {''.join(self.stderr)[-1500:]}")
        return msg


class Loadgen(NodeLines):
    name = "loadgen"

    def __init__(self, args: list[str]) -> None:
        super().__init__("loadgen.js", ["--stdin-control", *args])

    def expect(self, event: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"loadgen: no '{event}' within {timeout:.0f} s")
            try:
                msg = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if msg is None:
                raise RuntimeError(f"loadgen exited before '{event}': {''.join(self.stderr)[-1500:]}")
            if msg.get("event") == "error":
                raise RuntimeError(f"loadgen: {msg}")
            if msg.get("event") == event:
                return msg

    def send(self, word: str) -> None:
        self.write(word.encode())

    def close(self) -> None:
        with contextlib.suppress(BrokenPipeError, OSError):
            self.send("quit")
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            stop_group(self.proc, 1)


class Profiler:
    """`py-spy record` attached to a Python server for one phase (run.py --pyspy).

    Writes collapsed stacks to ``results/<name>.pyspy.txt`` and a self/inclusive summary to
    ``results/<name>.pyspy-top.txt``. py-spy runs on the load generator's CPU, so figures measured with
    it attached are perturbed: use it to see where time goes, not for the tables.
    """

    flags: tuple[str, ...] = ("--nonblocking",)
    """py-spy record's sampling flags (a subclass adds its own)."""

    def __init__(self, pid: int, name: str) -> None:
        exe = shutil.which("py-spy") or str(ROOT / ".venv" / "bin" / "py-spy")
        self.raw = RESULTS / f"{name}.pyspy.txt"
        self.top = RESULTS / f"{name}.pyspy-top.txt"
        self.proc = subprocess.Popen(
            [
                *("taskset", "-c", LOADGEN_CPU, exe, "record", "--pid", str(pid), "--rate", "250"),
                *self.flags,
                *("--format", "raw", "--output", str(self.raw)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(0.5)  # let it attach

    def stop(self) -> Path | None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if not self.raw.exists():
            return None
        self.top.write_text(summarize_stacks(self.raw))
        return self.top


def summarize_stacks(raw: Path, top: int = 30) -> str:
    """Self and inclusive sample shares per function from py-spy's collapsed ('raw') output."""
    own: dict[str, int] = {}
    incl: dict[str, int] = {}
    total = 0

    def short(frame: str) -> str:
        name, _, loc = frame.partition(" (")
        path = loc.rstrip(")").rpartition(":")[0]
        return f"{name} ({path.split('site-packages/')[-1].split('src/')[-1]})"

    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [short(f) for f in stack.split(";")]
        own[frames[-1]] = own.get(frames[-1], 0) + n
        for f in set(frames):
            incl[f] = incl.get(f, 0) + n
    out = [f"{total} samples (py-spy --nonblocking, 250 Hz; idle excluded)", "", "self:"]
    out += [f"{100 * v / total:5.1f}%  {k}" for k, v in sorted(own.items(), key=lambda kv: -kv[1])[:top]]
    out += ["", "inclusive:"]
    out += [f"{100 * v / total:5.1f}%  {k}" for k, v in sorted(incl.items(), key=lambda kv: -kv[1])[:top]]
    return "\n".join(out) + "\n" if total else "no samples\n"


# ----------------------------------------------------------------------------- scenarios
@dataclass
class Result:
    server: str
    scenario: str
    size: int
    ok: bool = True
    error: str = ""
    data: dict[str, Any] = field(default_factory=dict)


class Scenario:
    """One scenario's server, memory sampler and load generator, always torn down.

    An exception inside the ``with`` block is reported in the result, not raised: one failed
    scenario must not end the run.
    """

    def __init__(self, res: Result, name: str, cmd: str, label: str) -> None:
        self.res = res
        self.srv = Server(name, cmd, label)
        self.lg: Loadgen | None = None
        self.sampler: RssSampler | None = None

    def __enter__(self) -> Scenario:
        return self

    def sample(self) -> None:
        self.sampler = RssSampler(self.srv.pids)
        self.sampler.start()

    def peak_kb(self) -> int:
        assert self.sampler is not None
        peak = max(self.sampler.stop(), self.srv.hwm_kb())
        self.sampler = None
        return peak

    def __exit__(self, _type: Any, exc: BaseException | None, _tb: Any) -> bool:
        if isinstance(exc, Exception):
            text = str(exc).strip()
            self.res.ok, self.res.error = False, text.splitlines()[0][:300] if text else repr(exc)
            self.res.data["log"] = str(self.srv.log_path.relative_to(ROOT))
        if self.sampler is not None:
            self.sampler.stop()
        if self.lg is not None:
            self.lg.close()
        self.srv.stop()
        return isinstance(exc, Exception)


def run_fanout(
    name: str, cmd: str, clients: int, size: int, duration: float, max_events: int, pyspy: bool = False
) -> Result:
    res = Result(name, "fanout", clients)
    with Scenario(res, name, cmd, f"fanout-{clients}") as run:
        srv = run.srv
        srv.start()
        run.sample()
        load0 = loadavg()
        lg = run.lg = Loadgen(
            [
                "--port",
                str(srv.port),
                "fanout",
                "--clients",
                str(clients),
                "--size",
                str(size),
                "--duration",
                str(duration),
                "--warmup",
                "20000",
                "--max-events",
                str(max_events),
                "--probe",
                "20",
            ]
        )
        ready = lg.expect("ready", 120)
        armed = lg.expect("armed", 120)
        prof = Profiler(srv.proc.pid, f"{name}-fanout-{clients}") if pyspy and "python" in cmd else None
        time.sleep(0.2)
        cpu0, t0 = srv.cpu(), time.monotonic()
        lg.send("go")
        out = lg.expect("result", 60 + 4 * duration)
        cpu1, t1 = srv.cpu(), time.monotonic()
        if prof is not None:
            res.data["pyspy"] = str(prof.stop())
        if not srv.alive():
            raise RuntimeError("server exited during the run")
        probe = lg.expect("probe", 60)
        peak = run.peak_kb()
        cpu = cpu1 - cpu0
        received = int(out["received"])
        res.data = {
            **out,
            "connects_per_s": ready["connects_per_s"],
            "armed_events": armed["events"],
            "server_cpu_s": round(cpu, 3),
            "server_cpu_pct": round(100 * cpu / (t1 - t0), 1),
            "cpu_us_per_delivery": round(1e6 * cpu / received, 3) if received else None,
            "peak_rss_mb": round(peak / 1024, 1),
            "load": f"{load0} -> {loadavg()}",
            "one_p50_ms": probe["lat_p50_ms"],
            "one_p99_ms": probe["lat_p99_ms"],
            "probe_lost": probe["lost"],
        }
        if out["lost"] or out["duplicates"] or out["order_errors"]:
            res.error = f"lost {out['lost']}, dup {out['duplicates']}, order errors {out['order_errors']}"
    return res


def run_capacity(name: str, cmd: str, k: int, pyspy: bool = False) -> Result:
    res = Result(name, "capacity", k)
    with Scenario(res, name, cmd, f"capacity-{k}") as run:
        srv = run.srv
        srv.start()
        time.sleep(0.5)
        rss_idle = srv.rss_kb()
        run.sample()
        load0 = loadavg()
        prof = Profiler(srv.proc.pid, f"{name}-capacity-{k}") if pyspy and "python" in cmd else None
        cpu0 = srv.cpu()
        lg = run.lg = Loadgen(["--port", str(srv.port), "capacity", "--clients", str(k)])
        ready = lg.expect("ready", 180)
        cpu1 = srv.cpu()
        if prof is not None:
            res.data["pyspy"] = str(prof.stop())
        time.sleep(1.0)
        rss_after = srv.rss_kb()
        if not srv.alive():
            raise RuntimeError("server exited during the run")
        peak = run.peak_kb()
        conns = int(ready["connected"])
        res.data = {
            **ready,
            "rss_idle_mb": round(rss_idle / 1024, 1),
            "rss_after_mb": round(rss_after / 1024, 1),
            "kb_per_conn": round((rss_after - rss_idle) / conns, 2) if conns else None,
            "cpu_us_per_conn": round(1e6 * (cpu1 - cpu0) / conns, 1) if conns else None,
            "server_cpu_s": round(cpu1 - cpu0, 3),
            "peak_rss_mb": round(peak / 1024, 1),
            "load": f"{load0} -> {loadavg()}",
        }
        if ready["failed"]:
            res.error = f"{ready['failed']} failed: {ready['failReasons']}"
    return res


# ----------------------------------------------------------------------------- tables
def fmt_num(x: Any, digits: int = 0) -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and digits:
        return f"{x:,.{digits}f}"
    return f"{round(x):,}"


def ratio(x: Any, ref: Any) -> str:
    if x is None or ref in (None, 0):
        return ""
    r = x / ref
    return f" ({r:.2f}x)" if r < 10 else f" ({r:.1f}x)"


def table(headers: list[str], rows: list[list[str]]) -> str:
    w = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w[i]) for i, c in enumerate(cells)) + " |"

    return "\n".join(
        [line(headers), "|" + "|".join("-" * (x + 2) for x in w) + "|", *(line(r) for r in rows)]
    )


# (header, result key, digits, ratio to Node); a key of None is computed by ``_cell``.
Column = tuple[str, str | None, int, bool]
FANOUT_COLUMNS: list[Column] = [
    ("n events", "events", 0, False),
    ("deliveries/s", "deliveries_per_s", 0, True),
    ("CPU µs/delivery", "cpu_us_per_delivery", 3, True),
    ("burst p50 ms", "lat_p50_ms", 1, True),
    ("burst p99 ms", "lat_p99_ms", 1, True),
    ("1-event p50 ms", "one_p50_ms", 2, True),
    ("1-event p99 ms", "one_p99_ms", 2, True),
    ("peak RSS MB", "peak_rss_mb", 1, True),
    ("lost", "lost", 0, False),
    ("server CPU %", "server_cpu_pct", 1, False),
    ("loadgen CPU %", "loadgen_cpu_pct", 1, False),
]
CAPACITY_COLUMNS: list[Column] = [
    ("KB/conn", "kb_per_conn", 2, True),
    ("connects/s", "connects_per_s", 0, True),
    ("CPU µs/conn", "cpu_us_per_conn", 1, True),
    ("RSS idle -> after MB", None, 1, False),
    ("handshake p99 ms", "handshake_p99_ms", 1, False),
    ("loadgen CPU %", "loadgen_cpu_pct", 1, False),
    ("failed", "failed", 0, False),
]
# The column that carries a run's error note, if it had one.
NOTE_KEYS = {"lost", "failed"}


def _cell(r: Result, ref: dict[str, Any], column: Column) -> str:
    _, key, digits, with_ratio = column
    d = r.data
    if key is None:  # the RSS before -> after pair
        return f"{fmt_num(d.get('rss_idle_mb'), digits)} -> {fmt_num(d.get('rss_after_mb'), digits)}"
    text = fmt_num(d.get(key), digits)
    if with_ratio:
        text += ratio(d.get(key), ref.get(key))
    if key in NOTE_KEYS and r.error:
        text += f" ({r.error})"
    return text


def _section(title: str, rows: list[Result], columns: list[Column]) -> list[str]:
    ref = next((r.data for r in rows if r.server == REFERENCE and r.ok), {})
    body = []
    for r in rows:
        if r.ok:
            body.append([r.server, *(_cell(r, ref, column) for column in columns)])
        else:
            body.append([r.server, "FAILED: " + r.error, *[""] * (len(columns) - 1)])
    return [title, "", table(["server", *(column[0] for column in columns)], body), ""]


def render(results: list[Result], meta: dict[str, Any]) -> str:
    out = [
        f"# storewire bench — {meta['when']}",
        "",
        f"Machine: {meta['cpus']} CPUs, server on CPU {SERVER_CPU}, load generator on CPU {LOADGEN_CPU}; "
        f"load average at start {meta['load_start']}, at end {meta['load_end']}. "
        f"Node {meta['node']}, socket.io {meta['socketio']}; python-socketio {meta['pysio']}; "
        f"mode: {meta['mode']}. Ratios in parentheses are value / Node's value.",
        "",
    ]
    fan = [r for r in results if r.scenario == "fanout"]
    for clients in sorted({r.size for r in fan}):
        title = f"## Fan-out: room of {clients:,} WebSocket clients, {meta['size']}-byte events"
        out += _section(title, [r for r in fan if r.size == clients], FANOUT_COLUMNS)
    cap = [r for r in results if r.scenario == "capacity"]
    for k in sorted({r.size for r in cap}):
        out += _section(
            f"## Capacity: {k:,} idle WebSocket connections",
            [r for r in cap if r.size == k],
            CAPACITY_COLUMNS,
        )
    out.append("Load average per scenario (1/5/15 min, start -> end):")
    out.append("")
    for r in results:
        if r.data.get("load"):
            out.append(f"- {r.server} {r.scenario} {r.size:,}: {r.data['load']}")
    return "\n".join(out) + "\n"


def versions() -> dict[str, str]:
    def sh(args: list[str], cwd: Path = ROOT) -> str:
        try:
            return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=20).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return "?"

    sio = sh(["node", "-p", "require('socket.io/package.json').version"], BENCH)
    pysio = sh([PY, "-c", "import importlib.metadata as m; print(m.version('python-socketio'))"])
    return {"node": sh(["node", "-v"]), "socketio": sio, "pysio": pysio}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--quick", action="store_true", help="small smoke run: rooms of 100 and 1,000, 2,000 idle"
    )
    ap.add_argument(
        "--servers",
        default=",".join(SERVERS),
        help=f"comma list of {', '.join([*SERVERS, *EXTRA_SERVERS])} (default: all but flood)",
    )
    ap.add_argument("--rooms", help="comma list of room sizes (default 100,1000,5000; quick 100,1000)")
    ap.add_argument("--capacity", type=int, help="idle connections (default 10000; quick 2000; 0 = skip)")
    ap.add_argument("--size", type=int, default=200, help="event size in bytes (default 200)")
    ap.add_argument(
        "--duration", type=float, help="target seconds per measured publish (default 3; quick 0.7)"
    )
    ap.add_argument("--max-events", type=int, default=40000, help="cap on events per publish (default 40000)")
    ap.add_argument(
        "--pyspy",
        action="store_true",
        help="attach py-spy to the Python servers during each measured phase (perturbs the figures)",
    )
    args = ap.parse_args()

    rooms = [int(x) for x in (args.rooms or ("100,1000" if args.quick else "100,1000,5000")).split(",") if x]
    capacity = args.capacity if args.capacity is not None else (2000 if args.quick else 10000)
    duration = args.duration or (0.7 if args.quick else 3.0)
    names = [s.strip() for s in args.servers.split(",") if s.strip()]
    servers = {**SERVERS, **EXTRA_SERVERS}
    for n in names:
        if n not in servers:
            ap.error(f"unknown server {n!r}")
    if not (BENCH / "node_modules" / "socket.io").is_dir():
        print("bench/node_modules missing: run `npm ci --prefix bench` first", file=sys.stderr)
        return 2
    if shutil.which("taskset") is None or (os.cpu_count() or 1) < 2:
        print("needs taskset and at least 2 CPUs", file=sys.stderr)
        return 2

    if args.pyspy and not (shutil.which("py-spy") or (ROOT / ".venv" / "bin" / "py-spy").exists()):
        print("--pyspy needs py-spy: .venv/bin/pip install py-spy", file=sys.stderr)
        return 2

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, min(hard, 65536) if hard != resource.RLIM_INFINITY else 65536)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if want < capacity + 2000:
        print(f"warning: open-files limit {want} is low for {capacity} connections", file=sys.stderr)
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, {int(LOADGEN_CPU)})  # keep the harness off the server's CPU

    meta: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpus": os.cpu_count(),
        "load_start": loadavg(),
        "size": args.size,
        "mode": "quick" if args.quick else "full",
        **versions(),
    }
    print(
        f"bench: servers {names}, rooms {rooms}, capacity {capacity}, ~{duration}s per publish, "
        f"load {meta['load_start']}",
        flush=True,
    )
    results: list[Result] = []
    t_start = time.monotonic()
    for clients in rooms:
        for name in names:
            r = run_fanout(name, servers[name], clients, args.size, duration, args.max_events, args.pyspy)
            results.append(r)
            d = r.data
            print(
                f"  fanout {clients:>5} {name:<16} "
                + (
                    f"n={d.get('events')} {fmt_num(d.get('deliveries_per_s'))}/s "
                    f"{d.get('cpu_us_per_delivery')} µs/dlv p99 {d.get('lat_p99_ms')} ms "
                    f"lost {d.get('lost')} lg {d.get('loadgen_cpu_pct')}%"
                    if r.ok
                    else f"FAILED {r.error}"
                ),
                flush=True,
            )
    if capacity:
        for name in [n for n in names if n not in FANOUT_ONLY]:
            r = run_capacity(name, servers[name], capacity, args.pyspy)
            results.append(r)
            d = r.data
            print(
                f"  capacity {capacity} {name:<16} "
                + (
                    f"{d.get('kb_per_conn')} KB/conn {fmt_num(d.get('connects_per_s'))} conn/s "
                    f"{d.get('cpu_us_per_conn')} µs/conn"
                    if r.ok
                    else f"FAILED {r.error}"
                ),
                flush=True,
            )
    meta["load_end"] = loadavg()
    meta["elapsed_s"] = round(time.monotonic() - t_start, 1)
    md = render(results, meta) + f"\nTotal bench time {meta['elapsed_s']} s.\n"
    print()
    print(md)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.md").write_text(md)
    (RESULTS / "latest.json").write_text(
        json.dumps({"meta": meta, "results": [r.__dict__ for r in results]}, indent=1, default=str)
    )
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
