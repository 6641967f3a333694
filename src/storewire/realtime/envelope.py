"""The envelope every domain event reaches a client in (DESIGN §4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["Envelope", "format_ts"]

InvalidateKey = tuple[str, ...]


def format_ts(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds and ``Z``: ``2026-11-22T12:00:00.123Z``."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class Envelope:
    """One event as delivered: the same ``id``, ``epoch`` and ``seq`` for every recipient."""

    id: str
    type: str
    epoch: str
    seq: int
    ts: datetime
    data: dict[str, Any]
    invalidate: tuple[InvalidateKey, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        """The JSON object clients receive as the Socket.IO event's single argument."""
        return {
            "id": self.id,
            "type": self.type,
            "epoch": self.epoch,
            "seq": self.seq,
            "ts": format_ts(self.ts),
            "data": self.data,
            "invalidate": [list(key) for key in self.invalidate],
        }
