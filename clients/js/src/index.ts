// @storewire/client: socket.io-client with resume, dedupe, room re-joins and the catalog's types.
// The TanStack Query helper is its own entry point, `@storewire/client/tanstack`.

export { attachStorewire, createStorewire } from "./client.js";
export type {
  AckError,
  JoinAck,
  LeaveAck,
  Status,
  StorewireClient,
  StorewireError,
  StorewireOptions,
} from "./client.js";
export { EPHEMERAL_EVENTS } from "./events.js";
export type * from "./events.js";
export { ResumeTracker, SeqWindow } from "./tracker.js";
export type { Verdict } from "./tracker.js";
