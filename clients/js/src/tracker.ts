// Where a client is in the event log, and what it already handled: the pure part of resume
// (docs/protocol.md, sections 5 and 6). No socket, no timers: the client feeds it what arrives.

import type { Envelope, Position, SyncRecovered } from "./events.js";

/** The `seq` values handled in one epoch, the most recent `limit` of them (oldest forgotten first). */
export class SeqWindow {
  readonly limit: number;
  private readonly seen = new Set<number>();

  constructor(limit = 10_000) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError("the window holds at least 1 seq");
    this.limit = limit;
  }

  get size(): number {
    return this.seen.size;
  }

  has(seq: number): boolean {
    return this.seen.has(seq);
  }

  /** Remember `seq`; false if it was already there (a repeat to drop). */
  add(seq: number): boolean {
    if (this.seen.has(seq)) return false;
    this.seen.add(seq);
    if (this.seen.size > this.limit) {
      // A Set iterates in insertion order: the first one is the oldest remembered.
      for (const oldest of this.seen) {
        this.seen.delete(oldest);
        break;
      }
    }
    return true;
  }

  clear(): void {
    this.seen.clear();
  }
}

/** What to do with an envelope: hand it to the app, drop it, or hand it over after a resync. */
export type Verdict = "new" | "duplicate" | "new_epoch";

/**
 * The client's position in the log, the `seq`s it handled, and the rooms it joined.
 *
 * - The position is the largest `seq` handled, or a `sync:recovered`'s `seq` when that is larger.
 * - A joined room is *pending* from the moment a `room:join` with `since` is asked until its own
 *   `sync:recovered` arrives, and from a disconnect until the re-join's `sync:recovered`: until then
 *   the room's events after `since` may not all have arrived, however far the position moved on
 *   (other rooms' events, the `sync:recovered` of `auth.resume`). A re-join asks from the oldest
 *   such `since`, so nothing in between is skipped; what it replays twice is dropped as a repeat.
 */
export class ResumeTracker {
  private epoch: string | null;
  private seq: number;
  private readonly seen: SeqWindow;
  /** An epoch an envelope brought (the app was told), until a `sync:recovered` says it again. */
  private announced: string | null = null;
  /** Joined rooms, each with its pending `since` (null once its replay is done, or when it had none). */
  private readonly joined = new Map<string, Position | null>();

  constructor(start?: Position | null, window = 10_000) {
    this.epoch = start?.epoch ?? null;
    this.seq = start?.seq ?? 0;
    this.seen = new SeqWindow(window);
  }

  /** The position to resume from, or null before the first one is known. */
  get position(): Position | null {
    return this.epoch === null ? null : { epoch: this.epoch, seq: this.seq };
  }

  /** The handshake's `auth.resume`: the position, or `{}` for "no position yet". */
  resume(): Position | Record<string, never> {
    return this.position ?? {};
  }

  /** Judge a logged envelope and move the position past it. */
  accept(envelope: Pick<Envelope, "epoch" | "seq">): Verdict {
    if (this.epoch !== null && envelope.epoch !== this.epoch) {
      // The log was reset: older positions mean nothing any more.
      this.reset(envelope.epoch, envelope.seq);
      this.seen.add(envelope.seq);
      this.announced = envelope.epoch;
      return "new_epoch";
    }
    this.epoch = envelope.epoch;
    if (!this.seen.add(envelope.seq)) return "duplicate";
    if (envelope.seq > this.seq) this.seq = envelope.seq;
    return "new";
  }

  /**
   * Take in a `sync:recovered`: the position it names, and the end of a room's replay. Returns
   * whether the app must refetch: not when it recovered, nor for an `epoch_changed` an envelope of
   * that epoch already announced.
   */
  recovered(sync: SyncRecovered): boolean {
    if (sync.epoch !== this.epoch) {
      this.reset(sync.epoch, sync.seq);
    } else if (sync.room === undefined && sync.reason === "invalid") {
      this.reset(sync.epoch, sync.seq); // the server does not know our position (ahead of its log)
    } else if (sync.seq > this.seq) {
      this.seq = sync.seq;
    }
    if (sync.room !== undefined && this.joined.has(sync.room)) this.joined.set(sync.room, null);
    if (sync.recovered) return false;
    if (sync.reason === "epoch_changed" && sync.epoch === this.announced) {
      this.announced = null;
      return false;
    }
    return true;
  }

  /** The rooms to join again after a reconnect, in the order they were joined. */
  get rooms(): string[] {
    return [...this.joined.keys()];
  }

  has(room: string): boolean {
    return this.joined.has(room);
  }

  /** The `since` a `room:join` sent now should carry (undefined: no position yet, join without). */
  since(room: string): Position | undefined {
    return this.joined.get(room) ?? this.position ?? undefined;
  }

  /** Remember `room` and mark it pending from `since` (the `since` of the join being sent). */
  join(room: string, since: Position | undefined): void {
    const pending = this.joined.get(room) ?? null;
    this.joined.set(room, since === undefined ? pending : older(pending, since));
  }

  /** Forget `room`: it is not joined again. */
  leave(room: string): void {
    this.joined.delete(room);
  }

  /** The socket went away: every joined room's events after the current position are unknown. */
  disconnected(): void {
    const here = this.position;
    if (here === null) return;
    for (const [room, pending] of this.joined) this.joined.set(room, older(pending, here));
  }

  private reset(epoch: string, seq: number): void {
    this.epoch = epoch;
    this.seq = seq;
    this.seen.clear();
  }
}

/**
 * The position to replay from: the older of the two within one epoch. Across epochs the pending one
 * is kept: the server answers it with `epoch_changed`, which is the truth (the app must refetch).
 */
function older(pending: Position | null, since: Position): Position {
  if (pending === null) return since;
  if (pending.epoch !== since.epoch) return pending;
  return pending.seq <= since.seq ? pending : since;
}
