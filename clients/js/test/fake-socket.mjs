// A stand-in for socket.io-client's Socket with just what attachStorewire uses, driven by the test:
// `handshake()` plays a (re)connect and returns the auth payload sent, `drop()` a lost connection,
// `push()` an event from the server, and `sent` holds every emitWithAck with its ack to answer.

export class FakeSocket {
  constructor() {
    this.connected = false;
    this.active = false;
    this.auth = undefined;
    this.sent = [];
    this.listeners = new Map();
    this.anyListeners = [];
    this.managerListeners = new Map();
    this.io = {
      on: (event, fn) => this.#add(this.managerListeners, event, fn),
      engine: { close: () => this.drop("transport close") },
    };
  }

  #add(map, event, fn) {
    if (!map.has(event)) map.set(event, []);
    map.get(event).push(fn);
  }

  on(event, fn) {
    this.#add(this.listeners, event, fn);
    return this;
  }

  onAny(fn) {
    this.anyListeners.push(fn);
    return this;
  }

  fire(event, ...args) {
    for (const fn of this.listeners.get(event) ?? []) fn(...args);
  }

  emitWithAck(event, payload) {
    return new Promise((resolve, reject) => {
      this.sent.push({ event, payload, resolve, reject, connected: this.connected });
    });
  }

  connect() {
    this.active = true;
  }

  disconnect() {
    const was = this.connected;
    this.active = false;
    this.connected = false;
    if (was) this.fire("disconnect", "io client disconnect");
  }

  /** The server accepts a (re)connect: returns what the client's auth callback sent. */
  async handshake() {
    this.active = true;
    const auth = await new Promise((resolve) => {
      if (typeof this.auth === "function") this.auth(resolve);
      else resolve(this.auth);
    });
    this.connected = true;
    this.fire("connect");
    return auth;
  }

  /** The connection is lost; socket.io will reconnect (unacked emits fail). */
  drop(reason = "transport close") {
    this.connected = false;
    this.fire("disconnect", reason);
    for (const sent of this.sent.filter((s) => !s.done)) {
      sent.done = true;
      sent.reject(new Error("socket has been disconnected"));
    }
  }

  /** An event from the server. */
  push(event, payload) {
    for (const fn of this.anyListeners) fn(event, payload);
  }

  /** Ack the oldest unanswered emit of `event` with `reply`; returns what it sent. */
  async ack(event, reply) {
    const sent = this.sent.find((s) => s.event === event && !s.done);
    if (!sent) throw new Error(`no unanswered ${event}: ${JSON.stringify(this.sent.map((s) => s.event))}`);
    sent.done = true;
    sent.resolve(typeof reply === "function" ? reply(sent.payload) : reply);
    await new Promise((resolve) => setImmediate(resolve));
    return sent.payload;
  }

  /** The payloads of every emit of `event` so far. */
  payloads(event) {
    return this.sent.filter((s) => s.event === event).map((s) => s.payload);
  }
}

let next = 0;

/** A logged envelope of `type` at `seq` (epoch "e1" unless given). */
export function envelope(seq, { type = "order:created", epoch = "e1", data = { order_id: `ord_${seq}` }, invalidate } = {}) {
  next += 1;
  return {
    id: `evt_${String(next).padStart(26, "0")}`,
    type,
    epoch,
    seq,
    ts: "2026-01-01T00:00:00.000Z",
    data,
    invalidate: invalidate ?? [["orders", data.order_id ?? "x"], ["orders"]],
  };
}
