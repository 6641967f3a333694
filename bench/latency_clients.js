#!/usr/bin/env node
// The 999 "audience" sockets of bench/latency.py: N guest Socket.IO clients over raw TCP (WebSocket
// transport, handshake by hand as in loadgen.js, no npm packages), each joining one of the given rooms
// with `room:join` and counting the events it receives afterwards without decoding them.
//
//   node latency_clients.js --port 8000 --clients 999 --rooms storefront:usr_1,product:prd_2
//
// JSON lines on stdout: {"event":"ready",...} once every client has joined; then, on each "count" line
// on stdin, {"event":"count","received":R,"min":m,"max":M} (events per client); "quit" or EOF ends it.
"use strict";
const net = require("node:net");
const crypto = require("node:crypto");
const { performance } = require("node:perf_hooks");

const opt = { host: "127.0.0.1", port: 8000, clients: 999, rooms: [], inflight: 128, timeout: 120 };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  const val = () => process.argv[++i];
  if (a === "--host") opt.host = val();
  else if (a === "--port") opt.port = Number(val());
  else if (a === "--clients") opt.clients = Number(val());
  else if (a === "--rooms") opt.rooms = val().split(",").filter(Boolean);
  else if (a === "--inflight") opt.inflight = Number(val());
  else if (a === "--timeout") opt.timeout = Number(val());
  else throw new Error(`unknown argument ${a}`);
}
if (!opt.rooms.length) throw new Error("--rooms is required");

const emit = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const WS_KEY = crypto.randomBytes(16).toString("base64");

function wsText(str) {
  // a masked client text frame (the mask may be zero: the server must unmask either way)
  const payload = Buffer.from(str, "utf8");
  const n = payload.length;
  const hl = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = Buffer.alloc(hl + 4 + n);
  out[0] = 0x81;
  if (n < 126) out[1] = 0x80 | n;
  else if (n < 65536) { out[1] = 0x80 | 126; out.writeUInt16BE(n, 2); }
  else { out[1] = 0x80 | 127; out.writeUInt32BE(Math.floor(n / 4294967296), 2); out.writeUInt32BE(n >>> 0, 6); }
  payload.copy(out, hl + 4);
  return out;
}
const PONG_EIO = wsText("3");

class Client {
  constructor(idx, room) {
    this.idx = idx;
    this.room = room;
    this.state = 0; // 0 upgrade, 1 EIO open, 2 SIO connect, 3 join ack, 4 joined, 5 closed
    this.buf = Buffer.alloc(0);
    this.count = 0;
  }

  open(done) {
    this.done = done;
    this.t0 = performance.now();
    const sock = (this.sock = net.connect({ host: opt.host, port: opt.port }));
    sock.setNoDelay(true);
    sock.on("connect", () => sock.write(
      `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: ${opt.host}:${opt.port}\r\n` +
      `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${WS_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`));
    sock.on("data", (d) => this.onData(d));
    sock.on("error", (e) => this.finish(e.code || String(e)));
    sock.on("close", () => { if (this.state < 4) this.finish("closed during handshake"); this.state = 5; });
  }

  finish(error) {
    const f = this.done;
    this.done = null;
    if (f) f(error, performance.now() - this.t0);
  }

  onData(d) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    if (this.state === 0) {
      const i = this.buf.indexOf("\r\n\r\n");
      if (i < 0) return;
      if (!this.buf.toString("latin1", 0, 12).startsWith("HTTP/1.1 101")) return this.finish("upgrade refused");
      this.buf = this.buf.subarray(i + 4);
      this.state = 1;
    }
    let off = 0;
    const b = this.buf;
    while (b.length - off >= 2) {
      let len = b[off + 1] & 0x7f, hl = 2;
      if (len === 126) { if (b.length - off < 4) break; len = b.readUInt16BE(off + 2); hl = 4; }
      else if (len === 127) { if (b.length - off < 10) break; len = b.readUInt32BE(off + 6); hl = 10; }
      if (b.length - off < hl + len) break;
      const p = off + hl;
      const opcode = b[off] & 0x0f;
      off = p + len;
      if (opcode === 1 && this.state === 4 && b[p] === 0x34 && b[p + 1] === 0x32) { this.count++; continue; }
      if (opcode === 8) { this.sock.end(); continue; }
      if (opcode !== 1) continue;
      this.text(b.toString("utf8", p, p + len));
    }
    this.buf = off >= b.length ? Buffer.alloc(0) : Buffer.from(b.subarray(off));
  }

  text(s) {
    if (s === "2") { this.sock.write(PONG_EIO); return; }
    if (this.state === 1 && s[0] === "0") { this.state = 2; this.sock.write(wsText("40")); return; }
    if (this.state === 2 && s.startsWith("40")) {
      this.state = 3;
      this.sock.write(wsText(`420["room:join",${JSON.stringify({ room: this.room })}]`));
      return;
    }
    if (this.state === 2 && s.startsWith("44")) { this.finish("connect_error " + s.slice(2)); return; }
    if (this.state === 3 && s.startsWith("430")) {
      const ack = JSON.parse(s.slice(3))[0];
      if (!ack || ack.ok !== true) { this.finish("join refused " + JSON.stringify(ack)); return; }
      this.state = 4;
      this.finish(null);
    }
  }
}

const clients = [];
for (let i = 0; i < opt.clients; i++) clients.push(new Client(i, opt.rooms[i % opt.rooms.length]));

function shutdown(code) {
  for (const c of clients) if (c.sock) c.sock.destroy();
  setImmediate(() => process.exit(code));
}

let next = 0, inflight = 0, finished = 0;
const failures = {};
const times = [];
const t0 = performance.now();
function pump() {
  while (inflight < opt.inflight && next < clients.length) {
    const c = clients[next++];
    inflight++;
    c.open((error, ms) => {
      inflight--; finished++;
      if (error) failures[error] = (failures[error] || 0) + 1; else times.push(ms);
      pump();
    });
  }
  if (finished === clients.length) {
    const failed = clients.length - times.length;
    times.sort((a, b) => a - b);
    emit({ event: failed ? "error" : "ready", clients: clients.length, joined: times.length, failed, failures,
      connect_s: (performance.now() - t0) / 1000, join_p99_ms: times[Math.floor(0.99 * (times.length - 1))] });
    if (failed) shutdown(2);
  }
}
pump();
setTimeout(() => {
  if (finished < clients.length) { emit({ event: "error", error: `timed out: ${finished}/${clients.length}` }); shutdown(2); }
}, opt.timeout * 1000).unref();

let stdinBuf = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => {
  stdinBuf += d;
  let i;
  while ((i = stdinBuf.indexOf("\n")) >= 0) {
    const word = stdinBuf.slice(0, i).trim();
    stdinBuf = stdinBuf.slice(i + 1);
    if (word === "count") {
      let received = 0, min = Infinity, max = 0;
      for (const c of clients) { received += c.count; min = Math.min(min, c.count); max = Math.max(max, c.count); }
      emit({ event: "count", received, min, max });
    } else if (word === "quit") shutdown(0);
  }
});
process.stdin.on("end", () => shutdown(0));
