"""What the client helper hands the app, and the pure parsing of what arrives on the wire.

Wire shapes (protocol §3-§6): an envelope ``{id, type, epoch, seq, ts, data, invalidate}``, an
ephemeral event ``{type, ts, data}``, ``sync:recovered {recovered, epoch, seq, room?, reason?}``, and
acks ``{ok: true, ...}`` / ``{ok: false, error: {code, message}}``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Generic, Literal, TypeGuard, TypeVar

from storewire.client.tracker import Position, Sync

__all__ = [
    "Event",
    "Joined",
    "Status",
    "StorewireClientError",
    "parse_ack",
    "parse_connect_error",
    "parse_event",
    "parse_sync",
]

P_co = TypeVar("P_co", covariant=True)

Status = Literal["connected", "reconnecting", "resumed", "disconnected"]
"""``connected``: the first connection is up; ``reconnecting``: the transport dropped and the client
retries by itself; ``resumed``: it is connected again (its ``sync:recovered`` follows);
``disconnected``: closed for good (``disconnect()``, the server closed it, or retries ran out)."""


class StorewireClientError(Exception):
    """A refusal from the server (a failed ack or handshake) or a request that could not complete.

    ``code`` is the server's stable code (``forbidden``, ``not_found``, ``auth_expired``, ...) or one of
    the client's own: ``not_connected``, ``already_connected``, ``disconnected`` (the transport
    dropped before the ack), ``timeout``, ``connect_failed``, ``bad_reply``. ``room`` names the room
    of a failed join.
    """

    def __init__(self, code: str, message: str, *, room: str | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.room = room


@dataclass(frozen=True, slots=True)
class Event(Generic[P_co]):
    """One event as the app's handlers get it; ``data`` is the catalog's payload model, validated.

    ``id``, ``epoch`` and ``seq`` are ``None`` for ephemeral events (presence, typing, live users),
    which have no place in the log. ``invalidate``: the query keys a client cache should refetch.
    """

    id: str | None
    type: str
    epoch: str | None
    seq: int | None
    ts: datetime
    data: P_co
    invalidate: tuple[tuple[str, ...], ...]

    @property
    def position(self) -> Position | None:
        if self.epoch is None or self.seq is None:
            return None
        return Position(self.epoch, self.seq)

    def with_data(self, data: Any) -> Event[Any]:
        return replace(self, data=data)


@dataclass(frozen=True, slots=True)
class Joined:
    """The ack of a join: ``recovered`` is whether the replay from ``since`` will be complete."""

    room: str
    recovered: bool


def _is_seq(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def parse_event(name: str, raw: object) -> Event[dict[str, Any]] | None:
    """An envelope or an ephemeral event named ``name``, with its raw JSON ``data``; ``None`` if it is
    neither."""
    if not isinstance(raw, dict) or not isinstance(raw.get("data"), dict):
        return None
    try:
        ts = datetime.fromisoformat(raw["ts"])
    except (KeyError, TypeError, ValueError):
        return None
    if "seq" not in raw:
        return Event(None, name, None, None, ts, raw["data"], ())
    event_id, epoch, seq, keys = raw.get("id"), raw.get("epoch"), raw.get("seq"), raw.get("invalidate", [])
    if not (isinstance(event_id, str) and isinstance(epoch, str) and epoch and _is_seq(seq)):
        return None
    if not (isinstance(keys, list) and all(isinstance(key, list) for key in keys)):
        return None
    invalidate = tuple(tuple(str(part) for part in key) for key in keys)
    return Event(event_id, name, epoch, seq, ts, raw["data"], invalidate)


def parse_sync(raw: object) -> Sync | None:
    """A ``sync:recovered`` payload; ``None`` if it is not one."""
    if not isinstance(raw, dict):
        return None
    recovered, epoch, seq = raw.get("recovered"), raw.get("epoch"), raw.get("seq")
    room, reason = raw.get("room"), raw.get("reason")
    if not (isinstance(recovered, bool) and isinstance(epoch, str) and _is_seq(seq)):
        return None
    if not (room is None or isinstance(room, str)) or not (reason is None or isinstance(reason, str)):
        return None
    return Sync(recovered, epoch, seq, room, reason)


def parse_ack(raw: object, *, room: str | None = None) -> dict[str, Any]:
    """An ack's body if it is ``{ok: true, ...}``; raises ``StorewireClientError`` otherwise."""
    if isinstance(raw, dict) and raw.get("ok") is True:
        return raw
    if isinstance(raw, dict) and raw.get("ok") is False and isinstance(raw.get("error"), dict):
        error = raw["error"]
        raise StorewireClientError(str(error.get("code")), str(error.get("message", "")), room=room)
    raise StorewireClientError("bad_reply", f"not an ack: {raw!r}", room=room)


def parse_connect_error(raw: object) -> StorewireClientError:
    """A refused handshake: python-socketio hands over ``{message, data: {code, message}}`` from the
    server, or a text when the transport itself failed."""
    if isinstance(raw, dict) and isinstance(raw.get("data"), dict) and "code" in raw["data"]:
        data = raw["data"]
        return StorewireClientError(str(data["code"]), str(data.get("message", "")))
    return StorewireClientError("connect_failed", str(raw))
