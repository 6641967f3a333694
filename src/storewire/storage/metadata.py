"""All tables' metadata, for migrations: importing this module registers every table."""

from __future__ import annotations

from storewire.commerce.accounts import tables as _accounts  # noqa: F401
from storewire.commerce.catalog import tables as _catalog  # noqa: F401
from storewire.commerce.orders import tables as _orders  # noqa: F401
from storewire.storage.tables import Base

__all__ = ["target_metadata"]

target_metadata = Base.metadata
