// A small query cache: each query has a key (["orders", id]), a fetcher, and optional tags read from
// its data (the storefront's product list is also tagged ["products", id] for every product it shows).
// `invalidate(prefix)` refetches every watched query whose key or a tag starts with the prefix, the
// way TanStack Query matches keys: an event's `invalidate` keys are applied as they come, nothing else
// decides what is stale. A burst of events for the same query costs one refetch.

import { useEffect, useReducer } from "preact/hooks";

import type { ApiError } from "./api";

export type Key = readonly string[];

interface Entry {
  key: Key;
  data: unknown;
  error: ApiError | null;
  loading: boolean;
  fetcher: () => Promise<unknown>;
  tagsOf?: (data: never) => Key[];
  tags: Key[];
  watchers: Set<() => void>;
  stale: boolean;
  inflight: boolean;
  again: boolean;
  /** Bumped by setQueryData: an answer fetched before it is older than what is shown. */
  written: number;
  timer?: ReturnType<typeof setTimeout>;
}

const cache = new Map<string, Entry>();
let generation = 0;
const COALESCE_MS = 25;

const id = (key: Key) => JSON.stringify(key);

function startsWith(key: Key, prefix: Key): boolean {
  return prefix.length <= key.length && prefix.every((part, i) => key[i] === part);
}

function notify(entry: Entry): void {
  for (const watcher of [...entry.watchers]) watcher();
}

async function run(entry: Entry): Promise<void> {
  if (entry.inflight) {
    entry.again = true; // the answer in flight may predate the change: ask once more after it
    return;
  }
  const started = generation;
  const written = entry.written;
  entry.inflight = true;
  entry.stale = false;
  entry.loading = true;
  notify(entry);
  try {
    const data = await entry.fetcher();
    if (started !== generation || written !== entry.written) return; // a mutation's answer is newer
    entry.data = data;
    entry.error = null;
    entry.tags = entry.tagsOf ? entry.tagsOf(data as never) : [];
  } catch (error) {
    if (started !== generation) return;
    entry.error = error as ApiError;
    // Gone or no longer ours (a store closed, a sign-out elsewhere): stop showing the old answer.
    // Any other failure (the network, a restart) keeps it on screen next to the error.
    if ([401, 403, 404].includes(entry.error.status)) {
      entry.data = undefined;
      entry.tags = [];
    }
  } finally {
    entry.inflight = false;
    entry.loading = false;
    if (started !== generation) entry.again = true;
    notify(entry);
    if (entry.again) {
      entry.again = false;
      schedule(entry);
    }
  }
}

function schedule(entry: Entry): void {
  if (entry.watchers.size === 0) {
    entry.stale = true; // refetched when a page watches it again
    return;
  }
  if (entry.timer !== undefined) return;
  entry.timer = setTimeout(() => {
    entry.timer = undefined;
    if (entry.watchers.size === 0) entry.stale = true; // its page went away meanwhile (e.g. signed out)
    else void run(entry);
  }, COALESCE_MS);
}

/** Refetch every query whose key, or one of its tags, starts with `prefix`. */
export function invalidate(prefix: Key): void {
  for (const entry of cache.values()) {
    if (startsWith(entry.key, prefix) || entry.tags.some((tag) => startsWith(tag, prefix))) schedule(entry);
  }
}

/** Events may have been missed (a resync): refetch everything shown, the rest when next shown. */
export function invalidateAll(): void {
  for (const entry of cache.values()) schedule(entry);
}

/** Another user signed in or out: forget every answer, refetch what is shown. */
export function resetCache(): void {
  generation += 1;
  for (const entry of cache.values()) {
    entry.data = undefined;
    entry.error = null;
    entry.tags = [];
    schedule(entry);
    notify(entry);
  }
}

/** Put a mutation's answer in place (e.g. the cart a POST returned) without waiting for a refetch. */
export function setQueryData<T>(key: Key, data: T): void {
  const entry = cache.get(id(key));
  if (!entry) return;
  entry.written += 1;
  entry.data = data;
  entry.error = null;
  entry.tags = entry.tagsOf ? entry.tagsOf(data as never) : [];
  notify(entry);
}

export interface Query<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  refetch: () => void;
}

/** Watch a query (`key` null: nothing to fetch yet). The latest `fetcher` is the one used. */
export function useQuery<T>(key: Key | null, fetcher: () => Promise<T>, tagsOf?: (data: T) => Key[]): Query<T> {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const name = key ? id(key) : "";
  let entry = key ? cache.get(name) : undefined;
  if (key && !entry) {
    entry = { key, data: undefined, error: null, loading: true, fetcher, tags: [], watchers: new Set(), stale: true, inflight: false, again: false, written: 0 };
    cache.set(name, entry);
  }
  if (entry) {
    entry.fetcher = fetcher;
    entry.tagsOf = tagsOf as ((data: never) => Key[]) | undefined;
  }
  useEffect(() => {
    if (!entry) return;
    const watcher = () => rerender(0);
    entry.watchers.add(watcher);
    if (!entry.inflight && (entry.stale || entry.error || entry.data === undefined)) void run(entry);
    return () => {
      entry.watchers.delete(watcher);
    };
  }, [name]);
  return {
    data: entry?.data as T | undefined,
    error: entry?.error ?? null,
    loading: entry ? entry.loading && entry.data === undefined : false,
    refetch: () => entry && schedule(entry),
  };
}

/** A tiny observable value for app-wide state (the user, the connection status, toasts). */
export class Observable<T> {
  private readonly watchers = new Set<() => void>();
  constructor(private current: T) {}
  get value(): T {
    return this.current;
  }
  set(next: T): void {
    if (Object.is(next, this.current)) return;
    this.current = next;
    for (const watcher of [...this.watchers]) watcher();
  }
  watch(watcher: () => void): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }
}

export function useObservable<T>(observable: Observable<T>): T {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  useEffect(() => observable.watch(() => rerender(0)), [observable]);
  return observable.value;
}
