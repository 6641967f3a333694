#!/usr/bin/env node
// The clients of bench/replay.py: N guest sockets on the official socket.io-client 4.x (from
// tests/js/node_modules, installed by `make node-deps`), each remembering its position {epoch, seq}
// from every envelope and every sync:recovered, and connecting with `auth: {resume: position}`
// (`{}` before it has one). Reconnection is off: the harness says when to (re)connect.
//
//   node replay_clients.js --port 8000 --clients 1000 [--transports websocket|polling]
//
// Commands on stdin, one JSON object a line; one JSON line on stdout for each:
//   {"cmd":"open","inflight":128}     connect everyone (<= inflight handshakes at once), first time
//                                      -> {"event":"round",...} once each has sync:recovered (or failed)
//   {"cmd":"resume","from":"saved"}    every socket connect()s in the same tick, with the saved
//                                      position ("current" by default; "none": no auth.resume at
//                                      all, done at the CONNECT ack) -> {"event":"round",...}
//   {"cmd":"save"}                     remember each socket's current position  -> {"event":"saved"}
//                                      (or the given one: {"cmd":"save","position":{epoch,seq}})
//   {"cmd":"close"}                    disconnect everyone (client side)         -> {"event":"closed"}
//   {"cmd":"await_down","timeout":30}  wait until the server has closed every socket -> {"event":"down"}
//   {"cmd":"mark"} then {"cmd":"wait_events","n":20,"timeout":60}
//                                      -> {"event":"events"} once every socket got n events since mark
//   {"cmd":"quit"} (or EOF)
//
// A round's report: per-socket times from the round's start (the connect() call) to the CONNECT ack,
// to the first event and to sync:recovered (p50/p90/p99/max, ms), recovered true/false counts and the
// reasons, the events each socket got before its sync:recovered (min/max/total), order violations
// (an envelope whose seq is not above the last one seen), connect errors, and this process's CPU.
"use strict";
const path = require("node:path");
const { createRequire } = require("node:module");
const { performance } = require("node:perf_hooks");

function loadClient() {
  const roots = [path.join(__dirname, "..", "tests", "js", "package.json"), path.join(__dirname, "package.json")];
  for (const root of roots) {
    try {
      return createRequire(root)("socket.io-client");
    } catch (error) {
      if (error.code !== "MODULE_NOT_FOUND") throw error;
    }
  }
  throw new Error("socket.io-client not found: run `make node-deps` (it installs tests/js/node_modules)");
}
const { io } = loadClient();

const opt = { host: "127.0.0.1", port: 8000, clients: 1, transports: ["websocket"], timeout: 60 };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  const val = () => process.argv[++i];
  if (a === "--host") opt.host = val();
  else if (a === "--port") opt.port = Number(val());
  else if (a === "--clients") opt.clients = Number(val());
  else if (a === "--transports") opt.transports = val().split(",");
  else if (a === "--timeout") opt.timeout = Number(val());
  else throw new Error(`unknown argument ${a}`);
}

const emit = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const url = `http://${opt.host}:${opt.port}`;

