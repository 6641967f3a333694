"""One loop timer for many deadlines that share the same delay.

Heartbeats, ping timeouts, connect timeouts and upgrade timeouts all use a fixed delay per kind, so
deadlines are added in increasing order: a FIFO deque is a sorted queue and one ``TimerHandle`` armed
for its head serves every connection. An entry is a two-item list ``[deadline, obj]``; cancelling
sets ``obj`` to None, so a closed connection is released at once while its small entry waits in the
queue. No rounding: each deadline fires at its exact ``loop.time()`` value.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import Callable
from typing import Any, Generic, TypeVar

__all__ = ["Timer", "TimerQueue", "cancel"]

T = TypeVar("T")
logger = logging.getLogger(__name__)

Timer = list[Any]
"""A scheduled entry: ``[deadline, obj]`` (``obj`` is None once cancelled or fired)."""


def cancel(entry: Timer | None) -> None:
    """Cancel an entry returned by :meth:`TimerQueue.add` (None and fired entries are fine)."""
    if entry is not None:
        entry[1] = None


class TimerQueue(Generic[T]):
    """Fire ``callback(obj, entry)`` ``delay`` seconds after ``add(obj)`` unless cancelled."""

    __slots__ = ("_callback", "_delay", "_handle", "_loop", "_queue")

    def __init__(self, delay: float, callback: Callable[[T, Timer], None]) -> None:
        self._delay = delay
        self._callback = callback
        self._queue: deque[Timer] = deque()
        self._handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def delay(self) -> float:
        return self._delay

    def add(self, obj: T, start: float | None = None) -> Timer:
        """Schedule ``obj`` ``delay`` after ``start`` (default: now); returns the entry.

        ``start`` lets a chained timer count from the previous deadline instead of from a late
        firing; starts must not decrease between calls, which keeps the queue sorted.
        """
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        deadline = (loop.time() if start is None else start) + self._delay
        entry: Timer = [deadline, obj]
        self._queue.append(entry)
        if self._handle is None:
            self._handle = loop.call_at(deadline, self._run)
        return entry

    def __len__(self) -> int:
        return len(self._queue)

    def _run(self) -> None:
        self._handle = None
        loop = self._loop
        assert loop is not None
        # asyncio itself fires handles up to one clock resolution early; match it.
        self._fire_until(loop.time() + getattr(loop, "_clock_resolution", 0.0))
        if self._queue and self._handle is None:
            self._handle = loop.call_at(self._queue[0][0], self._run)

    def fire_all(self) -> None:
        """Run every pending entry's callback now (used at shutdown), in deadline order."""
        self._fire_until(math.inf)
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _fire_until(self, now: float) -> None:
        queue = self._queue
        callback = self._callback
        while queue and queue[0][0] <= now:
            entry = queue.popleft()
            obj = entry[1]
            if obj is None:
                continue
            entry[1] = None
            try:
                callback(obj, entry)
            except Exception:  # pragma: no cover - callbacks must not break the shared timer
                logger.exception("timer callback failed")

    def clear(self) -> None:
        """Drop every pending entry (used at shutdown)."""
        for entry in self._queue:
            entry[1] = None
        self._queue.clear()
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
