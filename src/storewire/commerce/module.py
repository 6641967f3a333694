"""What a domain module is: one ``Module`` record that the node, the app and the migrations read.

Each package under ``commerce/`` declares itself once, in its ``__init__.py``::

    MODULE = Module(
        name="orders",
        router=routes.router,            # mounted under /api/v1
        events=ORDER_EVENTS,             # joins the event catalog
        tables=(OrderRow, ...),          # joins the schema (its migrations live in ``migrations/``)
        service=OrderService.build,      # built once per node, in module-list order
        rooms={RoomKind.ORDER: order_facts},  # how the join policy and REST reads see its rooms
    )

and ``commerce/registry.py`` lists the modules. Nothing central learns about a module by hand.

Modules talk to each other in two ways only: a later module may ask ``ModuleContext.services`` for an
earlier module's service, and a module may react to another's ``Signal`` inside the same transaction
(the cart learns of stock and price changes this way, without the products module knowing carts exist).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, Self, TypeVar, cast, runtime_checkable

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from storewire.delivery.publisher import Publisher
from storewire.realtime.catalog import EventSpec
from storewire.realtime.policy import RoomFacts
from storewire.settings import Settings
from storewire.storage.database import Database
from storewire.storage.tables import Base

__all__ = [
    "DomainService",
    "FactsLookup",
    "Module",
    "ModuleContext",
    "Online",
    "Services",
    "Signal",
    "Signals",
    "Startable",
]

T = TypeVar("T")
V = TypeVar("V")

FactsLookup = Callable[[AsyncSession, str], Awaitable[RoomFacts]]
"""Looks up the ``RoomFacts`` of the subject with this id (a missing one is ``exists=False``)."""


@dataclass(frozen=True, slots=True)
class Signal(Generic[V]):
    """A domain fact other modules may react to inside the emitter's transaction (declared once)."""

    name: str


Handler = Callable[[AsyncSession, V], Awaitable[None]]


class Signals:
    """One node's signal wiring: handlers run in connection order, awaited, in the sender's session."""

    def __init__(self) -> None:
        self._handlers: dict[Signal[Any], list[Handler[Any]]] = {}

    def connect(self, signal: Signal[V], handler: Handler[V]) -> None:
        self._handlers.setdefault(signal, []).append(handler)

    async def send(self, session: AsyncSession, signal: Signal[V], value: V) -> None:
        for handler in self._handlers.get(signal, ()):
            await handler(session, value)


class Services:
    """The node's services, one per type; later modules look up earlier ones by type."""

    def __init__(self) -> None:
        self._by_type: dict[type, object] = {}

    def add(self, service: object) -> None:
        kind = type(service)
        if kind in self._by_type:
            raise ValueError(f"a {kind.__name__} is registered twice")
        self._by_type[kind] = service

    def get(self, kind: type[T]) -> T:
        try:
            return cast(T, self._by_type[kind])
        except KeyError:
            raise LookupError(f"no {kind.__name__} is registered (is its module listed first?)") from None

    def __iter__(self) -> Any:
        return iter(self._by_type.values())


@dataclass(frozen=True, slots=True)
class Online:
    """Whether a user has a socket connected to this node (the gateway answers; registered by the node
    once the gateway exists, so look it up when needed, not when the service is built)."""

    is_connected: Callable[[str], bool]


@runtime_checkable
class Startable(Protocol):
    """A service with background work: started after the relay, stopped before it."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True, slots=True)
class ModuleContext:
    """What a module's service is built from."""

    settings: Settings
    db: Database
    publisher: Publisher
    services: Services
    signals: Signals


class DomainService:
    """Base of the services that change state and publish its events in the same transaction."""

    def __init__(self, db: Database, publisher: Publisher) -> None:
        self._db = db
        self._publisher = publisher

    @classmethod
    def build(cls, context: ModuleContext) -> Self:
        """The ``Module.service`` builder: the node's database and publisher."""
        return cls(context.db, context.publisher)


@dataclass(frozen=True, slots=True)
class Module:
    """One domain module's declaration (see the module docstring)."""

    name: str
    router: APIRouter | None = None
    events: Sequence[EventSpec[Any]] = ()
    tables: Sequence[type[Base]] = ()
    service: Callable[[ModuleContext], object] | None = None
    rooms: Mapping[str, FactsLookup] = field(default_factory=dict)
    migrations: Path | None = None  # the module's Alembic versions folder, if it has tables of its own
