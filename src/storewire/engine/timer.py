"""One loop timer for many deadlines that share the same delay.

Heartbeats, ping timeouts, connect timeouts and upgrade timeouts all use a fixed delay per kind, so
deadlines are added in increasing order: a FIFO deque is a sorted queue and one ``TimerHandle`` armed
for its head serves every connection. Cancelling is lazy: the owner keeps the deadline it expects
(the value :meth:`TimerQueue.add` returned) and ignores a firing whose deadline no longer matches.
No rounding: each deadline fires at its exact ``loop.time()`` value.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["TimerQueue"]

T = TypeVar("T")
logger = logging.getLogger(__name__)


class TimerQueue(Generic[T]):
    """Fire ``callback(obj, deadline)`` ``delay`` seconds after ``add(obj)``."""

    __slots__ = ("_callback", "_delay", "_handle", "_loop", "_queue")

    def __init__(self, delay: float, callback: Callable[[T, float], None]) -> None:
        self._delay = delay
        self._callback = callback
        self._queue: deque[tuple[float, T]] = deque()
        self._handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def delay(self) -> float:
        return self._delay

    def add(self, obj: T) -> float:
        """Schedule ``obj``; returns its deadline (the token the callback receives)."""
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        deadline = loop.time() + self._delay
        self._queue.append((deadline, obj))
        if self._handle is None:
            self._handle = loop.call_at(deadline, self._run)
        return deadline

    def __len__(self) -> int:
        return len(self._queue)

    def _run(self) -> None:
        self._handle = None
        loop = self._loop
        assert loop is not None
        queue = self._queue
        # asyncio itself fires handles up to one clock resolution early; match it.
        now = loop.time() + getattr(loop, "_clock_resolution", 0.0)
        callback = self._callback
        while queue and queue[0][0] <= now:
            deadline, obj = queue.popleft()
            try:
                callback(obj, deadline)
            except Exception:  # pragma: no cover - callbacks must not break the shared timer
                logger.exception("timer callback failed")
        if queue and self._handle is None:
            self._handle = loop.call_at(queue[0][0], self._run)

    def clear(self) -> None:
        """Drop every pending deadline (used at shutdown)."""
        self._queue.clear()
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
