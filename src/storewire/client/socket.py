"""The one place the client helper touches python-socketio, which has no type hints: a small typed face
over its ``AsyncClient``, so ``Any`` stays here.

python-socketio runs every incoming packet in its own task, started in arrival order, and calls a
plain (non-async) handler before that task first yields: the callbacks registered here are plain
functions, so they see packets in the order they arrived.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import socketio  # type: ignore[import-untyped]

__all__ = ["ConnectFailed", "NotConnected", "Socket"]

_TRANSPORT_ERROR: str = socketio.AsyncClient.reason.TRANSPORT_ERROR
_FINAL = "__disconnect_final"  # python-socketio's own "no more reconnects" event (its SimpleClient uses it)


class ConnectFailed(Exception):
    """The first connection could not be made (details went to the ``connect_error`` callback)."""


class NotConnected(Exception):
    """The default namespace is not connected: nothing can be emitted."""


class Socket:
    """A python-socketio ``AsyncClient`` that reconnects by itself after a transport failure."""

    def __init__(
        self,
        *,
        reconnection: bool,
        reconnection_attempts: int,
        reconnection_delay: float,
        reconnection_delay_max: float,
        randomization_factor: float,
    ) -> None:
        self._sio: Any = socketio.AsyncClient(
            reconnection=reconnection,
            reconnection_attempts=reconnection_attempts,
            reconnection_delay=reconnection_delay,
            reconnection_delay_max=reconnection_delay_max,
            randomization_factor=randomization_factor,
        )

    # -- callbacks (plain functions, called in packet order) -----------------------------------

    def on_connect(self, callback: Callable[[], None]) -> None:
        """The namespace is connected (the first time, and after every reconnect)."""
        self._sio.on("connect", callback)

    def on_disconnect(self, callback: Callable[[bool], None]) -> None:
        """The connection is lost; the argument says whether python-socketio will reconnect."""

        def disconnected(reason: Any = None) -> None:
            callback(
                reason == _TRANSPORT_ERROR and self._sio.reconnection and self._sio.eio.state == "connected"
            )

        self._sio.on("disconnect", disconnected)

    def on_final(self, callback: Callable[[], None]) -> None:
        """Closed for good: no reconnect follows (after a client or server disconnect, or when the
        reconnect attempts ran out or were aborted)."""
        self._sio.on(_FINAL, callback)

    def on_connect_error(self, callback: Callable[[object], None]) -> None:
        """A handshake was refused (the server's ``{message, data}``) or the transport failed (text)."""

        def refused(*args: Any) -> None:
            callback(args[0] if args else None)

        self._sio.on("connect_error", refused)

    def on_event(self, callback: Callable[[str, object], None]) -> None:
        """Every other event, with its first argument."""

        def received(name: Any, *args: Any) -> None:
            callback(str(name), args[0] if args else None)

        self._sio.on("*", received)

    # -- state -------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """The namespace is connected (already inside the ``connect`` callback, unlike
        python-socketio's ``connected``, which waits for ``connect()`` to return)."""
        return "/" in self._sio.namespaces

    @property
    def sid(self) -> str | None:
        """The socket's id in the default namespace (what ``X-Socket-Id`` takes)."""
        sid = self._sio.get_sid("/")
        return sid if isinstance(sid, str) else None

    # -- actions -----------------------------------------------------------------------------

    async def connect(
        self,
        url: str,
        *,
        auth: Callable[[], Awaitable[dict[str, Any]]],
        transports: Sequence[str],
        wait_timeout: float,
    ) -> None:
        """Connect; ``auth`` is called again for every reconnect. Raises ``ConnectFailed``."""
        try:
            await self._sio.connect(url, auth=auth, transports=list(transports), wait_timeout=wait_timeout)
        except socketio.exceptions.ConnectionError as exc:
            raise ConnectFailed(str(exc)) from exc

    async def emit(self, event: str, data: dict[str, Any], ack: Callable[[object], None]) -> None:
        def acked(*args: Any) -> None:
            ack(args[0] if args else None)

        try:
            await self._sio.emit(event, data, callback=acked)
        except socketio.exceptions.BadNamespaceError as exc:
            raise NotConnected(str(exc)) from exc

    async def close(self) -> None:
        """Disconnect, or stop reconnecting."""
        await self._sio.shutdown()

    async def drop(self) -> None:
        """Close the WebSocket under the client, as a network failure would: python-socketio sees a
        transport error and reconnects by itself. (For tests; WebSocket transport only.)"""
        eio = self._sio.eio
        if eio.current_transport != "websocket" or eio.ws is None:
            raise RuntimeError("drop() needs a connected WebSocket transport")
        await eio.ws.close()
