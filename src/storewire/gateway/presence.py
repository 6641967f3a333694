"""Who is in which room with presence, counted per user so a second tab is not a new join."""

from __future__ import annotations

from collections import Counter

from storewire.realtime.ephemeral import PresenceUser
from storewire.realtime.policy import Principal

__all__ = ["Presence"]


class Presence:
    """Per room, each user's number of sockets in it, and what to show of the user.

    ``enter`` returns True when it is the user's first socket in the room (announce a join) and
    ``exit`` when it was the last (announce a leave); both are pure bookkeeping, no I/O.
    """

    def __init__(self) -> None:
        self._rooms: dict[str, Counter[str]] = {}
        self._people: dict[str, PresenceUser] = {}

    def enter(self, room: str, principal: Principal) -> bool:
        user_id = principal.user_id
        if user_id is None:  # guests are not people others can see
            return False
        counts = self._rooms.setdefault(room, Counter())
        counts[user_id] += 1
        self._people[user_id] = PresenceUser(id=user_id, name=principal.name, role=principal.role.value)
        return counts[user_id] == 1

    def exit(self, room: str, principal: Principal) -> bool:
        user_id = principal.user_id
        counts = self._rooms.get(room)
        if user_id is None or counts is None or counts[user_id] <= 0:
            return False
        counts[user_id] -= 1
        if counts[user_id] > 0:
            return False
        del counts[user_id]
        if not counts:
            del self._rooms[room]
        return True

    def members(self, room: str) -> list[PresenceUser]:
        """The users present in ``room``, in the order they arrived."""
        return [self._people[user_id] for user_id in self._rooms.get(room, ())]
