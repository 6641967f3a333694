"""The event catalog: every event declared once with its payload, audience and invalidate keys.

Services never choose recipients. They hand a payload to the publisher, which asks the catalog's
``EventSpec`` for the rooms (``audience``) and the query keys to invalidate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from storewire.errors import InvalidPayload
from storewire.realtime.rooms import Room

__all__ = ["Catalog", "EventSpec", "PreparedEvent"]

P = TypeVar("P", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class PreparedEvent:
    """A validated event ready for the outbox: its name, JSON data, rooms and invalidate keys."""

    type: str
    data: dict[str, Any]
    rooms: tuple[str, ...]
    invalidate: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class EventSpec(Generic[P]):
    """Declaration of one event type, ``{module}:{action}``."""

    name: str
    payload: type[P]
    audience: Callable[[P], Iterable[Room]]
    invalidate: Callable[[P], Iterable[tuple[str, ...]]] = lambda _payload: ()
    description: str = ""
    sensitive: bool = False  # audited when published
    inbox: bool = False  # also stored as a notification for each user: room
    ephemeral: bool = False  # sent by the gateway as it happens: no outbox, no seq, never replayed

    def prepare(self, payload: P | dict[str, Any]) -> PreparedEvent:
        """Validate ``payload`` and resolve its rooms and invalidate keys."""
        try:
            model = payload if isinstance(payload, self.payload) else self.payload.model_validate(payload)
        except ValidationError as exc:
            raise InvalidPayload(f"payload of {self.name} is invalid: {exc.errors()[0]['msg']}") from exc
        rooms = tuple(dict.fromkeys(str(room) for room in self.audience(model)))
        if not rooms:
            raise InvalidPayload(f"{self.name} has no audience for this payload")
        return PreparedEvent(
            type=self.name,
            data=model.model_dump(mode="json"),
            rooms=rooms,
            invalidate=tuple(tuple(key) for key in self.invalidate(model)),
        )


class Catalog:
    """A registry of ``EventSpec`` by name. Registering a name twice is a programming error."""

    def __init__(self, specs: Iterable[EventSpec[Any]] = ()) -> None:
        self._specs: dict[str, EventSpec[Any]] = {}
        for spec in specs:
            self.register(spec)

    def register(self, spec: EventSpec[Any]) -> None:
        module, sep, action = spec.name.partition(":")
        if not (module and sep and action):
            raise ValueError(f"event names are '{{module}}:{{action}}', got {spec.name!r}")
        if spec.name in self._specs:
            raise ValueError(f"event {spec.name!r} is declared twice")
        self._specs[spec.name] = spec

    def get(self, name: str) -> EventSpec[Any]:
        try:
            return self._specs[name]
        except KeyError:
            raise InvalidPayload(f"unknown event {name!r}", code="unknown_event") from None

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __iter__(self) -> Iterator[EventSpec[Any]]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)
