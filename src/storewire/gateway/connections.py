"""Who is connected: each socket's principal and rooms, and counts per user and per address."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from storewire.realtime.policy import Principal

if TYPE_CHECKING:
    from storewire.delivery.brokers.base import BrokerMessage

__all__ = ["Connection", "ConnectionRegistry"]


@dataclass(slots=True)
class Connection:
    sid: str
    principal: Principal
    remote_addr: str
    automatic: frozenset[str] = frozenset()  # rooms it was put in at the handshake; never left
    rooms: set[str] = field(default_factory=set)  # rooms joined on request
    joining: int = 0  # joins waiting for their policy decision; they count against the room cap
    # Resume state (see gateway/resume.py); the optional parts are made only when a socket resumes.
    covered_from: int = 0
    """The socket has been sent every event of its automatic rooms after this ``seq``."""
    held: list[BrokerMessage] | None = None
    """Live events kept back while a replay runs (``None``: live delivery goes straight out)."""
    overflow: bool = False
    gone: bool = False
    """The socket disconnected: nothing may hold it again."""
    _covered: dict[str, int] | None = None
    _sync_lock: asyncio.Lock | None = None

    def sync_lock(self) -> asyncio.Lock:
        """Serializes this socket's replays."""
        if self._sync_lock is None:
            self._sync_lock = asyncio.Lock()
        return self._sync_lock

    def cover(self, room: str, seq: int) -> None:
        """The socket has been (or will be) sent every event of joined ``room`` after ``seq``."""
        if self._covered is None:
            self._covered = {}
        self._covered[room] = seq

    def coverage(self) -> dict[str, int]:
        """For each room the socket is in, the ``seq`` after which it has been sent all its events."""
        covered = dict.fromkeys(self.automatic, self.covered_from)
        known = self._covered or {}
        for room in self.rooms:
            covered[room] = known.get(room, self.covered_from)
        return covered

    def uncover(self, room: str) -> None:
        if self._covered is not None:
            self._covered.pop(room, None)


class ConnectionRegistry:
    """Tracks live sockets for the per-user, per-address and global connection limits."""

    def __init__(self) -> None:
        self._by_sid: dict[str, Connection] = {}
        self._per_user: Counter[str] = Counter()
        self._per_addr: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self._by_sid)

    def get(self, sid: str) -> Connection | None:
        return self._by_sid.get(sid)

    def count_user(self, user_id: str | None) -> int:
        return self._per_user[user_id] if user_id else 0

    def count_addr(self, addr: str) -> int:
        return self._per_addr[addr]

    def add(self, connection: Connection) -> None:
        self._by_sid[connection.sid] = connection
        if connection.principal.user_id:
            self._per_user[connection.principal.user_id] += 1
        self._per_addr[connection.remote_addr] += 1

    def remove(self, sid: str) -> Connection | None:
        connection = self._by_sid.pop(sid, None)
        if connection is None:
            return None
        user_id = connection.principal.user_id
        if user_id:
            self._per_user[user_id] -= 1
            if self._per_user[user_id] <= 0:
                del self._per_user[user_id]
        self._per_addr[connection.remote_addr] -= 1
        if self._per_addr[connection.remote_addr] <= 0:
            del self._per_addr[connection.remote_addr]
        return connection
