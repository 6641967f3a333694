"""Publishing: service keys for other backends and ``POST /publish`` (catalog events over the outbox).

Not a commerce domain of its own; it is a module so that its tables, migration, service and route
are declared in one place like everything else the node runs.
"""

from __future__ import annotations

from pathlib import Path

from storewire.commerce.module import Module
from storewire.commerce.publishing import routes
from storewire.commerce.publishing.service import PublishingService
from storewire.commerce.publishing.tables import PublishRequestRow, ServiceKeyRow

__all__ = ["MODULE"]

MODULE = Module(
    name="publishing",
    router=routes.router,
    tables=(ServiceKeyRow, PublishRequestRow),
    service=PublishingService.build,
    migrations=Path(__file__).with_name("migrations"),
)
