// invalidateOnEvents with a real @tanstack/query-core QueryClient.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { QueryClient } from "@tanstack/query-core";

import { attachStorewire } from "../dist/index.js";
import { invalidateOnEvents } from "../dist/tanstack.js";
import { FakeSocket, envelope } from "./fake-socket.mjs";

async function setup(options) {
  const socket = new FakeSocket();
  const client = attachStorewire(socket, { position: { epoch: "e1", seq: 0 } });
  await socket.handshake();
  const queryClient = new QueryClient();
  for (const key of [["orders"], ["orders", "ord_1"], ["orders", "ord_2"], ["products", "p1"]]) {
    queryClient.setQueryData(key, { loaded: key });
  }
  const stop = invalidateOnEvents(client, queryClient, options);
  const invalidated = () =>
    queryClient
      .getQueryCache()
      .getAll()
      .filter((query) => query.state.isInvalidated)
      .map((query) => query.queryKey);
  return { socket, queryClient, stop, invalidated };
}

const sorted = (keys) => keys.map((key) => JSON.stringify(key)).sort();

describe("invalidateOnEvents", () => {
  it("invalidates the queries under each of an event's keys, and no other", async () => {
    const { socket, invalidated } = await setup();
    socket.push("order:status_changed", envelope(1, { data: { order_id: "ord_1" }, invalidate: [["orders", "ord_1"]] }));
    assert.deepEqual(sorted(invalidated()), sorted([["orders", "ord_1"]]));
    socket.push("order:created", envelope(2, { data: { order_id: "ord_2" }, invalidate: [["orders", "ord_2"], ["orders"]] }));
    assert.deepEqual(sorted(invalidated()), sorted([["orders"], ["orders", "ord_1"], ["orders", "ord_2"]]));
  });

  it("ignores repeats and ephemeral events", async () => {
    const { socket, queryClient, invalidated } = await setup();
    const first = envelope(1, { data: { order_id: "ord_1" }, invalidate: [["orders", "ord_1"]] });
    socket.push("order:status_changed", first);
    queryClient.setQueryData(["orders", "ord_1"], { loaded: "again" }); // fresh again
    socket.push("order:status_changed", { ...first });
    socket.push("presence:joined", { type: "presence:joined", ts: first.ts, data: { room: "order:ord_1" } });
    assert.deepEqual(invalidated(), []);
  });

  it("invalidates everything on a resync, unless told not to", async () => {
    const all = await setup();
    all.socket.push("sync:recovered", { recovered: false, reason: "expired", epoch: "e1", seq: 9 });
    assert.equal(all.invalidated().length, 4);
    const none = await setup({ resync: false });
    none.socket.push("sync:recovered", { recovered: false, reason: "expired", epoch: "e1", seq: 9 });
    assert.deepEqual(none.invalidated(), []);
  });

  it("stops when unsubscribed", async () => {
    const { socket, stop, invalidated } = await setup();
    stop();
    socket.push("order:created", envelope(3, { data: { order_id: "ord_1" } }));
    socket.push("sync:recovered", { recovered: false, reason: "expired", epoch: "e1", seq: 9 });
    assert.deepEqual(invalidated(), []);
  });
});
