"""Runtime wiring of one storewire node: database, broker, relay, services and gateway."""

from __future__ import annotations

import logging

from storewire.commerce.accounts.security import PasswordHasher, TokenService
from storewire.commerce.accounts.service import AccountService
from storewire.commerce.catalog.service import ProductService
from storewire.commerce.directory import RoomDirectory
from storewire.commerce.events import build_catalog
from storewire.commerce.orders.service import OrderService
from storewire.delivery.brokers.base import Broker
from storewire.delivery.brokers.memory import MemoryBroker
from storewire.delivery.publisher import Publisher
from storewire.delivery.relay import Relay
from storewire.gateway.app import Gateway
from storewire.gateway.factory import build_transport
from storewire.settings import Settings
from storewire.storage.database import Database

__all__ = ["Node"]

logger = logging.getLogger(__name__)


class Node:
    """Everything one process runs. ``start`` migrates and starts relaying; ``stop`` drains and closes."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database(settings.database_url)
        self.catalog = build_catalog()
        self.broker: Broker = MemoryBroker()
        self.relay = Relay(
            self.db,
            self.broker,
            batch_size=settings.relay_batch_size,
            poll_interval=settings.relay_poll_interval,
        )
        self.publisher = Publisher(self.catalog, self.relay.wake)
        self.accounts = AccountService(
            self.db,
            PasswordHasher(),
            TokenService(settings.jwt_secret, settings.jwt_ttl, settings.jwt_algorithm),
        )
        self.products = ProductService(self.db)
        self.orders = OrderService(self.db, self.publisher)
        self.gateway = Gateway(
            settings, build_transport(settings), self.accounts.principal_for_token, RoomDirectory(self.db)
        )
        self.broker.subscribe(self.gateway.deliver)

    async def start(self) -> None:
        await self.db.upgrade()
        await self.gateway.transport.start()
        await self.broker.start()
        await self.relay.start()
        logger.info("storewire node started (database %s)", self.db.engine.url.render_as_string())

    async def stop(self) -> None:
        await self.relay.stop()
        await self.broker.stop()
        await self.gateway.transport.shutdown()
        await self.db.dispose()
        logger.info("storewire node stopped")
