// The client's glue on a fake socket: handshake auth, dedupe, statuses, room re-joins, errors.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { attachStorewire } from "../dist/index.js";
import { FakeSocket, envelope } from "./fake-socket.mjs";

function setup(options = {}) {
  const socket = new FakeSocket();
  const client = attachStorewire(socket, options);
  const got = [];
  const statuses = [];
  const resyncs = [];
  const errors = [];
  client.onAny((e) => got.push(e));
  client.onStatus((s) => statuses.push(s));
  client.onResync((info) => resyncs.push(info));
  client.onError((error) => errors.push(error));
  return { socket, client, got, statuses, resyncs, errors };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("handshake", () => {
  it("sends the token and resume {} without a position, then takes the no_position sync", async () => {
    const { socket, client, statuses, resyncs } = setup({ token: "tok" });
    assert.equal(client.status, "connecting");
    assert.deepEqual(await socket.handshake(), { token: "tok", resume: {} });
    assert.equal(client.status, "connected");
    const sync = { recovered: false, reason: "no_position", epoch: "e1", seq: 41 };
    socket.push("sync:recovered", sync);
    assert.deepEqual(resyncs, [sync]);
    assert.deepEqual(client.position, { epoch: "e1", seq: 41 });
    assert.deepEqual(statuses, ["connected"]);
  });

  it("asks a token function before every handshake, and sends no token for a guest", async () => {
    let calls = 0;
    const { socket } = setup({ token: async () => `tok${++calls}`, position: { epoch: "e1", seq: 5 } });
    assert.deepEqual(await socket.handshake(), { token: "tok1", resume: { epoch: "e1", seq: 5 } });
    socket.drop();
    assert.deepEqual(await socket.handshake(), { token: "tok2", resume: { epoch: "e1", seq: 5 } });
    const guest = setup();
    assert.deepEqual(await guest.socket.handshake(), { resume: {} });
  });

  it("reports a failing token function and closes the engine to try again later", async () => {
    const { socket, errors } = setup({ token: () => Promise.reject(new Error("offline")) });
    let closed = 0;
    socket.io.engine.close = () => (closed += 1);
    socket.auth(() => assert.fail("no handshake without a token"));
    await tick();
    assert.deepEqual(errors, [{ code: "token_error", message: "offline" }]);
    assert.equal(closed, 1);
  });
});

describe("events", () => {
  it("drops a repeated envelope and passes ephemeral events through", async () => {
    const { socket, client, got } = setup();
    await socket.handshake();
    const created = [];
    client.on("order:created", (e) => created.push(e.seq));
    const first = envelope(7);
    socket.push("order:created", first);
    socket.push("order:created", { ...first });
    socket.push("order:created", envelope(8));
    const typing = { type: "chat:typing", ts: "2026-01-01T00:00:00.000Z", data: { room: "chat:c1" } };
    socket.push("chat:typing", typing);
    socket.push("chat:typing", typing);
    assert.deepEqual(created, [7, 8]);
    assert.deepEqual(got.map((e) => e.type), ["order:created", "order:created", "chat:typing", "chat:typing"]);
    assert.deepEqual(client.position, { epoch: "e1", seq: 8 });
  });

  it("stops calling a handler once unsubscribed", async () => {
    const { socket, client } = setup();
    await socket.handshake();
    const seen = [];
    const stop = client.on("order:created", (e) => seen.push(e.seq));
    socket.push("order:created", envelope(1));
    stop();
    socket.push("order:created", envelope(2));
    assert.deepEqual(seen, [1]);
  });

  it("resyncs on an envelope of a new epoch and still delivers it", async () => {
    const { socket, client, got, resyncs } = setup({ position: { epoch: "e1", seq: 100 } });
    await socket.handshake();
    socket.push("order:created", envelope(101));
    socket.push("order:created", envelope(4, { epoch: "e2" }));
    assert.deepEqual(resyncs, [{ recovered: false, reason: "epoch_changed", epoch: "e2", seq: 4 }]);
    assert.deepEqual(got.map((e) => e.seq), [101, 4]);
    assert.deepEqual(client.position, { epoch: "e2", seq: 4 });
  });

  it("keeps going when a handler throws", async () => {
    const { socket, client, got } = setup();
    await socket.handshake();
    client.on("order:created", () => {
      throw new Error("app bug");
    });
    // The error is rethrown from a timer, to surface as uncaught: catch that timer here.
    const timers = [];
    const { setTimeout } = globalThis;
    globalThis.setTimeout = (fn) => timers.push(fn);
    try {
      socket.push("order:created", envelope(1));
    } finally {
      globalThis.setTimeout = setTimeout;
    }
    assert.equal(got.length, 1, "the other handlers still ran");
    assert.equal(timers.length, 1);
    assert.throws(timers[0], /app bug/);
  });
});

describe("reconnect", () => {
  it("resumes from its position: reconnecting, then resumed", async () => {
    const { socket, client, got, statuses } = setup();
    await socket.handshake();
    socket.push("sync:recovered", { recovered: false, reason: "no_position", epoch: "e1", seq: 3 });
    socket.push("order:created", envelope(4));
    socket.drop();
    assert.equal(client.status, "reconnecting");
    assert.deepEqual(await socket.handshake(), { resume: { epoch: "e1", seq: 4 } });
    assert.equal(client.status, "reconnecting", "until the sync says how the resume went");
    socket.push("order:created", envelope(4)); // a repeat across the reconnect
    socket.push("order:created", envelope(6));
    socket.push("sync:recovered", { recovered: true, epoch: "e1", seq: 9 });
    assert.deepEqual(statuses, ["connected", "reconnecting", "resumed"]);
    assert.deepEqual(got.map((e) => e.seq), [4, 6]);
    assert.deepEqual(client.position, { epoch: "e1", seq: 9 });
  });

  it("is connected again, and resyncs, when the resume did not recover", async () => {
    const { socket, client, resyncs } = setup({ position: { epoch: "e1", seq: 1 } });
    await socket.handshake();
    socket.drop();
    await socket.handshake();
    const sync = { recovered: false, reason: "expired", epoch: "e1", seq: 50 };
    socket.push("sync:recovered", sync);
    assert.equal(client.status, "connected");
    assert.deepEqual(resyncs, [sync]);
  });

  it("re-joins its rooms from where each was, whatever the resume's sync said", async () => {
    const { socket, client } = setup({ position: { epoch: "e1", seq: 10 } });
    await socket.handshake();
    socket.push("sync:recovered", { recovered: true, epoch: "e1", seq: 10 });
    const joined = client.join("order:o1");
    assert.deepEqual(await socket.ack("room:join", { ok: true, room: "order:o1", recovered: true }), {
      room: "order:o1",
      since: { epoch: "e1", seq: 10 },
    });
    assert.deepEqual(await joined, { ok: true, room: "order:o1", recovered: true });
    socket.push("sync:recovered", { recovered: true, epoch: "e1", seq: 10, room: "order:o1" });
    socket.push("order:created", envelope(20));

    socket.drop();
    await socket.handshake();
    socket.push("sync:recovered", { recovered: true, epoch: "e1", seq: 90 });
    assert.deepEqual(socket.payloads("room:join").at(-1), { room: "order:o1", since: { epoch: "e1", seq: 20 } });

    // Dropped again before the room's sync: the next re-join still asks from 20.
    socket.drop();
    await socket.handshake();
    assert.deepEqual(socket.payloads("room:join").at(-1), { room: "order:o1", since: { epoch: "e1", seq: 20 } });
    await socket.ack("room:join", { ok: true, room: "order:o1", recovered: true });
    socket.push("sync:recovered", { recovered: true, epoch: "e1", seq: 95 });
    socket.push("sync:recovered", { recovered: true, epoch: "e1", seq: 95, room: "order:o1" });
    socket.drop();
    await socket.handshake();
    assert.deepEqual(socket.payloads("room:join").at(-1), { room: "order:o1", since: { epoch: "e1", seq: 95 } });
    assert.deepEqual(client.rooms, ["order:o1"]);
  });

  it("joins a room asked for while disconnected on the next connect, and resolves then", async () => {
    const { socket, client } = setup();
    const joined = client.join("product:p1");
    assert.deepEqual(socket.payloads("room:join"), []);
    await socket.handshake();
    assert.deepEqual(socket.payloads("room:join"), [{ room: "product:p1" }], "no position yet: no since");
    await socket.ack("room:join", { ok: true, room: "product:p1" });
    assert.deepEqual(await joined, { ok: true, room: "product:p1" });
  });

  it("sends one join for a room asked twice at once, and answers both", async () => {
    const { socket, client } = setup({ position: { epoch: "e1", seq: 1 } });
    await socket.handshake();
    const first = client.join("order:o1");
    const second = client.join("order:o1");
    assert.equal(socket.payloads("room:join").length, 1);
    await socket.ack("room:join", { ok: true, room: "order:o1", recovered: true });
    assert.deepEqual(await first, await second);
  });

  it("forgets a refused room and a left one", async () => {
    const { socket, client } = setup({ position: { epoch: "e1", seq: 1 } });
    await socket.handshake();
    const refused = client.join("order:secret");
    await socket.ack("room:join", { ok: false, error: { code: "forbidden", message: "no" } });
    assert.equal((await refused).ok, false);
    client.join("order:o2");
    await socket.ack("room:join", { ok: true, room: "order:o2", recovered: true });
    const left = client.leave("order:o2");
    assert.deepEqual(await socket.ack("room:leave", { ok: true }), { room: "order:o2" });
    assert.deepEqual(await left, { ok: true });
    socket.drop();
    await socket.handshake();
    assert.deepEqual(client.rooms, []);
    assert.equal(socket.payloads("room:join").length, 2, "nothing re-joined");
  });

  it("answers a join still waiting for a connection when the room is left", async () => {
    const { socket, client } = setup();
    const joined = client.join("order:o1");
    assert.deepEqual(await client.leave("order:o1"), { ok: true });
    assert.equal((await joined).ok, false);
    assert.equal((await joined).error.code, "left");
    await socket.handshake();
    assert.deepEqual(socket.payloads("room:join"), []);
  });

  it("re-sends a join whose ack was lost to a drop", async () => {
    const { socket, client } = setup({ position: { epoch: "e1", seq: 1 } });
    await socket.handshake();
    const joined = client.join("order:o1");
    socket.drop();
    await tick();
    await socket.handshake();
    assert.equal(socket.payloads("room:join").length, 2);
    await socket.ack("room:join", { ok: true, room: "order:o1", recovered: true });
    assert.equal((await joined).ok, true);
  });
});

describe("errors and closing", () => {
  it("reports a refused handshake's code and is disconnected", async () => {
    const { socket, client, errors } = setup({ token: "old" });
    socket.active = false; // socket.io does not retry a refusal
    const refusal = Object.assign(new Error("token expired"), {
      data: { code: "auth_expired", message: "token expired" },
    });
    socket.fire("connect_error", refusal);
    assert.deepEqual(errors, [{ code: "auth_expired", message: "token expired" }]);
    assert.equal(client.status, "disconnected");
  });

  it("reports a transport error and keeps trying", async () => {
    const { socket, client, errors } = setup();
    socket.active = true;
    socket.fire("connect_error", new Error("xhr poll error"));
    assert.deepEqual(errors, [{ code: "transport_error", message: "xhr poll error" }]);
    assert.equal(client.status, "connecting");
  });

  it("is disconnected after close, and after the server disconnects it", async () => {
    const { socket, client, statuses } = setup();
    await socket.handshake();
    client.close();
    assert.equal(client.status, "disconnected");
    client.connect();
    assert.equal(client.status, "reconnecting");
    await socket.handshake();
    socket.active = false;
    socket.drop("io server disconnect");
    assert.deepEqual(statuses, ["connected", "disconnected", "reconnecting", "disconnected"]);
  });

  it("sends client events with their ack", async () => {
    const { socket, client } = setup();
    await socket.handshake();
    const reply = client.emit("page:navigate", { path: "/orders" });
    await socket.ack("page:navigate", { ok: true });
    assert.deepEqual(await reply, { ok: true });
  });
});
