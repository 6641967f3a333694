"""Builds the Socket.IO transport the gateway runs on."""

from __future__ import annotations

from storewire.gateway.engine_transport import EngineTransport
from storewire.gateway.transport import Transport
from storewire.settings import Settings

__all__ = ["build_transport"]


def build_transport(settings: Settings) -> Transport:
    return EngineTransport(
        cors_origins=settings.cors_origins,
        ping_interval=settings.ping_interval,
        ping_timeout=settings.ping_timeout,
        max_payload=1_000_000,
        max_buffered_bytes=settings.max_buffered_bytes,
    )
