// The pure resume logic: dedupe window, position, epochs, per-room pending `since`.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ResumeTracker, SeqWindow } from "../dist/index.js";

describe("SeqWindow", () => {
  it("drops repeats and forgets the oldest past its limit", () => {
    const window = new SeqWindow(3);
    assert.equal(window.add(1), true);
    assert.equal(window.add(1), false);
    for (const seq of [2, 3, 4]) assert.equal(window.add(seq), true);
    assert.equal(window.size, 3);
    assert.equal(window.has(1), false, "the oldest was forgotten");
    assert.equal(window.add(2), false);
    assert.equal(window.add(1), true, "a forgotten seq is new again");
  });

  it("keeps older seqs that arrive late (a room replay after newer events)", () => {
    const window = new SeqWindow(10);
    for (const seq of [10, 11, 12, 5, 6]) assert.equal(window.add(seq), true);
    for (const seq of [5, 6, 10, 12]) assert.equal(window.add(seq), false);
  });

  it("holds 10,000 by default", () => {
    const window = new SeqWindow();
    for (let seq = 1; seq <= 10_001; seq += 1) window.add(seq);
    assert.equal(window.size, 10_000);
    assert.equal(window.has(1), false);
    assert.equal(window.has(2), true);
  });

  it("refuses a window of nothing", () => {
    assert.throws(() => new SeqWindow(0), RangeError);
  });
});

