"""Where a client stands in the event log: the position to resume from, the ``seq`` values already
handled, and the rooms to join again (protocol §5-§6). Pure: no sockets, no asyncio.

The client feeds it what arrives (``accept`` an envelope, ``sync`` a ``sync:recovered``, ``lost`` /
``connected`` the transport) and asks it what to send (``resume`` for ``auth``, ``joining`` and the
rejoins returned by ``connected`` for ``room:join {room, since}``).

- **Dedupe by a set, not by the largest seq.** A ``room:join`` with ``since`` replays that room's older
  events after newer ones of other rooms, so "seq <= the largest seen" would drop events never seen.
  The set is a window of the most recent ``window`` values; a ``seq`` older than the window is let
  through (at least once wins over exactly once).
- **The position is the largest seq seen.** A join replay only sends events up to what the server had
  already sent the socket live (the hold's bound) and the events after come later, so every event of
  the socket's other rooms up to any replayed ``seq`` has arrived before it. The room being replayed
  is the exception: it keeps a *pending since* (where its replay started) until its own
  ``sync:recovered {room}``; if the transport drops first, the room is joined again from there.
- **A new epoch resets** the set and the position (the log was reset: the app refetches).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum
from typing import Any

__all__ = ["Position", "Sync", "Tracker", "Verdict"]

DEFAULT_WINDOW = 10_000
"""As many ``seq`` values as one replay may send (``STOREWIRE_REPLAY_MAX_EVENTS``)."""


@dataclass(frozen=True, slots=True)
class Position:
    """A place in the event log: every event of the client's rooms up to ``seq`` was handled."""

    epoch: str
    seq: int

    def to_wire(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "seq": self.seq}


@dataclass(frozen=True, slots=True)
class Sync:
    """A ``sync:recovered``: whether a resume (``room`` is ``None``) or a join replay (``room``) got
    every missed event; if not, ``reason`` says why and the app must refetch. ``epoch``/``seq`` is the
    current position."""

    recovered: bool
    epoch: str
    seq: int
    room: str | None = None
    reason: str | None = None

    @property
    def position(self) -> Position:
        return Position(self.epoch, self.seq)


class Verdict(Enum):
    """What to do with an envelope."""

    NEW = "new"
    DUPLICATE = "duplicate"  # already handled in this epoch: drop it
    NEW_EPOCH = "new_epoch"  # new, and the log was reset since the last one: refetch


def _since(position: Position | None) -> dict[str, Any]:
    return position.to_wire() if position is not None else {}


class Tracker:
    """The resume state of one client, kept across its reconnects."""

    def __init__(self, position: Position | None = None, *, window: int = DEFAULT_WINDOW) -> None:
        if window < 1:
            raise ValueError("the dedupe window holds at least one seq")
        self._position = position
        self._window = window
        self._seen: set[int] = set()
        self._order: deque[int] = deque()
        self._rooms: dict[str, None] = {}  # remembered rooms, in join order
        self._pending: dict[str, Position | None] = {}  # room -> where its unfinished replay started
        self._connection_synced = False
        self._announced_epoch: str | None = None  # an epoch change already reported by an envelope

    @property
    def position(self) -> Position | None:
        """Where to resume from: the last event handled (``None`` before the first one)."""
        return self._position

    @property
    def rooms(self) -> tuple[str, ...]:
        """The rooms joined on request, joined again after every reconnect."""
        return tuple(self._rooms)

    @property
    def pending(self) -> dict[str, Position | None]:
        """Rooms whose join replay has not finished, and the position it started from."""
        return dict(self._pending)

    @property
    def synced(self) -> bool:
        """The connection's ``sync:recovered`` came and no join replay is unfinished."""
        return self._connection_synced and not self._pending

    # -- what arrives ------------------------------------------------------------------------

    def accept(self, epoch: str, seq: int) -> Verdict:
        """An envelope at ``(epoch, seq)``: is it new? Remembers it if so."""
        if self._position is None or epoch != self._position.epoch:
            changed = self._position is not None
            self._reset(Position(epoch, seq))
            self._remember(seq)
            if changed:
                self._announced_epoch = epoch
                return Verdict.NEW_EPOCH
            return Verdict.NEW
        if seq in self._seen:
            return Verdict.DUPLICATE
        self._remember(seq)
        if seq > self._position.seq:
            self._position = Position(epoch, seq)
        return Verdict.NEW

    def sync(self, sync: Sync) -> bool:
        """A ``sync:recovered``. Returns whether the app must refetch (``on_resync``)."""
        if sync.room is None:
            self._connection_synced = True
        else:
            self._pending.pop(sync.room, None)
        position = self._position
        if position is None or sync.epoch != position.epoch:
            self._reset(sync.position)
        elif sync.room is None and sync.reason == "invalid":
            self._reset(sync.position)  # the server does not know our position: take its own
        elif sync.seq > position.seq:
            self._position = sync.position
        if sync.recovered:
            return False
        if sync.room is None and sync.reason == "epoch_changed" and sync.epoch == self._announced_epoch:
            self._announced_epoch = None  # the envelope that brought the epoch already said so
            return False
        return True

    # -- the transport -----------------------------------------------------------------------

    def lost(self) -> None:
        """The transport dropped: every room may miss events from the current position on."""
        self._connection_synced = False
        for room in self._rooms:
            self._pending.setdefault(room, self._position)

    def connected(self) -> list[tuple[str, dict[str, Any]]]:
        """A (re)connection: the ``(room, since)`` joins to send, every remembered room once."""
        self._connection_synced = False
        rejoins = []
        for room in self._rooms:
            since = self._pending.setdefault(room, self._position)
            rejoins.append((room, _since(since)))
        return rejoins

    # -- what to send ------------------------------------------------------------------------

    def resume(self) -> dict[str, Any]:
        """``auth.resume``: ``{epoch, seq}``, or ``{}`` before the first position."""
        return _since(self._position)

    def joining(self, room: str) -> dict[str, Any]:
        """Remember ``room`` and return the ``since`` of its ``room:join``; an unfinished replay of it
        keeps its older start."""
        self._rooms[room] = None
        return _since(self._pending.setdefault(room, self._position))

    def forget(self, room: str) -> None:
        """The room was left, or its join refused: do not join it again."""
        self._rooms.pop(room, None)
        self._pending.pop(room, None)

    # -- internals ---------------------------------------------------------------------------

    def _reset(self, position: Position) -> None:
        self._position = position
        self._seen.clear()
        self._order.clear()

    def _remember(self, seq: int) -> None:
        self._seen.add(seq)
        self._order.append(seq)
        if len(self._order) > self._window:
            self._seen.discard(self._order.popleft())
