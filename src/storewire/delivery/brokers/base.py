"""The broker interface.

Guarantees every implementation keeps:

- Order: batches from the relay reach each subscriber in the order they were published, and the
  messages inside a batch in their order (so ``seq`` only grows on the live path).
- Delivery: at most once per subscriber for the live path. A subscriber that misses messages (a node
  that was down, a dropped connection to Redis) fills the gap from the event log, never from the broker.
- Publishing returns once the broker has taken the batch; it does not wait for subscribers to emit.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Broker", "BrokerMessage", "Subscriber"]


@dataclass(frozen=True, slots=True)
class BrokerMessage:
    """One sequenced event and where it goes."""

    seq: int
    type: str
    envelope: dict[str, Any]  # the wire form, built once by the relay
    rooms: tuple[str, ...]
    exclude_sid: str | None = None


Subscriber = Callable[[Sequence[BrokerMessage]], None]


class Broker(ABC):
    """Fans sequenced events out to every subscribed gateway (this node's, and others' when shared)."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        """Register a callback that gets each batch; it must not block (it queues frames)."""
        self._subscribers.append(subscriber)

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Connect to the backend, if any."""

    async def stop(self) -> None:  # noqa: B027 - optional hook
        """Disconnect from the backend, if any."""

    @abstractmethod
    async def publish(self, batch: Sequence[BrokerMessage]) -> None:
        """Hand a batch to every subscriber, in order."""
