#!/usr/bin/env node
// storewire bench load generator: raw TCP + a minimal WebSocket frame parser, Engine.IO v4 /
// Socket.IO v5 handshake by hand (websocket transport, no polling), so that one Node process can read
// millions of frames per second. Frames are counted without decoding; 1 in 100 deliveries per
// connection is JSON-parsed for latency and order checking. Results are JSON lines on stdout.
//
//   node loadgen.js --port 3000 fanout --clients 1000 --events 2000 --size 200
//   node loadgen.js --port 3000 capacity --clients 10000
//
// With --stdin-control (used by run.py) it prints {"event":"ready",...} once every client is
// connected, waits for a "go" line before publishing, and after printing its result waits for
// "quit" (or stdin EOF) before closing the connections, so the harness can read the server's
// CPU and memory at exactly those points.
"use strict";
const net = require("node:net");
const crypto = require("node:crypto");
const { performance } = require("node:perf_hooks");

// ---------------------------------------------------------------- options
function parseArgs(argv) {
  const o = {
    host: "127.0.0.1", port: 3000, scenario: "fanout", clients: 100, events: 1000, size: 200,
    room: "r1", inflight: 256, stall: 15, stdinControl: false, sampleEvery: 100, connectTimeout: 60,
    duration: 0, warmup: 20000, minEvents: 20, maxEvents: 20000, probe: 0,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => argv[++i];
    switch (a) {
      case "--host": o.host = val(); break;
      case "--port": o.port = Number(val()); break;
      case "--clients": o.clients = Number(val()); break;
      case "--events": o.events = Number(val()); break;
      case "--size": o.size = Number(val()); break;
      case "--room": o.room = val(); break;
      case "--inflight": o.inflight = Number(val()); break;
      case "--stall": o.stall = Number(val()); break;
      case "--sample-every": o.sampleEvery = Number(val()); break;
      case "--connect-timeout": o.connectTimeout = Number(val()); break;
      case "--stdin-control": o.stdinControl = true; break;
      case "--duration": o.duration = Number(val()); break;
      case "--warmup": o.warmup = Number(val()); break;
      case "--min-events": o.minEvents = Number(val()); break;
      case "--max-events": o.maxEvents = Number(val()); break;
      case "--probe": o.probe = Number(val()); break;
      case "fanout": case "capacity": o.scenario = a; break;
      case "-h": case "--help":
        process.stdout.write("usage: loadgen.js [--host H] [--port P] (fanout|capacity) [--clients N] [--events n]" +
          " [--size S] [--room R] [--inflight 256] [--stall 15] [--stdin-control]\n" +
          "  fanout: --warmup W publishes ceil(W/N) events first (0: none); --duration T then sizes the\n" +
          "  measured publish to last about T seconds at the warm-up rate (clamped to --min-events/--max-events)\n" +
          "  instead of using --events. --probe R then publishes R single events one at a time, every\n" +
          "  delivery timed (unloaded fan-out latency).\n");
        process.exit(0);
      default: throw new Error(`unknown argument ${a}`);
    }
  }
  return o;
}
const opt = parseArgs(process.argv.slice(2));
const nowMs = () => performance.timeOrigin + performance.now();
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

// ---------------------------------------------------------------- WebSocket client frames
const MASK = crypto.randomBytes(4);
function wsText(str) {
  const payload = Buffer.from(str, "utf8");
  const len = payload.length;
  const hl = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(hl + 4 + len);
  out[0] = 0x81;
  if (hl === 2) out[1] = 0x80 | len;
  else if (hl === 4) { out[1] = 0x80 | 126; out.writeUInt16BE(len, 2); }
  else { out[1] = 0x80 | 127; out.writeBigUInt64BE(BigInt(len), 2); }
  MASK.copy(out, hl);
  for (let i = 0; i < len; i++) out[hl + 4 + i] = payload[i] ^ MASK[i & 3];
  return out;
}
function wsControl(opcode, payload) {
  const len = payload.length; // <= 125
  const out = Buffer.allocUnsafe(6 + len);
  out[0] = 0x80 | opcode; out[1] = 0x80 | len; MASK.copy(out, 2);
  for (let i = 0; i < len; i++) out[6 + i] = payload[i] ^ MASK[i & 3];
  return out;
}
const PONG_EIO = wsText("3");
const WS_KEY = crypto.randomBytes(16).toString("base64"); // one key for all: the server only hashes it

