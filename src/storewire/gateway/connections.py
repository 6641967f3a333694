"""Who is connected: each socket's principal and rooms, and counts per user and per address."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from storewire.realtime.policy import Principal

__all__ = ["Connection", "ConnectionRegistry"]


@dataclass(slots=True)
class Connection:
    sid: str
    principal: Principal
    remote_addr: str
    automatic: frozenset[str] = frozenset()  # rooms it was put in at the handshake; never left
    rooms: set[str] = field(default_factory=set)  # rooms joined on request
    joining: int = 0  # joins waiting for their policy decision; they count against the room cap


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
