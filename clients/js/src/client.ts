// The storewire client: one socket.io-client Socket that resumes where it was after every reconnect,
// drops repeated envelopes, re-joins its rooms and hands typed events to the app
// (docs/protocol.md, sections 1, 3, 5 and 6).

import { io } from "socket.io-client";
import type { ManagerOptions, Socket, SocketOptions } from "socket.io-client";

import type { AnyEnvelope, EventEnvelope, EventName, Position, SyncRecovered } from "./events.js";
import { ResumeTracker } from "./tracker.js";

/** The connection as the app shows it. */
export type Status = "connecting" | "connected" | "reconnecting" | "resumed" | "disconnected";

/**
 * A connection problem: a refused handshake's `{code, message}` (`auth_required`, `auth_invalid`,
 * `auth_expired`, `too_many_connections`, `server_busy`), `transport_error` when the server could not
 * be reached, `token_error` when the `token` function failed.
 */
export interface StorewireError {
  code: string;
  message: string;
}

export interface AckError {
  ok: false;
  error: { code: string; message: string };
}

export type JoinAck = { ok: true; room: string; recovered?: boolean } | AckError;
export type LeaveAck = { ok: true } | AckError;

export interface StorewireOptions {
  /** The server's origin, e.g. `https://shop.example` (Socket.IO's path `/socket.io/` is the default). */
  url: string;
  /** An access token, or a function asked before every (re)connect. Omitted: a guest, or cookie auth. */
  token?: string | (() => string | Promise<string>);
  /** A position the app's data is known to be at (e.g. kept across page loads). */
  position?: Position;
  /** Passed to `io()`: transports, path, reconnection delays, ... (`auth` is the client's own). */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
  /** Called when the server says events were missed (`recovered: false`): refetch over REST. */
  onResync?: (info: SyncRecovered) => void;
  /** How many recent `seq` values are remembered to drop repeats (10,000). */
  dedupeWindow?: number;
}

export interface StorewireClient {
  /** The underlying socket.io-client Socket. Listen through `on`/`onAny` to get dedupe and position. */
  readonly socket: Socket;
  readonly status: Status;
  /** The position of the last event handled (null before the first one is known). */
  readonly position: Position | null;
  /** The rooms joined with `join`, re-joined after every reconnect. */
  readonly rooms: readonly string[];
  /** Listen to one event; returns the function that stops listening. */
  on<K extends EventName>(event: K, handler: (envelope: EventEnvelope<K>) => void): () => void;
  /** Listen to every event (logged and ephemeral, not `sync:recovered`). */
  onAny(handler: (envelope: AnyEnvelope) => void): () => void;
  onStatus(handler: (status: Status) => void): () => void;
  onError(handler: (error: StorewireError) => void): () => void;
  /** Like the `onResync` option: missed events, refetch. */
  onResync(handler: (info: SyncRecovered) => void): () => void;
  /** Join a room now (or on the next connect) and after every reconnect; a refused join forgets it. */
  join(room: string): Promise<JoinAck>;
  /** Leave a room and stop re-joining it. */
  leave(room: string): Promise<LeaveAck>;
  /** Send a client event and wait for its ack. */
  emit<T = unknown>(event: string, payload?: unknown): Promise<T>;
  /** Connect again after `close()` or a refused handshake (e.g. with a fresh token). */
  connect(): void;
  /** Disconnect for good (until `connect()`). */
  close(): void;
}

/** Connect to a storewire server (see `StorewireOptions`). */
export function createStorewire(options: StorewireOptions): StorewireClient {
  const socket = io(options.url, { ...options.socketOptions, autoConnect: false });
  const client = attachStorewire(socket, options);
  if (options.socketOptions?.autoConnect !== false) socket.connect();
  return client;
}

/**
 * Make a socket you created a storewire client (its `auth` is replaced). Create it with
 * `autoConnect: false` and call `connect()` on the client, so the first handshake carries `resume`.
 */
