// The live connection: one @storewire/client per signed-in identity (the session cookie rides the
// handshake; no token in JS). Every envelope's `invalidate` keys refetch the queries they name; a
// resync refetches everything shown. Pages listen with `useEvent`, join rooms with `useRoom` (re-joined
// when the client is replaced on sign-in/out) and see who is there with `usePresence`.

import { createStorewire } from "@storewire/client";
import type { AnyEnvelope, EventEnvelope, EventName, PresenceUser, Status, StorewireClient } from "@storewire/client";
import { useEffect, useRef, useState } from "preact/hooks";

import { setSocketIdSource } from "./api";
import { invalidate, invalidateAll, Observable } from "./store";

export const status = new Observable<Status>("connecting");
/** The code of the last refused handshake or transport failure (shown next to the status). */
export const lastError = new Observable<string>("");

type Handler = (envelope: AnyEnvelope) => void;

let client: StorewireClient | null = null;
let detach: Array<() => void> = [];
let signedIn = false;
let page = location.pathname;
const handlers = new Map<string, Set<Handler>>();
const rooms = new Map<string, { count: number; joined: Set<() => void> }>();

setSocketIdSource(() => (client?.socket.connected ? client.socket.id : undefined));

function dispatch(envelope: AnyEnvelope): void {
  if ("invalidate" in envelope) for (const key of envelope.invalidate) invalidate(key);
  for (const handler of [...(handlers.get(envelope.type) ?? [])]) {
    try {
      handler(envelope);
    } catch (error) {
      console.error(error);
    }
  }
}

function reportPage(): void {
  // Feeds the admins' live users (`page:navigate`); guests have no seat there.
  if (signedIn && client?.socket.connected) client.emit("page:navigate", { path: page }).catch(() => {});
}

/** (Re)connect as whoever the cookie now says; called at start and after every sign-in or sign-out. */
export function connect(isSignedIn: boolean): void {
  signedIn = isSignedIn;
  for (const stop of detach) stop();
  client?.close();
  lastError.set("");
  const next = createStorewire({ url: location.origin, onResync: () => invalidateAll() });
  client = next;
  detach = [
    next.onStatus((value) => {
      status.set(value);
      if (value === "connected" || value === "resumed") {
        lastError.set("");
        reportPage();
      }
    }),
    next.onError((error) => lastError.set(error.code)),
    next.onAny(dispatch),
  ];
  status.set(next.status);
  for (const room of rooms.keys()) sendJoin(room);
}

/** The router tells where the user is; admins see it in /ops. */
export function setPage(path: string): void {
  if (path === page) return;
  page = path;
  reportPage();
}

export function emit<T>(event: string, payload: unknown): Promise<T> {
  if (!client) return Promise.reject(new Error("not connected"));
  return client.emit<T>(event, payload);
}

function sendJoin(room: string): void {
  const current = client;
  if (!current) return;
  void current.join(room).then((ack) => {
    const entry = rooms.get(room);
    if (!entry || client !== current) return;
    if (!ack.ok) {
      console.warn(`join ${room}: ${ack.error.code}`);
      return;
    }
    for (const joined of [...entry.joined]) joined();
  });
}

/** Listen to one event while the component is mounted. */
export function useEvent<K extends EventName>(type: K, handler: (envelope: EventEnvelope<K>) => void): void {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    const wrapped: Handler = (envelope) => latest.current(envelope as EventEnvelope<K>);
    let set = handlers.get(type);
    if (!set) handlers.set(type, (set = new Set()));
    set.add(wrapped);
    return () => {
      set.delete(wrapped);
    };
  }, [type]);
}

/**
 * Be in `room` while mounted (null: none). `onJoined` runs after each successful join (first join,
 * after a reconnect, after sign-in): refetch there what was read before the room was live.
 */
export function useRoom(room: string | null, onJoined?: () => void): void {
  const latest = useRef(onJoined);
  latest.current = onJoined;
  useEffect(() => {
    if (!room) return;
    const joined = () => latest.current?.();
    let entry = rooms.get(room);
    if (!entry) {
      rooms.set(room, (entry = { count: 0, joined: new Set() }));
    }
    entry.count += 1;
    entry.joined.add(joined);
    if (entry.count === 1) sendJoin(room);
    else joined();
    return () => {
      const current = rooms.get(room);
      if (!current) return;
      current.joined.delete(joined);
      current.count -= 1;
      if (current.count === 0) {
        rooms.delete(room);
        void client?.leave(room).catch(() => {});
      }
    };
  }, [room]);
}

interface PresenceAck {
  ok: boolean;
  users?: PresenceUser[];
}

/** Who is in a presence room (storefront, order, kitchen, chat), kept live; null until known. */
export function usePresence(room: string | null): PresenceUser[] | null {
  const [users, setUsers] = useState<PresenceUser[] | null>(null);
  const list = () => {
    if (!room) return;
    emit<PresenceAck>("presence:list", { room })
      .then((ack) => ack.ok && ack.users && setUsers(ack.users))
      .catch(() => {});
  };
  useEffect(() => setUsers(null), [room]);
  useRoom(room, list);
  useEvent("presence:joined", (e) => {
    if (e.data.room !== room) return;
    setUsers((now) => [...(now ?? []).filter((u) => u.id !== e.data.user.id), e.data.user]);
  });
  useEvent("presence:left", (e) => {
    if (e.data.room !== room) return;
    setUsers((now) => (now ?? []).filter((u) => u.id !== e.data.user.id));
  });
  return users;
}
