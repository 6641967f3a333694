"""Service keys and the publish API's service: other backends publish catalog events through it.

A published event takes the same path as one a module publishes: the catalog validates its payload
and decides its rooms, the outbox row commits in one transaction (with the idempotency row), and the
relay sequences, logs and fans it out.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storewire.commerce.module import ModuleContext
from storewire.commerce.publishing.keys import hash_secret, new_key, parse_key, secret_matches
from storewire.commerce.publishing.tables import PublishRequestRow, ServiceKeyRow
from storewire.delivery.publisher import Publisher
from storewire.errors import AuthError, Conflict, InvalidPayload, LimitError, NotFound
from storewire.observability.audit import AuditLog, acting_key
from storewire.realtime.rooms import Room
from storewire.settings import Settings
from storewire.storage.database import Database
from storewire.storage.tables import utcnow

__all__ = [
    "KeyInfo",
    "NewKey",
    "PublishBody",
    "Published",
    "PublishingService",
    "ServiceKey",
]


@dataclass(frozen=True, slots=True)
class ServiceKey:
    """The authenticated caller of the publish API: a live (not revoked) service key."""

    id: str
    name: str


class KeyInfo(BaseModel):
    """A service key as listed: never its secret."""

    id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None = None

    @classmethod
    def of(cls, row: ServiceKeyRow) -> KeyInfo:
        return cls(id=row.id, name=row.name, created_at=row.created_at, revoked_at=row.revoked_at)


class NewKey(KeyInfo):
    """A key just created: ``key`` is the whole ``swk_...`` token, shown this once."""

    key: str


class PublishBody(BaseModel):
    """``POST /publish``: an event of the catalog, its payload, and optionally fewer rooms."""

    model_config = ConfigDict(extra="forbid")

    event: str = Field(min_length=1, max_length=80, examples=["order:status_changed"])
    rooms: list[str] | None = Field(default=None, min_length=1, max_length=100)
    audience: Literal["catalog"] | None = None
    data: dict[str, Any]
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=255)


class Published(BaseModel):
    """What a publish queued: the event's id and the rooms it goes to (``seq`` comes with delivery)."""

    event_id: str
    event: str
    rooms: list[str]


class _Buckets:
    """Token buckets per service key, in this process: ``rate`` publishes a second, ``burst`` at once."""

    def __init__(self, rate: float, burst: int) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._state: dict[str, tuple[float, float]] = {}

    def take(self, key_id: str) -> float:
        """Take one token: 0.0 if there was one, else the seconds until there is."""
        now = time.monotonic()
        tokens, last = self._state.get(key_id, (self._burst, now))
        tokens = min(self._burst, tokens + (now - last) * self._rate)
        if tokens >= 1:
            self._state[key_id] = (tokens - 1, now)
            return 0.0
        self._state[key_id] = (tokens, now)
        return (1 - tokens) / self._rate


