"""The async database: engine, sessions, and migrations run on start."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

__all__ = ["Database"]

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module: storewire emits BEGIN itself (below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=10000"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # Writers start with BEGIN IMMEDIATE so they queue on the write lock (busy_timeout) instead of
    # failing when a read transaction is upgraded to a write one.
    conn.exec_driver_sql(f"BEGIN {conn.get_execution_options().get('sqlite_begin', '')}".strip())


class Database:
    """Owns the async engine; hands out sessions and runs Alembic migrations."""

    def __init__(self, url: str, migrations: Sequence[Path] = ()) -> None:
        """``migrations``: the modules' own Alembic versions folders, beside the foundation's."""
        self.url = url
        self.migrations = tuple(migrations)
        self.is_sqlite = url.startswith("sqlite")
        options: dict[str, Any] = {}
        if not self.is_sqlite:
            # A server connection can go stale; a SQLite file cannot, and the ping costs a round trip.
            options.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
        self.engine: AsyncEngine = create_async_engine(url, **options)
        write_engine = self.engine
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_connect)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
            write_engine = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = async_sessionmaker(write_engine, expire_on_commit=False)
        # SQLite has one writer at a time. Writers of this process queue here, in FIFO order, rather
        # than in SQLite's busy handler, which sleeps in growing steps (milliseconds each) while the
        # lock is held: that sleeping was most of a REST mutation's latency. Other processes sharing
        # the file still meet busy_timeout.
        self._writer = asyncio.Lock() if self.is_sqlite else None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in one write transaction: committed on success, rolled back on any error.

        Write transactions must not nest (on SQLite they queue on one lock).
        """
        async with (
            self._writer or contextlib.nullcontext(),
            self._write_sessions() as session,
            session.begin(),
        ):
            yield session
        # One turn of the loop after the commit (and the lock's release): a relay woken by this commit
        # starts its round now, so its first database call overlaps with the rest of the request.
        await asyncio.sleep(0)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only."""
        async with self.sessions() as session:
            yield session

    async def upgrade(self) -> None:
        """Bring the schema to every head (Alembic, sharing this engine's connection).

        Each module's migrations branch from the foundation's, so there may be several heads.
        """
        async with self.engine.begin() as conn:
            await conn.run_sync(_upgrade, self.migrations)

    async def dispose(self) -> None:
        await self.engine.dispose()


def alembic_config(connection: Connection | None = None, migrations: Sequence[Path] = ()) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.set_main_option(
        "version_locations", os.pathsep.join(str(path) for path in (MIGRATIONS / "versions", *migrations))
    )
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection, migrations: Sequence[Path]) -> None:
    command.upgrade(alembic_config(connection, migrations), "heads")
    logger.info("database schema is up to date")
