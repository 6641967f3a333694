"""The admin's live-users view: who is connected and on which page, pushed at most a few times a second."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from storewire.realtime.ephemeral import LiveUser, LiveUsers
from storewire.realtime.policy import Principal

__all__ = ["LiveUserBoard"]

MAX_LISTED = 200  # an update stays small; GET /admin/live-users pages the rest
MAX_PATH = 300


@dataclass(slots=True)
class _Seat:
    principal: Principal
    path: str | None = None
    since: float = field(default_factory=time.time)


class LiveUserBoard:
    """Tracks each signed-in socket's page; ``changed`` schedules one coalesced push per interval."""

    def __init__(self, push: Callable[[LiveUsers], None], interval: float = 0.5) -> None:
        self._push = push
        self._interval = interval
        self._seats: dict[str, _Seat] = {}
        self._task: asyncio.Task[None] | None = None
        self._last = 0.0

    def connected(self, sid: str, principal: Principal) -> None:
        if principal.user_id is not None:
            self._seats[sid] = _Seat(principal)
            self.changed()

    def navigated(self, sid: str, path: str) -> bool:
        seat = self._seats.get(sid)
        if seat is None:
            return False
        seat.path = path[:MAX_PATH]
        self.changed()
        return True

    def disconnected(self, sid: str) -> None:
        if self._seats.pop(sid, None) is not None:
            self.changed()

    def snapshot(self, limit: int = MAX_LISTED) -> LiveUsers:
        users: dict[str, LiveUser] = {}
        for seat in self._seats.values():
            principal = seat.principal
            assert principal.user_id is not None
            user = users.get(principal.user_id)
            if user is None:
                user = users[principal.user_id] = LiveUser(
                    id=principal.user_id,
                    name=principal.name,
                    role=principal.role.value,
                    connections=0,
                    pages=[],
                )
            user.connections += 1
            if seat.path is not None and seat.path not in user.pages:
                user.pages.append(seat.path)
        listed = list(users.values())
        return LiveUsers(count=len(listed), users=listed[:limit], truncated=len(listed) > limit)

    def connections(self) -> list[dict[str, object]]:
        """Every signed-in socket: its user, page and since when (GET /admin/connections)."""
        return [
            {
                "sid": sid,
                "user_id": seat.principal.user_id,
                "role": seat.principal.role.value,
                "path": seat.path,
                "connected_at": seat.since,
            }
            for sid, seat in self._seats.items()
        ]

    def changed(self) -> None:
        """Push soon: at once if the last push is older than the interval, else at its end."""
        if self._task is not None and not self._task.done():
            return
        delay = max(0.0, self._last + self._interval - time.monotonic())
        self._task = asyncio.get_running_loop().create_task(self._later(delay))

    async def _later(self, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        self._last = time.monotonic()
        self._push(self.snapshot())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