class PublishingService:
    """Issues, lists and revokes service keys; authenticates them; publishes on their behalf."""

    def __init__(self, db: Database, publisher: Publisher, settings: Settings, audit: AuditLog) -> None:
        self._db = db
        self._publisher = publisher
        self._audit = audit
        self._max_data = settings.max_client_payload
        self._buckets = _Buckets(settings.publish_per_second, settings.publish_burst)

    @classmethod
    def build(cls, context: ModuleContext) -> PublishingService:
        return cls(context.db, context.publisher, context.settings, context.services.get(AuditLog))

    # -- keys -------------------------------------------------------------------------------------

    async def create_key(self, name: str) -> NewKey:
        """A new service key named ``name``; the returned ``key`` is the only time its secret exists."""
        name = name.strip()
        if not 1 <= len(name) <= 200:
            raise InvalidPayload("a key's name is 1 to 200 characters")
        parts = new_key()
        row = ServiceKeyRow(
            id=parts.id, name=name, secret_hash=hash_secret(parts.secret), created_at=utcnow()
        )
        async with self._db.transaction() as session:
            session.add(row)
            self._audit.record_in(session, "admin.key_created", target=name, key_id=row.id)
        return NewKey(**KeyInfo.of(row).model_dump(), key=parts.token)

    async def list_keys(self) -> list[KeyInfo]:
        async with self._db.reading() as session:
            rows = await session.scalars(select(ServiceKeyRow).order_by(ServiceKeyRow.created_at))
            return [KeyInfo.of(row) for row in rows]

    async def revoke_key(self, key_id: str) -> KeyInfo:
        """Revoke a key: it is refused from the next request on (revoking twice changes nothing)."""
        async with self._db.transaction() as session:
            row = await session.get(ServiceKeyRow, key_id)
            if row is None:
                raise NotFound(f"no service key {key_id!r}")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
                self._audit.record_in(session, "admin.key_revoked", target=row.name, key_id=row.id)
            return KeyInfo.of(row)

    async def authenticate(self, token: str | None) -> ServiceKey:
        """The live service key behind ``token``: 401 ``auth_required`` / ``auth_invalid`` otherwise.

        A user's access token is not a service key and is refused like any other wrong key.
        """
        if token is None:
            raise AuthError("a service key is required (Authorization: Bearer swk_...)", code="auth_required")
        parts = parse_key(token)
        if parts is None:
            raise AuthError("not a service key (swk_...); user tokens cannot publish")
        async with self._db.reading() as session:
            row = await session.get(ServiceKeyRow, parts.id)
        if row is None or row.revoked_at is not None or not secret_matches(parts.secret, row.secret_hash):
            raise AuthError("unknown or revoked service key")
        return ServiceKey(row.id, row.name)

    # -- publish ----------------------------------------------------------------------------------

    async def publish(self, key: ServiceKey, body: PublishBody) -> tuple[Published, bool]:
        """Publish ``body.event`` for ``key``. Returns (what was queued, whether this is a replay)."""
        wait = self._buckets.take(key.id)
        if wait:
            raise LimitError("too many publishes for this key", retry_after=round(wait, 3))
        spec = self._publisher.catalog.get(body.event)  # 422 unknown_event
        if spec.ephemeral:
            # Typing and presence are the gateway's to send as they happen: they have no outbox path.
            raise InvalidPayload(f"{body.event!r} is ephemeral and cannot be published", code="unknown_event")
        if body.rooms is not None and body.audience is not None:
            raise InvalidPayload("give rooms or audience, not both")
        rooms = None if body.rooms is None else list(dict.fromkeys(str(Room.parse(r)) for r in body.rooms))
        encoded = orjson.dumps(body.data, option=orjson.OPT_SORT_KEYS)
        if len(encoded) > self._max_data:
            raise InvalidPayload(f"data is over {self._max_data} bytes", code="payload_too_large", status=413)
        try:
            # Stricter than a module's own publish: a field the model does not know is a mistake of
            # the caller (a typo, another version), not something to drop silently.
            payload = spec.payload.model_validate(body.data, extra="forbid")
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "data"
            raise InvalidPayload(f"data of {spec.name} is invalid: {where}: {first['msg']}") from exc
        audience = spec.prepare(payload).rooms  # the catalog's rooms (the publisher checks ``rooms`` too)
        for room in audience:
            # Modules publish ids they made; an outside caller's ids must still name real rooms
            # ("order:bad id!" would be a room no one can join, or worse, read differently).
            try:
                Room.parse(room)
            except InvalidPayload:
                raise InvalidPayload(f"data of {spec.name} names an invalid room {room!r}") from None
        targets = [room for room in audience if rooms is None or room in rooms]
        request = {"event": spec.name, "rooms": rooms, "data": orjson.loads(encoded)}
        request_hash = hashlib.sha256(orjson.dumps(request, option=orjson.OPT_SORT_KEYS)).hexdigest()
        if body.idempotency_key is not None:
            replay = await self._replay(key.id, body.idempotency_key, request_hash)
            if replay is not None:
                return replay, True
        try:
            async with self._db.transaction() as session:
                acting_key.set(key.id)  # audited events name the key that published them
                event_id = self._publisher.publish(session, spec.name, payload, only=rooms)
                out = Published(event_id=event_id, event=spec.name, rooms=targets)
                if body.idempotency_key is not None:
                    session.add(
                        PublishRequestRow(
                            key_id=key.id,
                            idempotency_key=body.idempotency_key,
                            request_hash=request_hash,
                            response=out.model_dump(mode="json"),
                        )
                    )
                    await session.flush()
        except IntegrityError:
            # The same key and idempotency key committed first in another request: answer with its
            # result; this transaction (and its outbox row) rolled back, so nothing is sent twice.
            if body.idempotency_key is not None:
                replay = await self._replay(key.id, body.idempotency_key, request_hash)
                if replay is not None:
                    return replay, True
            raise
        return out, False

    async def _replay(self, key_id: str, idempotency_key: str, request_hash: str) -> Published | None:
        async with self._db.reading() as session:
            stored = await session.get(PublishRequestRow, (key_id, idempotency_key))
        if stored is None:
            return None
        if stored.request_hash != request_hash:
            raise Conflict(
                "this idempotency_key was used for a different publish", code="idempotency_conflict"
            )
        return Published.model_validate(stored.response)