class Client {
  constructor(idx) {
    this.idx = idx;
    this.position = null; // {epoch, seq}: the last event handled, or the last sync:recovered's
    this.saved = null;
    this.from = null; // the position sent at this connect
    this.plain = false; // connect without auth.resume (then no sync:recovered: done at the CONNECT ack)
    this.lastSeq = -1;
    this.disorder = 0;
    this.sinceMark = 0;
    this.connected = false;
    this.reset();
    this.socket = io(url, {
      transports: opt.transports,
      forceNew: true,
      autoConnect: false,
      reconnection: false,
      timeout: opt.timeout * 1000,
      auth: (cb) => cb(this.plain ? {} : { resume: this.from ? { ...this.from } : {} }),
    });
    const s = this.socket;
    s.on("connect", () => {
      this.connected = true;
      if (this.tConnect === null) this.tConnect = performance.now();
      if (this.plain) this.settle();
    });
    s.on("connect_error", (error) => this.fail(`connect_error: ${error.message}`));
    s.on("disconnect", (reason) => {
      this.connected = false;
      this.disconnectReason = reason;
      if (this.tRecovered === null && !this.plain) this.fail(`disconnected before sync:recovered: ${reason}`);
      if (onDown) onDown();
    });
    s.on("sync:recovered", (info) => {
      this.position = { epoch: info.epoch, seq: info.seq };
      if (this.tRecovered !== null) return;
      this.tRecovered = performance.now();
      this.info = info;
      this.settle();
    });
    s.onAny((event, envelope) => {
      if (event === "sync:recovered" || !envelope || typeof envelope.seq !== "number") return;
      if (envelope.epoch !== (this.position && this.position.epoch)) this.lastSeq = -1; // a new log
      if (envelope.seq <= this.lastSeq) this.disorder++;
      this.lastSeq = envelope.seq;
      this.position = { epoch: envelope.epoch, seq: envelope.seq };
      this.sinceMark++;
      if (this.tRecovered === null) {
        if (this.tFirst === null) this.tFirst = performance.now();
        this.before++;
      }
      if (onEvents) onEvents(this);
    });
  }

  reset() {
    this.t0 = null;
    this.tConnect = null;
    this.tFirst = null;
    this.tRecovered = null;
    this.before = 0;
    this.info = null;
    this.error = null;
    this.done = null;
  }

  start(from, done, plain = false) {
    this.reset();
    this.from = from;
    this.plain = plain;
    this.done = done;
    this.t0 = performance.now();
    this.socket.connect();
  }

  fail(error) {
    if (this.error === null && this.tRecovered === null) this.error = error;
    this.settle();
  }

  settle() {
    const done = this.done;
    this.done = null;
    if (done) done();
  }
}

const clients = [];
for (let i = 0; i < opt.clients; i++) clients.push(new Client(i));
let onDown = null;
let onEvents = null;

function pct(sorted, q) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function dist(values) {
  const s = values.filter((v) => v !== null).sort((a, b) => a - b);
  const r = (v) => (v === null ? null : Math.round(v * 100) / 100);
  return { n: s.length, p50: r(pct(s, 0.5)), p90: r(pct(s, 0.9)), p99: r(pct(s, 0.99)), max: r(s.length ? s[s.length - 1] : null) };
}

function report(kind, tStart, cpu0) {
  const since = (c, t) => (t === null ? null : t - c.t0);
  const reasons = {};
  const errors = {};
  let recovered = 0, notRecovered = 0, connected = 0, before = 0, beforeMin = Infinity, beforeMax = 0;
  let lastDone = tStart;
  for (const c of clients) {
    if (c.error) errors[c.error] = (errors[c.error] || 0) + 1;
    if (c.tConnect !== null) connected++;
    const tDone = c.plain ? c.tConnect : c.tRecovered;
    if (tDone !== null) lastDone = Math.max(lastDone, tDone);
    if (c.info) {
      if (c.info.recovered) recovered++;
      else { notRecovered++; reasons[c.info.reason] = (reasons[c.info.reason] || 0) + 1; }
    }
    before += c.before;
    beforeMin = Math.min(beforeMin, c.before);
    beforeMax = Math.max(beforeMax, c.before);
  }
  const cpu = process.cpuUsage(cpu0);
  const first = clients.find((c) => c.info);
  emit({
    event: "round", kind, clients: clients.length, transports: opt.transports,
    wall_ms: Math.round((lastDone - tStart) * 100) / 100,
    connected, recovered, not_recovered: notRecovered, reasons, errors,
    connect_ms: dist(clients.map((c) => since(c, c.tConnect))),
    first_event_ms: dist(clients.map((c) => since(c, c.tFirst))),
    recovered_ms: dist(clients.map((c) => since(c, c.tRecovered))),
    events_before_sync: { total: before, min: beforeMin, max: beforeMax },
    disorder: clients.reduce((n, c) => n + c.disorder, 0),
    position: first ? { epoch: first.info.epoch, seq: first.info.seq } : null,
    client_cpu_ms: Math.round((cpu.user + cpu.system) / 1000),
  });
}

