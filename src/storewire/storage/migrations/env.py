"""Alembic environment: runs on the connection ``Database.upgrade`` hands over (or an URL offline).

The schema is ``Base.metadata`` as the entry point loaded it: the node imports every module's tables.
"""

from __future__ import annotations

from alembic import context

from storewire.storage.tables import Base

target_metadata = Base.metadata

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=target_metadata,
            literal_binds=True,
            render_as_batch=True,
            dialect_opts={"paramstyle": "named"},
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