// ---------------------------------------------------------------- state
let expectedPerClient = 0;
let received = 0;            // bench:event deliveries, all clients
let clientsDone = 0;
let tFirst = 0, tLast = 0;   // epoch ms of the reads holding the first / last delivery
let lastProgress = 0;
const latencies = [];
let orderErrors = 0;
let otherFrames = 0;         // frames that were not bench:event (pings, acks ...)
let serverPings = 0;
let phase = "connect";

const READBUF = Buffer.allocUnsafe(1 << 18);   // shared by every socket (reads are processed synchronously)

class Conn {
  constructor(idx, auth) {
    this.idx = idx;
    this.auth = auth;              // "" or '{"room":"r1"}'
    this.state = 0;                // 0 http upgrade, 1 waiting for EIO open, 2 waiting for SIO connect, 3 connected, 4 closed
    this.http = "";
    this.tail = null;
    this.count = 0;
    this.sock = null;
    this.onConnected = null;
    this.onFail = null;
    this.onText = null;            // control client hook for non-event text frames
    this.t0 = 0;
  }

  open(onConnected, onFail) {
    this.onConnected = onConnected;
    this.onFail = onFail;
    this.t0 = nowMs();
    this.state = 0; this.http = ""; this.tail = null;
    const self = this;
    const sock = net.connect({
      host: opt.host, port: opt.port,
      onread: { buffer: READBUF, callback(nread, buf) { self.onRead(buf, nread); return true; } },
    });
    this.sock = sock;
    sock.setNoDelay(true);
    sock.on("connect", () => {
      sock.write(`GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: ${opt.host}:${opt.port}\r\n` +
        "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Key: ${WS_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    sock.on("error", (e) => { if (this.sock === sock) this.fail(e.code || String(e)); });
    sock.on("close", () => {
      if (this.sock !== sock) return;
      if (this.state < 3) this.fail("closed during handshake");
      this.state = 4;
    });
  }

  fail(why) {
    if (this.state >= 3 || this.state === 4) { this.state = 4; return; }
    this.state = 4;
    try { this.sock.destroy(); } catch (_) { /* ignore */ }
    if (this.onFail) { const f = this.onFail; this.onFail = null; f(why); }
  }

  onRead(buf, end) {
    let off = 0;
    if (this.state === 0) {
      this.http += buf.toString("latin1", 0, end);
      const i = this.http.indexOf("\r\n\r\n");
      if (i < 0) return;
      if (!this.http.startsWith("HTTP/1.1 101")) { this.fail("upgrade refused: " + this.http.split("\r\n")[0]); return; }
      const extra = this.http.length - (i + 4);
      this.http = "";
      this.state = 1;
      off = end - extra;
      if (off >= end) return;
    }
    this.parse(buf, off, end);
  }

  parse(buf, off, end) {
    let got = 0;
    if (this.tail !== null) {
      const t = this.tail;
      const head = Buffer.concat([t, buf.subarray(off, Math.min(end, off + 14))]);
      const total = frameLength(head, 0, head.length);
      const need = total - t.length;
      if (total < 0 || end - off < need) { this.tail = Buffer.concat([t, buf.subarray(off, end)]); return; }
      const f = need <= head.length - t.length ? head.subarray(0, total) : Buffer.concat([t, buf.subarray(off, off + need)]);
      this.tail = null;
      got += this.frame(f, 0, total);
      off += need;
    }
    while (off < end) {
      const avail = end - off;
      if (avail < 2) break;
      let len = buf[off + 1] & 0x7f, hl = 2;
      if (len === 126) { if (avail < 4) break; len = (buf[off + 2] << 8) | buf[off + 3]; hl = 4; }
      else if (len === 127) { if (avail < 10) break; len = buf.readUInt32BE(off + 2) * 4294967296 + buf.readUInt32BE(off + 6); hl = 10; }
      if (avail < hl + len) break;
      // hot path: a text frame whose payload starts with "42" is a delivery
      const p = off + hl;
      if ((buf[off] & 0x0f) === 1 && len > 2 && buf[p] === 0x34 && buf[p + 1] === 0x32 && this.state === 3) {
        const c = ++this.count;
        got++;
        if ((c - 1) % opt.sampleEvery === 0) this.sample(buf, p, len, c);
        if (c === expectedPerClient) clientsDone++;
      } else {
        this.other(buf, off, hl, len);
      }
      off = p + len;
    }
    if (off < end) this.tail = Buffer.from(buf.subarray(off, end)); // copy: READBUF is reused
    if (got) {
      const t = nowMs();
      if (received === 0) tFirst = t;
      received += got;
      tLast = t;
      lastProgress = t;
      if (clientsDone === nRoomClients && phase === "publish") finishFanout();
    }
  }

  // a complete frame held in its own buffer (reassembled from a tail)
  frame(buf, off, total) {
    let len = buf[off + 1] & 0x7f, hl = 2;
    if (len === 126) { len = buf.readUInt16BE(off + 2); hl = 4; }
    else if (len === 127) { len = buf.readUInt32BE(off + 2) * 4294967296 + buf.readUInt32BE(off + 6); hl = 10; }
    const p = off + hl;
    if ((buf[off] & 0x0f) === 1 && len > 2 && buf[p] === 0x34 && buf[p + 1] === 0x32 && this.state === 3) {
      const c = ++this.count;
      if ((c - 1) % opt.sampleEvery === 0) this.sample(buf, p, len, c);
      if (c === expectedPerClient) clientsDone++;
      return 1;
    }
    this.other(buf, off, hl, len);
    return 0;
  }

  sample(buf, p, len, c) {
    try {
      const arr = JSON.parse(buf.toString("utf8", p + 2, p + len));
      const ev = arr[1];
      latencies.push(nowMs() - ev.t);
      if (ev.seq !== c - 1) orderErrors++;
    } catch (_) { orderErrors++; }
  }

  other(buf, off, hl, len) {
    const opcode = buf[off] & 0x0f;
    const p = off + hl;
    otherFrames++;
    if (opcode === 9) { this.sock.write(wsControl(10, buf.subarray(p, p + len))); return; }
    if (opcode === 8) { this.state = this.state < 3 ? this.state : 4; this.sock.end(); return; }
    if (opcode !== 1) return;
    const s = buf.toString("utf8", p, p + len);
    if (s === "2") { serverPings++; this.sock.write(PONG_EIO); return; }
    if (this.state === 1 && s[0] === "0") {
      this.state = 2;
      this.sock.write(wsText(this.auth ? "40" + this.auth : "40"));
      return;
    }
    if (this.state === 2 && s.startsWith("40")) {
      this.state = 3;
      const f = this.onConnected; this.onConnected = null; this.onFail = null;
      if (f) f(nowMs() - this.t0);
      return;
    }
    if (s.startsWith("44")) { this.fail("connect_error " + s.slice(2)); return; }
    if (s === "1" || s.startsWith("41")) { this.sock.end(); return; }
    if (this.onText) this.onText(s);
  }
}

function frameLength(b, off, end) {
  const avail = end - off;
  if (avail < 2) return -1;
  let len = b[off + 1] & 0x7f, hl = 2;
  if (len === 126) { if (avail < 4) return -1; len = b.readUInt16BE(off + 2); hl = 4; }
  else if (len === 127) { if (avail < 10) return -1; len = b.readUInt32BE(off + 2) * 4294967296 + b.readUInt32BE(off + 6); hl = 10; }
  return hl + len;
}

// ---------------------------------------------------------------- connect phase
const nRoomClients = opt.clients;
const conns = [];
let failed = 0;
const failReasons = {};
const connectTimes = [];

function connectAll(list, done) {
  let next = 0, inflight = 0, finished = 0;
  const t0 = nowMs();
  const startOne = () => {
    const c = list[next++];
    inflight++;
    let tries = 0;
    const attempt = () => {
      c.open((ms) => {
        connectTimes.push(ms);
        inflight--; finished++; pump();
      }, (why) => {
        if (++tries < 3) { c.sock = null; setTimeout(attempt, 50 * tries); return; }
        failed++; failReasons[why] = (failReasons[why] || 0) + 1;
        inflight--; finished++; pump();
      });
    };
    attempt();
  };
  const pump = () => {
    while (inflight < opt.inflight && next < list.length) startOne();
    if (finished === list.length) done((nowMs() - t0) / 1000);
  };
  pump();
  setTimeout(() => {
    if (finished < list.length) {
      emit({ event: "error", error: `connect phase timed out: ${finished}/${list.length}`, failed, failReasons });
      process.exit(2);
    }
  }, opt.connectTimeout * 1000).unref();
}

function pct(sorted, q) {
  if (!sorted.length) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}
const round = (x, d = 3) => (x === null || x === undefined ? null : Math.round(x * 10 ** d) / 10 ** d);

// ---------------------------------------------------------------- stdin control
const waiters = {};
let stdinBuf = "";
function waitFor(word) {
  return new Promise((resolve) => { waiters[word] = resolve; });
}
if (opt.stdinControl) {
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (d) => {
    stdinBuf += d;
    let i;
    while ((i = stdinBuf.indexOf("\n")) >= 0) {
      const w = stdinBuf.slice(0, i).trim(); stdinBuf = stdinBuf.slice(i + 1);
      if (waiters[w]) { const f = waiters[w]; delete waiters[w]; f(); }
      if (w === "quit") shutdown(0);
    }
  });
  process.stdin.on("end", () => shutdown(0));
}
function shutdown(code) {
  for (const c of conns) if (c.sock) c.sock.destroy();
  if (control && control.sock) control.sock.destroy();
  setImmediate(() => process.exit(code));
}

// ---------------------------------------------------------------- scenarios
let control = null;
let cpuGo = null, tGo = 0, tAck = 0;
let stallTimer = null;
let finished = false;

function readyReport(connectS, extra) {
  const sortedC = connectTimes.slice().sort((a, b) => a - b);
  const total = conns.length + (control ? 1 : 0);
  return Object.assign({
    event: "ready", scenario: opt.scenario, clients: nRoomClients, connected: total - failed, failed, failReasons,
    connect_s: round(connectS), connects_per_s: round((total - failed) / connectS, 1),
    handshake_p50_ms: round(pct(sortedC, 0.5)), handshake_p99_ms: round(pct(sortedC, 0.99)),
  }, extra || {});
}

let publishDone = null;
let curEvents = 0;

function finishFanout() {
  if (finished) return;
  finished = true;
  phase = "idle";
  clearInterval(stallTimer);
  const cpu = process.cpuUsage(cpuGo);
  const wall = (nowMs() - tGo) / 1000;
  let lost = 0, dup = 0;
  for (const c of conns) { if (c.count < curEvents) lost += curEvents - c.count; else dup += c.count - curEvents; }
  const sorted = latencies.slice().sort((a, b) => a - b);
  const dur = (tLast - tFirst) / 1000;
  const r = {
    event: "result", scenario: "fanout", clients: nRoomClients, events: curEvents, size: opt.size,
    expected: nRoomClients * curEvents, received, lost, duplicates: dup, order_errors: orderErrors,
    duration_s: round(dur, 4), deliveries_per_s: dur > 0 ? Math.round(received / dur) : null,
    publish_to_first_ms: round(tFirst - tGo), publish_to_last_ms: round(tLast - tGo),
    publish_to_ack_ms: tAck ? round(tAck - tGo) : null,
    lat_samples: sorted.length, lat_p50_ms: round(pct(sorted, 0.5)), lat_p99_ms: round(pct(sorted, 0.99)),
    lat_max_ms: round(sorted.length ? sorted[sorted.length - 1] : null),
    loadgen_cpu_s: round((cpu.user + cpu.system) / 1e6), loadgen_wall_s: round(wall),
    loadgen_cpu_pct: round((100 * (cpu.user + cpu.system) / 1e6) / wall, 1),
    other_frames: otherFrames, server_pings: serverPings, stalled: received < nRoomClients * curEvents,
  };
  const f = publishDone; publishDone = null;
  if (f) f(r);
}

let ackSeq = 0;
function publish(n) {
  for (const c of conns) c.count = 0;
  received = 0; clientsDone = 0; tFirst = 0; tLast = 0; tAck = 0;
  latencies.length = 0; orderErrors = 0; otherFrames = 0;
  curEvents = n; expectedPerClient = n; finished = false;
  const id = ++ackSeq;
  control.onText = (s) => { if (s.startsWith(`43${id}[`)) tAck = nowMs(); };
  const p = new Promise((resolve) => { publishDone = resolve; });
  phase = "publish";
  cpuGo = process.cpuUsage();
  tGo = nowMs();
  lastProgress = tGo;
  control.sock.write(wsText(`42${id}["bench:publish",${JSON.stringify({ room: opt.room, n, size: opt.size })}]`));
  stallTimer = setInterval(() => { if (nowMs() - lastProgress > opt.stall * 1000) finishFanout(); }, 250);
  if (nRoomClients === 0 || n === 0) finishFanout();
  return p;
}

async function runFanout() {
  for (let i = 0; i < nRoomClients; i++) conns.push(new Conn(i, JSON.stringify({ room: opt.room })));
  const cpu0 = process.cpuUsage();
  const connectS = await new Promise((r) => connectAll(conns, r));
  control = new Conn(-1, "");
  await new Promise((resolve, reject) => control.open(resolve, (why) => reject(new Error("control client: " + why))));
  const cpuC = process.cpuUsage(cpu0);
  emit(readyReport(connectS, { loadgen_connect_cpu_s: round((cpuC.user + cpuC.system) / 1e6) }));
  if (failed) { emit({ event: "error", error: `${failed} clients failed to connect`, failReasons }); return shutdown(2); }
  let n = opt.events;
  if (opt.warmup > 0 && nRoomClients > 0) {
    // warm up (JIT, allocators, buffers) and measure the rate; grow the warm-up until it lasts
    // at least 0.3 s so that the rate it gives is a usable estimate (at most 4 rounds)
    let nw = Math.max(1, Math.ceil(opt.warmup / nRoomClients));
    for (let round = 0; round < 4; round++) {
      const w = await publish(nw);
      w.event = "warmup";
      emit(w);
      if (w.lost) { emit({ event: "error", error: "events lost during warm-up" }); return shutdown(2); }
      if (opt.duration > 0 && w.deliveries_per_s) n = Math.round((w.deliveries_per_s * opt.duration) / nRoomClients);
      if (w.duration_s >= 0.3 || nw >= opt.maxEvents) break;
      nw = Math.min(opt.maxEvents, Math.ceil(nw * Math.min(10, Math.max(2, 0.4 / Math.max(w.duration_s, 0.001)))));
    }
  }
  n = Math.max(opt.minEvents, Math.min(opt.maxEvents, n));
  emit({ event: "armed", events: n });
  if (opt.stdinControl) await waitFor("go");
  const r = await publish(n);
  emit(r);
  if (opt.probe > 0) {
    const every = opt.sampleEvery;
    opt.sampleEvery = 1;
    const all = [];
    let lost = 0;
    for (let i = 0; i < opt.probe; i++) {
      await new Promise((res) => setTimeout(res, 20));
      const q = await publish(1);
      lost += q.lost;
      for (const x of latencies) all.push(x);
    }
    opt.sampleEvery = every;
    all.sort((a, b) => a - b);
    emit({ event: "probe", rounds: opt.probe, samples: all.length, lost, lat_p50_ms: round(pct(all, 0.5)),
      lat_p99_ms: round(pct(all, 0.99)), lat_max_ms: round(all.length ? all[all.length - 1] : null) });
  }
  if (!opt.stdinControl) shutdown(r.lost ? 1 : 0);
}

async function runCapacity() {
  for (let i = 0; i < nRoomClients; i++) conns.push(new Conn(i, JSON.stringify({ room: opt.room })));
  const cpu0 = process.cpuUsage();
  const connectS = await new Promise((r) => connectAll(conns, r));
  const cpuC = process.cpuUsage(cpu0);
  const cs = (cpuC.user + cpuC.system) / 1e6;
  emit(readyReport(connectS, { loadgen_connect_cpu_s: round(cs), loadgen_cpu_pct: round(100 * cs / connectS, 1) }));
  if (!opt.stdinControl) shutdown(failed ? 1 : 0);
}

(opt.scenario === "fanout" ? runFanout() : runCapacity()).catch((e) => {
  emit({ event: "error", error: String(e && e.stack || e) });
  shutdown(2);
});
