"""Room facts for the join policy, looked up through the room kinds the modules declare."""

from __future__ import annotations

from collections.abc import Iterable

from storewire.commerce.module import FactsLookup, Module
from storewire.realtime.policy import RoomFacts
from storewire.realtime.rooms import Room
from storewire.storage.database import Database

__all__ = ["RoomDirectory"]

_MISSING = RoomFacts(exists=False)


class RoomDirectory:
    """Looks up a room's ``RoomFacts`` with the module that answers for its kind."""

    def __init__(self, db: Database, modules: Iterable[Module]) -> None:
        self._db = db
        self._lookups: dict[str, FactsLookup] = {}
        for module in modules:
            for kind, lookup in module.rooms.items():
                if kind in self._lookups:
                    raise ValueError(f"room kind {kind!r} is declared by two modules")
                self._lookups[kind] = lookup

    async def facts(self, room: Room) -> RoomFacts:
        lookup = self._lookups.get(room.kind)
        if lookup is None or room.id is None:
            return _MISSING
        async with self._db.reading() as session:
            return await lookup(session, room.id)
