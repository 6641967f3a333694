"""The in-process broker: the default for a single node."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from storewire.delivery.brokers.base import Broker, BrokerMessage

__all__ = ["MemoryBroker"]

logger = logging.getLogger(__name__)


class MemoryBroker(Broker):
    """Calls each subscriber directly, in publish order. One failing subscriber does not stop others."""

    async def publish(self, batch: Sequence[BrokerMessage]) -> None:
        for subscriber in self._subscribers:
            try:
                subscriber(batch)
            except Exception:
                logger.exception("a broker subscriber failed on a batch of %d events", len(batch))
