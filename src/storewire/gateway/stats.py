"""What the gateway counts for ``/metrics``: plain integers bumped inline, read at scrape time."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

__all__ = ["GatewayStats"]


@dataclass(slots=True)
class GatewayStats:
    """Totals since the node started."""

    opened: int = 0
    """Connections accepted."""
    refused: Counter[str] = field(default_factory=Counter)
    """Connections refused, by ``connect_error`` code."""
    joins: Counter[str] = field(default_factory=Counter)
    """``room:join`` answers: ``ok`` or the refusal's code."""
    events: int = 0
    """Sequenced events fanned out by this node."""
    deliveries: int = 0
    """Envelopes queued to sockets by the fan-out (one event to 100 sockets is 100)."""