function round(kind, starter) {
  const cpu0 = process.cpuUsage();
  const tStart = performance.now();
  let pending = clients.length;
  const timer = setTimeout(() => {
    for (const c of clients) if (c.done) c.fail("timed out");
  }, opt.timeout * 1000);
  starter(() => {
    if (--pending === 0) {
      clearTimeout(timer);
      report(kind, tStart, cpu0);
    }
  });
}

const commands = {
  open(cmd) {
    const inflight = cmd.inflight || 128;
    round("open", (done) => {
      let next = 0, open = 0;
      const pump = () => {
        while (next < clients.length && open < inflight) {
          open++;
          clients[next++].start(null, () => { open--; done(); pump(); });
        }
      };
      pump();
    });
  },
  resume(cmd) {
    const from = cmd.from === "saved" ? "saved" : "position";
    const plain = cmd.from === "none";
    round(plain ? "plain" : "resume", (done) => {
      for (const c of clients) c.start(c[from], done, plain); // all in this tick
    });
  },
  save(cmd) {
    for (const c of clients) c.saved = cmd.position ? { ...cmd.position } : c.position && { ...c.position };
    emit({ event: "saved", position: clients[0].saved });
  },
  close() {
    for (const c of clients) { c.done = null; c.socket.disconnect(); }
    emit({ event: "closed" });
  },
  await_down(cmd) {
    const t0 = performance.now();
    const check = () => {
      if (clients.some((c) => c.connected)) return false;
      onDown = null;
      clearTimeout(timer);
      const reasons = {};
      for (const c of clients) reasons[c.disconnectReason] = (reasons[c.disconnectReason] || 0) + 1;
      emit({ event: "down", ms: Math.round(performance.now() - t0), reasons });
      return true;
    };
    const timer = setTimeout(() => {
      onDown = null;
      emit({ event: "error", error: `still connected: ${clients.filter((c) => c.connected).length}` });
    }, (cmd.timeout || 30) * 1000);
    if (!check()) onDown = check;
  },
  mark() {
    for (const c of clients) c.sinceMark = 0;
    emit({ event: "marked" });
  },
  wait_events(cmd) {
    const t0 = performance.now();
    let reached = clients.filter((c) => c.sinceMark >= cmd.n).length;
    const check = (c) => {
      if (c && c.sinceMark === cmd.n) reached++;
      if (reached < clients.length) return false;
      const min = Math.min(...clients.map((x) => x.sinceMark));
      onEvents = null;
      clearTimeout(timer);
      emit({ event: "events", min, max: Math.max(...clients.map((c) => c.sinceMark)), ms: Math.round(performance.now() - t0) });
      return true;
    };
    const timer = setTimeout(() => {
      onEvents = null;
      const min = Math.min(...clients.map((c) => c.sinceMark));
      emit({ event: "error", error: `wait_events: ${min}/${cmd.n} after ${cmd.timeout || 60} s` });
    }, (cmd.timeout || 60) * 1000);
    if (!check()) onEvents = check;
  },
  quit() {
    for (const c of clients) c.socket.disconnect();
    setImmediate(() => process.exit(0));
  },
};

let stdinBuf = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => {
  stdinBuf += d;
  let i;
  while ((i = stdinBuf.indexOf("\n")) >= 0) {
    const line = stdinBuf.slice(0, i).trim();
    stdinBuf = stdinBuf.slice(i + 1);
    if (!line) continue;
    const cmd = JSON.parse(line);
    const handler = commands[cmd.cmd];
    if (!handler) emit({ event: "error", error: `unknown command ${cmd.cmd}` });
    else handler(cmd);
  }
});
process.stdin.on("end", () => commands.quit());
emit({ event: "ready", clients: clients.length });