describe("ResumeTracker", () => {
  it("starts without a position and resumes with {}", () => {
    const tracker = new ResumeTracker();
    assert.equal(tracker.position, null);
    assert.deepEqual(tracker.resume(), {});
  });

  it("starts from a known position", () => {
    const tracker = new ResumeTracker({ epoch: "e1", seq: 40 });
    assert.deepEqual(tracker.resume(), { epoch: "e1", seq: 40 });
  });

  it("tracks the largest seq handled and drops repeats", () => {
    const tracker = new ResumeTracker();
    assert.equal(tracker.accept({ epoch: "e1", seq: 5 }), "new");
    assert.equal(tracker.accept({ epoch: "e1", seq: 9 }), "new");
    assert.equal(tracker.accept({ epoch: "e1", seq: 7 }), "new", "an older seq not seen yet is new");
    assert.equal(tracker.accept({ epoch: "e1", seq: 9 }), "duplicate");
    assert.equal(tracker.accept({ epoch: "e1", seq: 5 }), "duplicate");
    assert.deepEqual(tracker.position, { epoch: "e1", seq: 9 });
  });

  it("moves to a sync:recovered's seq only when it is larger", () => {
    const tracker = new ResumeTracker({ epoch: "e1", seq: 10 });
    tracker.recovered({ recovered: true, epoch: "e1", seq: 25 });
    assert.deepEqual(tracker.position, { epoch: "e1", seq: 25 });
    tracker.recovered({ recovered: true, epoch: "e1", seq: 20 });
    assert.deepEqual(tracker.position, { epoch: "e1", seq: 25 });
  });

  it("takes the position of a no_position sync", () => {
    const tracker = new ResumeTracker();
    tracker.recovered({ recovered: false, reason: "no_position", epoch: "e1", seq: 77 });
    assert.deepEqual(tracker.position, { epoch: "e1", seq: 77 });
  });

  it("starts over on an envelope of another epoch", () => {
    const tracker = new ResumeTracker();
    tracker.accept({ epoch: "e1", seq: 100 });
    tracker.accept({ epoch: "e1", seq: 3 });
    assert.equal(tracker.accept({ epoch: "e2", seq: 3 }), "new_epoch");
    assert.deepEqual(tracker.position, { epoch: "e2", seq: 3 });
    assert.equal(tracker.accept({ epoch: "e2", seq: 3 }), "duplicate");
    assert.equal(tracker.accept({ epoch: "e2", seq: 100 }), "new", "the old epoch's seqs are forgotten");
  });

  it("starts over on a sync:recovered of another epoch, even at a lower seq", () => {
    const tracker = new ResumeTracker({ epoch: "e1", seq: 500 });
    tracker.accept({ epoch: "e1", seq: 501 });
    tracker.recovered({ recovered: false, reason: "epoch_changed", epoch: "e2", seq: 12 });
    assert.deepEqual(tracker.position, { epoch: "e2", seq: 12 });
    assert.equal(tracker.accept({ epoch: "e2", seq: 501 }), "new");
  });

  it("says when the app must refetch, and not twice for one new epoch", () => {
    const tracker = new ResumeTracker({ epoch: "e1", seq: 10 });
    assert.equal(tracker.recovered({ recovered: true, epoch: "e1", seq: 12 }), false);
    assert.equal(tracker.recovered({ recovered: false, reason: "expired", epoch: "e1", seq: 90 }), true);
    assert.equal(tracker.accept({ epoch: "e2", seq: 2 }), "new_epoch"); // the app refetches now...
    // ...so the sync saying the same thing asks for nothing more.
    assert.equal(tracker.recovered({ recovered: false, reason: "epoch_changed", epoch: "e2", seq: 2 }), false);
    assert.equal(tracker.recovered({ recovered: false, reason: "epoch_changed", epoch: "e2", seq: 2 }), true);
  });

  it("takes the server's position when it calls ours invalid (ahead of its log)", () => {
    const tracker = new ResumeTracker({ epoch: "e1", seq: 500 });
    assert.equal(tracker.recovered({ recovered: false, reason: "invalid", epoch: "e1", seq: 20 }), true);
    assert.deepEqual(tracker.position, { epoch: "e1", seq: 20 });
    assert.equal(tracker.accept({ epoch: "e1", seq: 21 }), "new");
  });

  it("joins from the position, and without since before there is one", () => {
    const tracker = new ResumeTracker();
    assert.equal(tracker.since("order:o1"), undefined);
    tracker.accept({ epoch: "e1", seq: 8 });
    assert.deepEqual(tracker.since("order:o1"), { epoch: "e1", seq: 8 });
  });

  it("re-joins a room from where it was at the disconnect, not from the resume's sync", () => {
    const tracker = new ResumeTracker({ epoch: "e1", seq: 10 });
    tracker.join("order:o1", tracker.since("order:o1"));
    tracker.recovered({ recovered: true, epoch: "e1", seq: 10, room: "order:o1" });
    tracker.accept({ epoch: "e1", seq: 20 });
    tracker.disconnected();
    // The handshake's resume replays the automatic rooms and says the log is at 90.
    tracker.accept({ epoch: "e1", seq: 30 });
    tracker.recovered({ recovered: true, epoch: "e1", seq: 90 });
    assert.deepEqual(tracker.position, { epoch: "e1", seq: 90 });
    assert.deepEqual(tracker.since("order:o1"), { epoch: "e1", seq: 20 });
  });

  it("keeps the oldest pending since across drops until the room's own sync", () => {
    const tracker = new ResumeTracker({ epoch: "e1", seq: 10 });
    tracker.join("order:o1", tracker.since("order:o1"));
    tracker.accept({ epoch: "e1", seq: 50 }); // another room's event, before the room's replay ends
    tracker.disconnected();
    assert.deepEqual(tracker.since("order:o1"), { epoch: "e1", seq: 10 });
    tracker.recovered({ recovered: true, epoch: "e1", seq: 60 });
    tracker.join("order:o1", tracker.since("order:o1")); // the re-join is sent...
    tracker.accept({ epoch: "e1", seq: 70 });
    tracker.disconnected(); // ...and the connection drops before its sync:recovered
    assert.deepEqual(tracker.since("order:o1"), { epoch: "e1", seq: 10 });
    tracker.recovered({ recovered: true, epoch: "e1", seq: 75, room: "order:o1" });
    assert.deepEqual(tracker.since("order:o1"), { epoch: "e1", seq: 75 });
  });

  it("lets every room keep its own pending since", () => {
    const tracker = new ResumeTracker({ epoch: "e1", seq: 10 });
    tracker.join("order:a", tracker.since("order:a"));
    tracker.recovered({ recovered: true, epoch: "e1", seq: 10, room: "order:a" });
    tracker.accept({ epoch: "e1", seq: 15 });
    tracker.join("order:b", tracker.since("order:b"));
    tracker.accept({ epoch: "e1", seq: 40 });
    tracker.disconnected();
    assert.deepEqual(tracker.since("order:a"), { epoch: "e1", seq: 40 });
    assert.deepEqual(tracker.since("order:b"), { epoch: "e1", seq: 15 });
  });

  it("keeps a pending since of an old epoch, so the server answers epoch_changed", () => {
    const tracker = new ResumeTracker({ epoch: "e1", seq: 10 });
    tracker.join("order:o1", tracker.since("order:o1"));
    tracker.disconnected();
    tracker.recovered({ recovered: false, reason: "epoch_changed", epoch: "e2", seq: 3 });
    tracker.disconnected();
    assert.deepEqual(tracker.since("order:o1"), { epoch: "e1", seq: 10 });
  });

  it("forgets a room it left", () => {
    const tracker = new ResumeTracker({ epoch: "e1", seq: 1 });
    tracker.join("order:a", undefined);
    tracker.join("order:b", undefined);
    tracker.leave("order:a");
    assert.deepEqual(tracker.rooms, ["order:b"]);
    assert.equal(tracker.has("order:a"), false);
  });
});
