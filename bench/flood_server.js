// Load-generator ceiling check: a deliberately minimal fake of the bench contract (no socket.io, no
// per-recipient work). Each batch of events is framed once into one buffer and that same buffer is
// written to every room member, so the server costs almost nothing and the load generator is what
// saturates. `bench/run.py --servers flood` shows how many deliveries/s loadgen.js can take.
// Not a Socket.IO server: just enough of the handshake for loadgen.js.
"use strict";
const net = require("node:net");
const crypto = require("node:crypto");
const { performance } = require("node:perf_hooks");

const PORT = Number(process.env.PORT || 3000);
const HOST = process.env.HOST || "127.0.0.1";
const BATCH_BYTES = 64 * 1024;
const rooms = new Map();
let nextSid = 0;

function frame(str) {
  const p = Buffer.from(str);
  const hl = p.length < 126 ? 2 : 4;
  const b = Buffer.allocUnsafe(hl + p.length);
  b[0] = 0x81;
  if (hl === 2) b[1] = p.length; else { b[1] = 126; b.writeUInt16BE(p.length, 2); }
  p.copy(b, hl);
  return b;
}

function onText(sock, s) {
  if (s.startsWith("40")) {
    const auth = s.length > 2 ? JSON.parse(s.slice(2)) : {};
    if (typeof auth.room === "string") {
      if (!rooms.has(auth.room)) rooms.set(auth.room, new Set());
      rooms.get(auth.room).add(sock);
      sock.on("close", () => rooms.get(auth.room).delete(sock));
    }
    sock.write(frame(`40{"sid":"s${nextSid++}"}`));
    return;
  }
  const m = /^42(\d*)(\[.*)$/s.exec(s);
  if (!m) return;
  const [ev, arg] = JSON.parse(m[2]);
  if (ev === "bench:ping") { sock.write(frame(`43${m[1]}[${JSON.stringify(arg === undefined ? null : arg)}]`)); return; }
  if (ev !== "bench:publish") return;
  const members = [...(rooms.get(arg.room) || [])];
  const pad = "x".repeat(Math.max(0, arg.size - 48));
  const perBatch = Math.max(1, Math.floor(BATCH_BYTES / (arg.size + 16)));
  let i = 0;
  const step = () => {
    const parts = [];
    for (const end = Math.min(arg.n, i + perBatch); i < end; i++) {
      parts.push(frame(`42["bench:event",{"seq":${i},"t":${performance.timeOrigin + performance.now()},"pad":"${pad}"}]`));
    }
    const buf = Buffer.concat(parts);
    let blocked = 0;
    for (const c of members) if (!c.write(buf)) blocked++;
    if (i >= arg.n) { sock.write(frame(`43${m[1]}[true]`)); return; }
    if (blocked) setTimeout(step, 1); else setImmediate(step);
  };
  step();
}

net.createServer((sock) => {
  sock.setNoDelay(true);
  let head = "", buf = Buffer.alloc(0), upgraded = false;
  sock.on("data", (d) => {
    if (!upgraded) {
      head += d.toString("latin1");
      const i = head.indexOf("\r\n\r\n");
      if (i < 0) return;
      const key = /sec-websocket-key:\s*(\S+)/i.exec(head)[1];
      const accept = crypto.createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
      sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      sock.write(frame(`0{"sid":"e${nextSid}","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`));
      upgraded = true;
      d = Buffer.from(head.slice(i + 4), "latin1");
    }
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    while (buf.length >= 6) {
      let len = buf[1] & 0x7f, off = 2;
      if (len === 126) { len = buf.readUInt16BE(2); off = 4; }
      if (buf.length < off + 4 + len) break;
      const mask = buf.subarray(off, off + 4);
      const p = Buffer.from(buf.subarray(off + 4, off + 4 + len));
      for (let k = 0; k < p.length; k++) p[k] ^= mask[k & 3];
      const op = buf[0] & 0x0f;
      buf = buf.subarray(off + 4 + len);
      if (op === 8) { sock.end(); return; }
      if (op === 1) onText(sock, p.toString("utf8"));
    }
  });
  sock.on("error", () => {});
}).listen(PORT, HOST, 1024, () => console.log(`flood (loadgen ceiling) server on ${HOST}:${PORT}`));
process.on("SIGTERM", () => process.exit(0));
