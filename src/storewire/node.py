"""Runtime wiring of one storewire node: database, broker, relay, the modules' services, and gateway."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from storewire.commerce.accounts.service import AccountService
from storewire.commerce.directory import RoomDirectory
from storewire.commerce.module import Module, ModuleContext, Online, Services, Signals, Startable
from storewire.commerce.registry import MODULES, build_catalog
from storewire.delivery.brokers.base import Broker
from storewire.delivery.brokers.memory import MemoryBroker
from storewire.delivery.event_log import EventLog
from storewire.delivery.publisher import Publisher
from storewire.delivery.relay import Relay
from storewire.delivery.retention import Retention
from storewire.gateway.app import Gateway
from storewire.gateway.factory import build_transport
from storewire.observability.audit import AuditLog
from storewire.settings import Settings
from storewire.storage.database import Database

__all__ = ["Node"]

logger = logging.getLogger(__name__)


class Node:
    """Everything one process runs. ``start`` migrates and starts relaying; ``stop`` drains and closes."""

    def __init__(self, settings: Settings, modules: Sequence[Module] = MODULES) -> None:
        self.settings = settings
        self.modules = tuple(modules)
        self.db = Database(
            settings.database_url, [m.migrations for m in self.modules if m.migrations is not None]
        )
        self.catalog = build_catalog(self.modules)
        self.broker: Broker = MemoryBroker()
        self.relay = Relay(
            self.db,
            self.broker,
            batch_size=settings.relay_batch_size,
            poll_interval=settings.relay_poll_interval,
        )
        self.event_log = EventLog(self.db)
        self.retention = Retention(
            self.db,
            max_age=settings.retention,
            max_events=settings.retention_events,
            interval=settings.retention_interval,
            log=self.event_log,
        )
        self.publisher = Publisher(self.catalog, self.relay.wake)
        self.audit = AuditLog(self.db)
        self.audit.attach(self.publisher)
        self.services = Services()
        self.services.add(self.audit)  # started with the services; stopped again after the gateway
        context = ModuleContext(settings, self.db, self.publisher, self.services, Signals())
        for module in self.modules:
            if module.service is not None:
                self.services.add(module.service(context))
        self.accounts = self.services.get(AccountService)
        directory = RoomDirectory(self.db, self.modules)
        self.gateway = Gateway(
            settings,
            build_transport(settings),
            self.accounts.principal_for_token,
            directory.facts,
            self.event_log,
            self.audit,
        )
        self.broker.subscribe(self.gateway.deliver)
        self.services.add(Online(lambda user_id: self.gateway.connections.count_user(user_id) > 0))

    async def start(self) -> None:
        await self.db.upgrade()
        await self.gateway.transport.start()
        await self.broker.start()
        await self.relay.start()
        self.gateway.resumer.start(self.relay.epoch, self.relay.published_seq)
        await self.retention.start()
        for service in self.services:
            if isinstance(service, Startable):
                await service.start()
        logger.info("storewire node started (database %s)", self.db.engine.url.render_as_string())

    async def stop(self) -> None:
        for service in reversed(list(self.services)):
            if isinstance(service, Startable):
                await service.stop()
        await self.retention.stop()
        await self.relay.stop(drain_timeout=self.settings.shutdown_timeout / 2)
        await self.broker.stop()
        await self.gateway.close()
        await self.gateway.transport.shutdown()
        await self.audit.stop()  # what the last refusals recorded
        await self.db.dispose()
        logger.info("storewire node stopped")
