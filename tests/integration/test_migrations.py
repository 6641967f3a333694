"""The Alembic migrations build exactly the schema the models declare."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from storewire.commerce.registry import MODULES
from storewire.storage.database import Database
from storewire.storage.tables import Base

target_metadata = Base.metadata


def test_every_table_belongs_to_a_module_the_delivery_layer_or_the_audit_log() -> None:
    declared = {table.__tablename__ for module in MODULES for table in module.tables}
    delivery = {"outbox", "event_log", "event_log_room", "relay_state"}
    assert set(target_metadata.tables) == declared | delivery | {"audit_log"}


async def test_migrations_match_the_models(tmp_path: Path) -> None:
    migrations = [module.migrations for module in MODULES if module.migrations is not None]
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'schema.db'}", migrations)
    try:
        await db.upgrade()
        await db.upgrade()  # idempotent on an up-to-date database

        def diff(connection: Connection) -> list[object]:
            return list(compare_metadata(MigrationContext.configure(connection), target_metadata))

        async with db.engine.connect() as conn:
            assert await conn.run_sync(diff) == []
    finally:
        await db.dispose()
