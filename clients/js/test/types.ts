// Type-level tests: `npm run typecheck` (tsc) fails if the client's types stop holding.
// Nothing here runs.

import { QueryClient } from "@tanstack/query-core";

import { createStorewire } from "../src/index.js";
import type {
  AnyEnvelope,
  Envelope,
  EphemeralEnvelope,
  OrderEvent,
  Position,
  PresenceChanged,
  Status,
  SyncRecovered,
} from "../src/index.js";
import { invalidateOnEvents } from "../src/tanstack.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_proof?: T): void {}

const client = createStorewire({
  url: "http://localhost:8000",
  token: async () => "token",
  position: { epoch: "e1", seq: 4 },
  socketOptions: { transports: ["websocket"] },
  onResync: (info: SyncRecovered) => void info.reason,
});

client.on("order:created", (e) => {
  expectType<Equal<typeof e, Envelope<OrderEvent, "order:created">>>();
  // @ts-expect-error: a different payload is not the same type
  expectType<Equal<typeof e, Envelope<PresenceChanged, "order:created">>>();
  const total: number = e.data.total_cents;
  const tracking: string | null = e.data.tracking_number;
  const seq: number = e.seq;
  void [total, tracking, seq];
  // @ts-expect-error: no such field in the payload
  void e.data.nope;
});

client.on("presence:joined", (e) => {
  expectType<Equal<typeof e, EphemeralEnvelope<PresenceChanged, "presence:joined">>>();
  const name: string = e.data.user.name;
  void name;
  // @ts-expect-error: ephemeral events carry no seq
  void e.seq;
});

// @ts-expect-error: not an event of the catalog
client.on("order:nope", () => {});

const stop: () => void = client.onAny((e: AnyEnvelope) => {
  if (e.type === "order:status_changed") {
    const status: string = e.data.status;
    void status;
  }
});
stop();

const status: Status = client.status;
const position: Position | null = client.position;
void [status, position];

async function joins(): Promise<void> {
  const ack = await client.join("order:ord_1");
  if (ack.ok) {
    const room: string = ack.room;
    void room;
  } else {
    const code: string = ack.error.code;
    void code;
  }
}
void joins;

const unsubscribe: () => void = invalidateOnEvents(client, new QueryClient());
unsubscribe();