export function attachStorewire(
  socket: Socket,
  options: Omit<StorewireOptions, "url" | "socketOptions">,
): StorewireClient {
  const tracker = new ResumeTracker(options.position ?? null, options.dedupeWindow);
  const handlers = new Map<string, Set<(envelope: never) => void>>();
  const anyHandlers = new Set<(envelope: AnyEnvelope) => void>();
  const statusHandlers = new Set<(status: Status) => void>();
  const errorHandlers = new Set<(error: StorewireError) => void>();
  const resyncHandlers = new Set<(info: SyncRecovered) => void>();
  if (options.onResync) resyncHandlers.add(options.onResync);
  /** Per room, the callers of `join` waiting for the next ack of a `room:join` for it. */
  const waiting = new Map<string, Array<(ack: JoinAck) => void>>();
  /** The rooms whose `room:join` was sent on this connection and not yet acked. */
  const inFlight = new Map<string, object>();
  let status: Status = "connecting";
  let everConnected = false;

  function setStatus(next: Status): void {
    if (next === status) return;
    status = next;
    for (const handler of [...statusHandlers]) call(handler, next);
  }

  function fail(error: StorewireError): void {
    for (const handler of [...errorHandlers]) call(handler, error);
  }

  function resync(info: SyncRecovered): void {
    for (const handler of [...resyncHandlers]) call(handler, info);
  }

  function deliver(event: string, envelope: AnyEnvelope): void {
    for (const handler of [...(handlers.get(event) ?? [])]) {
      call(handler as (e: AnyEnvelope) => void, envelope);
    }
    for (const handler of [...anyHandlers]) call(handler, envelope);
  }

  socket.auth = (cb: (data: object) => void) => {
    const resume = tracker.resume();
    const token = options.token;
    if (typeof token !== "function") {
      cb(token === undefined ? { resume } : { token, resume });
      return;
    }
    Promise.resolve()
      .then(token)
      .then(
        (value) => cb({ token: value, resume }),
        (error: unknown) => {
          fail({ code: "token_error", message: String((error as Error)?.message ?? error) });
          socket.io.engine?.close(); // the manager tries again later, asking for the token again
        },
      );
  };

  function sendJoin(room: string): void {
    if (inFlight.has(room)) return; // its ack answers every caller waiting for it
    const since = tracker.since(room);
    tracker.join(room, since);
    const attempt = {};
    inFlight.set(room, attempt);
    const request = since === undefined ? { room } : { room, since };
    socket.emitWithAck("room:join", request).then(
      (ack: JoinAck) => {
        if (inFlight.get(room) === attempt) inFlight.delete(room);
        if (!ack.ok) tracker.leave(room);
        const callers = waiting.get(room) ?? [];
        waiting.delete(room);
        for (const resolve of callers) resolve(ack);
      },
      () => {
        // No ack (disconnected): the room is still remembered and joined again on the next connect.
        if (inFlight.get(room) === attempt) inFlight.delete(room);
      },
    );
  }

  socket.on("connect", () => {
    if (everConnected) {
      // Stays "reconnecting" until the resume's sync:recovered says how it went.
      setStatus("reconnecting");
    } else {
      everConnected = true;
      setStatus("connected");
    }
    for (const room of tracker.rooms) sendJoin(room);
  });

  socket.on("disconnect", () => {
    inFlight.clear(); // socket.io fails their acks right after this event
    tracker.disconnected();
    setStatus(socket.active ? "reconnecting" : "disconnected");
  });

  socket.on("connect_error", (error: Error & { data?: { code?: unknown; message?: unknown } }) => {
    const data = error.data;
    if (data && typeof data.code === "string") {
      fail({ code: data.code, message: typeof data.message === "string" ? data.message : error.message });
    } else {
      fail({ code: "transport_error", message: error.message });
    }
    if (!socket.active) setStatus("disconnected"); // refused by the server: socket.io does not retry
  });

  socket.io.on("reconnect_failed", () => setStatus("disconnected"));

  socket.onAny((event: string, payload: unknown) => {
    if (event === "sync:recovered") {
      const info = payload as SyncRecovered;
      const refetch = tracker.recovered(info);
      if (info.room === undefined && status === "reconnecting") {
        setStatus(info.recovered ? "resumed" : "connected");
      }
      if (refetch) resync(info);
      return;
    }
    if (!isLogged(payload)) {
      deliver(event, payload as AnyEnvelope); // ephemeral (or not an envelope at all): no position
      return;
    }
    const verdict = tracker.accept(payload);
    if (verdict === "duplicate") return;
    if (verdict === "new_epoch") {
      resync({ recovered: false, reason: "epoch_changed", epoch: payload.epoch, seq: payload.seq });
    }
    deliver(event, payload as unknown as AnyEnvelope);
  });

  function subscribe<T>(set: Set<T>, handler: T): () => void {
    set.add(handler);
    return () => void set.delete(handler);
  }

  return {
    socket,
    get status() {
      return status;
    },
    get position() {
      return tracker.position;
    },
    get rooms() {
      return tracker.rooms;
    },
    on(event, handler) {
      let set = handlers.get(event);
      if (!set) handlers.set(event, (set = new Set()));
      return subscribe(set, handler as (envelope: never) => void);
    },
    onAny: (handler) => subscribe(anyHandlers, handler),
    onStatus: (handler) => subscribe(statusHandlers, handler),
    onError: (handler) => subscribe(errorHandlers, handler),
    onResync: (handler) => subscribe(resyncHandlers, handler),
    join(room) {
      const acked = new Promise<JoinAck>((resolve) => {
        const callers = waiting.get(room);
        if (callers) callers.push(resolve);
        else waiting.set(room, [resolve]);
      });
      tracker.join(room, undefined);
      if (socket.connected) sendJoin(room); // otherwise on connect, with every remembered room
      return acked;
    },
    async leave(room) {
      tracker.leave(room);
      const callers = waiting.get(room) ?? [];
      waiting.delete(room);
      const left: JoinAck = { ok: false, error: { code: "left", message: `left ${room} before joining it` } };
      for (const resolve of callers) resolve(left);
      if (!socket.connected) return { ok: true };
      return (await socket.emitWithAck("room:leave", { room })) as LeaveAck;
    },
    emit<T>(event: string, payload?: unknown): Promise<T> {
      const sent = payload === undefined ? socket.emitWithAck(event) : socket.emitWithAck(event, payload);
      return sent as Promise<T>;
    },
    connect() {
      if (socket.connected || socket.active) return;
      setStatus(everConnected ? "reconnecting" : "connecting");
      socket.connect();
    },
    close() {
      socket.disconnect();
      setStatus("disconnected");
    },
  };
}

function isLogged(payload: unknown): payload is { epoch: string; seq: number } {
  if (typeof payload !== "object" || payload === null) return false;
  const { epoch, seq } = payload as { epoch?: unknown; seq?: unknown };
  return typeof epoch === "string" && typeof seq === "number";
}

/** Run an app's handler; its error surfaces (as an uncaught error) without stopping the others. */
function call<T>(handler: (value: T) => void, value: T): void {
  try {
    handler(value);
  } catch (error) {
    setTimeout(() => {
      throw error;
    });
  }
}
