"""The declarative base shared by every module's tables, and the delivery tables (outbox, log)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Index, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AuditRow",
    "Base",
    "BigInt",
    "EventLogRow",
    "EventRoomRow",
    "OutboxRow",
    "RelayStateRow",
    "utcnow",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# 64-bit integers (money in minor units, sequence numbers); SQLite's INTEGER is 64-bit already and
# only an INTEGER PRIMARY KEY is its rowid alias.
BigInt = BigInteger().with_variant(Integer, "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: DateTime(timezone=True), dict[str, Any]: JSON, list[Any]: JSON}


class _EventColumns:
    """What an event is, from the outbox through the log: its id, name, rooms and payload."""

    event_id: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[str] = mapped_column(String(80))
    rooms: Mapped[list[Any]]
    data: Mapped[dict[str, Any]]
    invalidate: Mapped[list[Any]]
    exclude_sid: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxRow(_EventColumns, Base):
    """An event written in the same transaction as the state change it describes; deleted once logged."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)


class EventLogRow(_EventColumns, Base):
    """The durable, ordered event log: ``seq`` is assigned by the relay, the one sequencer."""

    __tablename__ = "event_log"

    seq: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=False)
    logged_at: Mapped[datetime] = mapped_column(default=utcnow)


class RelayStateRow(Base):
    """The log's epoch and how far the relay has fanned it out (one row, id 1)."""

    __tablename__ = "relay_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    epoch: Mapped[str] = mapped_column(String(40))
    published_seq: Mapped[int] = mapped_column(BigInt, default=0)
    pruned_seq: Mapped[int] = mapped_column(BigInt, default=0)
    """Every event up to this ``seq`` has been pruned (retention): no resume from before it."""


class EventRoomRow(Base):
    """One room of one logged event: the index a resume reads a room's events after a position by."""

    __tablename__ = "event_log_room"
    __table_args__ = (Index("ix_event_log_room_seq", "seq"),)

    room: Mapped[str] = mapped_column(String(200), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=False)


class AuditRow(Base):
    """One audited fact: who (if known) did or tried what, to what, from where (DESIGN §6)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_kind_id", "kind", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # new_id("aud"): time-ordered
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(80))
    actor_id: Mapped[str | None] = mapped_column(String(40))
    actor_role: Mapped[str | None] = mapped_column(String(16))
    target: Mapped[str | None] = mapped_column(String(200))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]]
