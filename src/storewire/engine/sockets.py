"""Socket.IO sockets (one per client per namespace) and the connect-refusal exception."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .eio_socket import EioSocket
    from .sio_packets import Decoder
    from .timer import Timer

__all__ = ["ConnectionRefused", "Socket"]


class ConnectionRefused(Exception):
    """Raise in a connect handler to refuse the connection with a ``CONNECT_ERROR``.

    ``data`` becomes the packet payload: a dict is sent as is (give it a ``"message"`` key, which
    clients show as the error message), a string becomes ``{"message": data}``, anything else
    ``{"message": "Connection refused", "data": data}``.
    """

    def __init__(self, data: Any = "Connection refused") -> None:
        super().__init__(data)
        self.data = data

    def payload(self) -> dict[str, Any]:
        data = self.data
        if isinstance(data, dict):
            return data
        if isinstance(data, str):
            return {"message": data}
        return {"message": "Connection refused", "data": data}


class Socket:
    """A client's connection to one namespace.

    ``state`` is free for the application. ``rooms`` is a snapshot (own sid included): change
    membership with ``Server.enter_room`` / ``Server.leave_room``.
    """

    __slots__ = (
        "_ack_seq",
        "_acks",
        "_early",
        "_rooms",
        "_state",
        "client",
        "connected",
        "eio",
        "nsp",
        "sid",
    )

    def __init__(self, sid: str, nsp: str, eio: EioSocket, client: Client) -> None:
        self.sid = sid
        self.nsp = nsp
        self.eio = eio
        self.client = client
        self.connected = False
        self._rooms: set[str] | None = None
        self._state: dict[str, Any] | None = None
        self._acks: dict[int, asyncio.Future[list[Any]]] | None = None
        self._ack_seq = 0
        self._early: list[str | bytes] | None = []  # packets emitted before the CONNECT ack

    @property
    def eio_sid(self) -> str:
        return self.eio.sid

    @property
    def headers(self) -> Mapping[str, str]:
        """Handshake request headers, lower-case names."""
        return self.eio.info.headers

    @property
    def query(self) -> Mapping[str, str]:
        return self.eio.info.query

    @property
    def remote_addr(self) -> str:
        return self.eio.info.remote_addr

    @property
    def transport(self) -> str:
        """``"polling"`` or ``"websocket"`` (current)."""
        return self.eio.transport

    @property
    def rooms(self) -> set[str]:
        rooms = {self.sid}
        if self._rooms:
            rooms |= self._rooms
        return rooms

    @property
    def state(self) -> dict[str, Any]:
        state = self._state
        if state is None:
            state = self._state = {}
        return state

    def __repr__(self) -> str:
        return f"<Socket sid={self.sid} nsp={self.nsp} connected={self.connected}>"


class Client:
    """Socket.IO state of one Engine.IO session: its packet decoder and its sockets by namespace."""

    __slots__ = ("connect_due", "decoder", "eio", "handlers", "sockets")

    def __init__(self, eio: EioSocket) -> None:
        self.eio = eio
        self.decoder: Decoder | None = None
        self.sockets: dict[str, Socket] = {}
        self.connect_due: Timer | None = None
        self.handlers = 0  # event handlers in flight
