"""uvicorn's ``ws`` protocol-class hook: WebSocket upgrades for the engine's paths bypass ASGI.

How uvicorn 0.54 uses the class (``protocols/http/httptools_impl.py`` and ``h11_impl.py``,
``handle_websocket_upgrade``): it builds it with keyword arguments ``config, server_state,
app_state``, calls ``connection_made(transport)`` and then ``data_received`` with the re-serialised
upgrade request, and only after that returns calls ``transport.set_protocol``. So the entry object
below inspects the request path, builds the real protocol (the engine's :class:`WsConn`, or the
class uvicorn would have used for any other path), feeds it the request, forwards any callbacks it
receives meanwhile, and hands the transport over on the next loop tick. The real protocol registers
itself in ``server_state.connections`` and implements ``shutdown()``. Bytes the client sent in the
same read as the upgrade request are lost by uvicorn before we see them (clients wait for the 101).
This hook is not public uvicorn API: pyproject pins uvicorn's range and a test covers the hand-over.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, ClassVar

from .eio_server import EioServer
from .handshake import TrustedProxies
from .websocket import WsConn

__all__ = ["make_ws_protocol"]


def _default_ws_class(spec: str | type[asyncio.Protocol]) -> type[asyncio.Protocol]:
    if not isinstance(spec, str):
        return spec
    from uvicorn.config import WS_PROTOCOLS
    from uvicorn.importer import import_from_string

    cls = import_from_string(WS_PROTOCOLS.get(spec, spec))
    if cls is None:
        raise ValueError(f"no WebSocket implementation for {spec!r}")
    return cls  # type: ignore[no-any-return]


class _EngineWsEntry(asyncio.Protocol):
    """Receives the upgrade from uvicorn and hands the connection to the right protocol."""

    engines: ClassVar[tuple[EioServer, ...]] = ()
    fallback: ClassVar[type[asyncio.Protocol] | None] = None
    _trusted: ClassVar[tuple[object, TrustedProxies | None] | None] = None

    __slots__ = ("_app_state", "_config", "_loop", "_server_state", "_target", "_transport")

    def __init__(self, config: Any, server_state: Any, app_state: dict[str, Any], **_: Any) -> None:
        self._config = config
        self._server_state = server_state
        self._app_state = app_state
        self._target: asyncio.Protocol | None = None
        self._transport: asyncio.Transport | None = None
        self._loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        target = self._target
        if target is not None:
            target.data_received(data)
            return
        line = data[: data.find(b"\r\n")]
        parts = line.split(b" ")
        path = parts[1].partition(b"?")[0].decode("latin-1") if len(parts) == 3 else ""
        engine = next((e for e in self.engines if path.startswith(e.path) or path == e.path[:-1]), None)
        if engine is not None:
            target = WsConn(engine, self._server_state.connections, self._trusted_proxies())
        else:
            cls = self.fallback or _default_ws_class("auto")
            target = cls(  # type: ignore[call-arg]
                config=self._config, server_state=self._server_state, app_state=self._app_state
            )
        self._target = target
        target.connection_made(self._transport)  # type: ignore[arg-type]
        target.data_received(data)
        self._loop.call_soon(self._hand_over)

    def _hand_over(self) -> None:
        transport, target = self._transport, self._target
        if transport is not None and target is not None and not transport.is_closing():
            transport.set_protocol(target)

    def _trusted_proxies(self) -> TrustedProxies | None:
        config = self._config
        cached = type(self)._trusted
        if cached is None or cached[0] is not config:
            trusted = TrustedProxies(config.forwarded_allow_ips) if config.proxy_headers else None
            type(self)._trusted = cached = (config, trusted)
        return cached[1]

    # Callbacks that may arrive before the hand-over are forwarded to the real protocol.
    def eof_received(self) -> bool | None:
        return self._target.eof_received() if self._target is not None else None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._target is not None:
            self._target.connection_lost(exc)

    def pause_writing(self) -> None:
        if self._target is not None:
            self._target.pause_writing()

    def resume_writing(self) -> None:
        if self._target is not None:
            self._target.resume_writing()

    def shutdown(self) -> None:
        shutdown = getattr(self._target, "shutdown", None)
        if shutdown is not None:
            shutdown()
        elif self._transport is not None:
            self._transport.close()


def make_ws_protocol(
    engines: Sequence[EioServer], fallback: str | type[asyncio.Protocol] | None = None
) -> type[asyncio.Protocol]:
    """The class to pass as ``uvicorn.Config(ws=...)`` for ``engines``.

    Other WebSocket paths are served by ``fallback``: a uvicorn ``ws`` name (``"websockets-sansio"``,
    ``"websockets"``, ``"wsproto"``) or class; default: what uvicorn's ``ws="auto"`` picks.
    """
    fallback_cls = _default_ws_class(fallback if fallback is not None else "auto")
    return type(
        "EngineWsProtocol",
        (_EngineWsEntry,),
        {"__slots__": (), "engines": tuple(engines), "fallback": fallback_cls},
    )
