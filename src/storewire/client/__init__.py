"""The Python client helper: a python-socketio client that resumes after every reconnect (protocol §6).

    client = StorewireClient(url, token=token, on_resync=load_from_rest)

    @client.on(client.spec("order:status_changed", OrderStatusChanged))
    async def moved(event: Event[OrderStatusChanged]) -> None: ...

    await client.connect()
    await client.join(f"order:{order_id}")

See docs/clients.md. Needs python-socketio's asyncio client (``python-socketio[asyncio_client]``).
"""

from __future__ import annotations

from storewire.client.client import StorewireClient
from storewire.client.messages import Event, Joined, Status, StorewireClientError
from storewire.client.tracker import Position, Sync, Tracker, Verdict

__all__ = [
    "Event",
    "Joined",
    "Position",
    "Status",
    "StorewireClient",
    "StorewireClientError",
    "Sync",
    "Tracker",
    "Verdict",
]
